"""Scoring rules: each question type, the partial credit rule, totals, and which attempt counts."""

import pytest

from common.exceptions import ValidationError
from training import scoring


def question(kind, **fields):
    return {"id": f"q-{kind}", "type": kind, "points": fields.pop("points", 1.0), **fields}


MULTI = question(
    scoring.MULTIPLE,
    points=3.0,
    options=[{"id": "a"}, {"id": "b"}, {"id": "c"}, {"id": "d"}],
    correct_option_ids=["a", "b", "c"],
)


@pytest.mark.parametrize(
    ("answer", "fraction"),
    [
        (["a", "b", "c"], 1.0),
        (["a"], 1 / 3),
        (["a", "b"], 2 / 3),
        (["a", "d"], 0.0),  # one right, one wrong
        (["a", "b", "d"], 1 / 3),
        (["a", "b", "c", "d"], 2 / 3),
        (["d"], 0.0),  # never below zero
        ([], 0.0),
    ],
)
def test_multiple_choice_right_minus_wrong(answer, fraction):
    assert scoring.fraction_for(MULTI, answer) == pytest.approx(fraction)


def test_choosing_every_option_of_a_single_right_answer_question_earns_nothing():
    one_right = dict(MULTI, correct_option_ids=["a"])
    assert scoring.fraction_for(one_right, ["a", "b", "c", "d"]) == 0.0


def test_single_true_false_short_and_numeric():
    single = question(scoring.SINGLE, options=[{"id": "x"}, {"id": "y"}], correct_option_ids=["x"])
    assert scoring.fraction_for(single, "x") == 1.0 and scoring.fraction_for(single, "y") == 0.0
    truth = question(scoring.TRUE_FALSE, correct=False)
    assert scoring.fraction_for(truth, False) == 1.0 and scoring.fraction_for(truth, True) == 0.0
    short = question(scoring.SHORT, accepted_answers=["New  York City"])
    assert scoring.fraction_for(short, "  new york   city. ") == 1.0
    assert scoring.fraction_for(short, "ＮＥＷ YORK CITY") == 1.0  # NFKC: full-width letters
    assert scoring.fraction_for(short, "York") == 0.0
    numeric = question(scoring.NUMERIC, answer=9.81, tolerance=0.05)
    assert scoring.fraction_for(numeric, 9.85) == 1.0 and scoring.fraction_for(numeric, 9.87) == 0.0
    exact = question(scoring.NUMERIC, answer=42.0)
    assert scoring.fraction_for(exact, 42) == 1.0 and scoring.fraction_for(exact, 42.5) == 0.0


@pytest.mark.parametrize(
    ("kind", "answer"),
    [
        (scoring.SINGLE, ["x"]),
        (scoring.MULTIPLE, "a"),
        (scoring.MULTIPLE, ["zzz"]),
        (scoring.TRUE_FALSE, "true"),
        (scoring.SHORT, 5),
        (scoring.NUMERIC, "5"),
        (scoring.NUMERIC, True),
        (scoring.NUMERIC, float("inf")),
        (scoring.SHORT, {"$gt": ""}),
    ],
)
def test_wrong_answer_types_are_refused(kind, answer):
    fields = {
        scoring.SINGLE: {"options": [{"id": "x"}], "correct_option_ids": ["x"]},
        scoring.MULTIPLE: {"options": [{"id": "a"}], "correct_option_ids": ["a"]},
        scoring.TRUE_FALSE: {"correct": True},
        scoring.SHORT: {"accepted_answers": ["a"]},
        scoring.NUMERIC: {"answer": 1.0},
    }[kind]
    with pytest.raises(ValidationError):
        scoring.fraction_for(question(kind, **fields), answer)


def test_totals_in_percent_with_unanswered_questions():
    questions = [MULTI, question(scoring.TRUE_FALSE, correct=True, points=1.0)]
    outcome = scoring.score(questions, {MULTI["id"]: ["a"]})
    assert outcome["points"] == 1.0 and outcome["max_points"] == 4.0 and outcome["score"] == 25.0
    assert [row["outcome"] for row in outcome["results"]] == ["partial", "incorrect"]
    assert outcome["results"][1]["answered"] is False


def test_counting_attempt_highest_or_latest():
    attempts = [
        {"number": 1, "score": 90.0, "submitted_at": 1},
        {"number": 2, "score": 40.0, "submitted_at": 2},
        {"number": 3, "score": 90.0, "submitted_at": 3},
        {"number": 4, "score": None, "submitted_at": None},  # open
    ]
    assert scoring.counting_attempt(attempts, scoring.HIGHEST)["number"] == 1
    assert scoring.counting_attempt(attempts, scoring.LATEST)["number"] == 3
    assert scoring.counting_attempt(attempts[3:], scoring.LATEST) is None
