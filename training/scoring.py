"""Scoring answers, and which attempt counts.

Rules (docs/training.md):
* single choice, true/false: all the points or none.
* multiple choice, partial credit "right minus wrong": each correct option chosen
  earns 1/k of the points (k = number of correct options), each wrong option
  chosen takes 1/k away, never below zero. Choosing every option earns nothing
  unless every option is correct.
* short answer: matches an accepted answer after normalising both (Unicode NFKC,
  case folded, surrounding spaces and end punctuation dropped, inner runs of
  spaces made one).
* numeric: |answer - expected| <= tolerance.
The score is the points earned over the points available, in percent; an
attempt passes when its score is at least the assessment's passing score.
"""

import math
import re
import unicodedata

from common.exceptions import ValidationError
from training.store import ATTEMPTS

SINGLE = "single_choice"
MULTIPLE = "multiple_choice"
TRUE_FALSE = "true_false"
SHORT = "short_answer"
NUMERIC = "numeric"
QUESTION_TYPES = (SINGLE, MULTIPLE, TRUE_FALSE, SHORT, NUMERIC)

MAX_NUMERIC_ANSWER = 1e15

HIGHEST = "highest"
LATEST = "latest"


def normalise(text):
    text = unicodedata.normalize("NFKC", str(text)).casefold().strip()
    text = re.sub(r"\s+", " ", text)
    return text.strip(" .!?;,")


def _bad(question, expected):
    return ValidationError("An answer has the wrong type", {"answers": [f"question {question['id']} takes {expected}"]})


def fraction_for(question, answer):
    """The share of the question's points the answer earns, 0.0 to 1.0."""
    kind = question["type"]
    if answer is None:
        return 0.0
    if kind == SINGLE:
        if not isinstance(answer, str):
            raise _bad(question, "one option id")
        return 1.0 if answer in question["correct_option_ids"] else 0.0
    if kind == MULTIPLE:
        if not isinstance(answer, list) or not all(isinstance(item, str) for item in answer):
            raise _bad(question, "a list of option ids")
        chosen = set(answer)
        correct = set(question["correct_option_ids"])
        known = {option["id"] for option in question["options"]}
        if not chosen <= known:
            raise _bad(question, "ids of its own options")
        earned = (len(chosen & correct) - len(chosen - correct)) / len(correct)
        return max(0.0, earned)
    if kind == TRUE_FALSE:
        if not isinstance(answer, bool):
            raise _bad(question, "true or false")
        return 1.0 if answer is question["correct"] else 0.0
    if kind == SHORT:
        if not isinstance(answer, str):
            raise _bad(question, "text")
        return 1.0 if normalise(answer) in {normalise(item) for item in question["accepted_answers"]} else 0.0
    if kind == NUMERIC:
        if isinstance(answer, bool) or not isinstance(answer, (int, float)) or not math.isfinite(answer):
            raise _bad(question, "a number")
        if abs(answer) > MAX_NUMERIC_ANSWER:  # MongoDB keeps integers of 8 bytes at most: refused before writing
            raise _bad(question, f"a number between -{MAX_NUMERIC_ANSWER:.0e} and {MAX_NUMERIC_ANSWER:.0e}")
        return 1.0 if abs(answer - question["answer"]) <= question.get("tolerance", 0) + 1e-9 else 0.0
    raise ValueError(f"unknown question type {kind!r}")


def score(questions, answers):
    """Per-question results and totals for ``answers`` ({question_id: answer})."""
    results = []
    earned_total = 0.0
    possible = 0.0
    for question in questions:
        fraction = fraction_for(question, answers.get(question["id"]))
        earned = round(question["points"] * fraction, 2)
        earned_total += earned
        possible += question["points"]
        results.append(
            {
                "question_id": question["id"],
                "answered": answers.get(question["id"]) is not None,
                "points": earned,
                "max_points": question["points"],
                "outcome": "correct" if fraction >= 1.0 else ("partial" if fraction > 0 else "incorrect"),
            }
        )
    percent = round(100.0 * earned_total / possible, 2) if possible else 0.0
    return {"results": results, "points": round(earned_total, 2), "max_points": possible, "score": percent}


def is_closed(attempt):
    """Submitted or expired, with its whole result written (``submitted_at`` is written last)."""
    return attempt.get("submitted_at") is not None and attempt.get("score") is not None


def counting_attempt(attempts, policy):
    """The submitted attempt that counts: the highest score (earliest on ties) or the latest."""
    submitted = [attempt for attempt in attempts if is_closed(attempt)]
    if not submitted:
        return None
    if policy == LATEST:
        return max(submitted, key=lambda attempt: attempt["number"])
    return max(submitted, key=lambda attempt: (attempt["score"], -attempt["number"]))


def submitted_attempts(db, assessment_id, user_id):
    return list(db[ATTEMPTS].find({"assessment_id": assessment_id, "user_id": user_id}).sort("number", 1))


def has_passed(db, assessment, user_id):
    counting = counting_attempt(submitted_attempts(db, assessment["_id"], user_id), assessment["scoring_policy"])
    return bool(counting and counting.get("passed"))
