"""Assessments over HTTP: the server's time limit under both overdue policies, attempt limit and wait,
which attempt counts, partial credit and the other question types, show_answers policies, shuffling per
attempt, questions locked once attempted, and ASSESSMENT_PASSED announced once."""

import time
from datetime import datetime, timedelta

import eventlet

from common import events
from tests.e2e.test_account_flow import assert_error
from tests.e2e.test_training_courses import people  # noqa: F401 (fixture)
from tests.e2e.test_training_flow import data_of
from training.assessments import GRACE_SECONDS

TRUE_FALSE = [{"type": "true_false", "prompt": "The sky is blue", "correct": True}]


def published_course(api, instructor, title="Quizzes"):
    course = data_of(
        api.post(
            "/training/courses",
            token=instructor,
            json={"title": title, "modules": [{"title": "M", "lessons": [{"title": "Read me"}]}]},
        ),
        201,
    )
    return data_of(api.post(f"/training/courses/{course['id']}/publish", token=instructor))


def make_quiz(api, instructor, course_id, questions=TRUE_FALSE, **settings):
    return data_of(
        api.post(
            f"/training/courses/{course_id}/assessments",
            token=instructor,
            json={"title": settings.pop("title", "Quiz"), "questions": questions, **settings},
        ),
        201,
    )


def true_false_answers(quiz, right=True):
    return {"answers": [{"question_id": q["id"], "answer": q["correct"] is right} for q in quiz["questions"]]}


def start(api, token, quiz):
    return data_of(api.post(f"/training/assessments/{quiz['id']}/start", token=token))


def submit(api, token, quiz, body):
    return api.post(f"/training/assessments/{quiz['id']}/submit", token=token, json=body)


def result_of(api, token, quiz):
    return data_of(api.get(f"/training/assessments/{quiz['id']}/result", token=token))


def moment(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def events_until(tap, event_type, timeout=10, **matching):
    """Every event the tap received up to and including the first ``event_type`` matching ``matching``.

    Events are published (with broker confirms) before the RPC answers, so everything a finished request
    published is already queued ahead of a later request's event: no waiting for absences.
    """
    seen = []
    with eventlet.Timeout(timeout):
        while True:
            event = tap.received.get()
            seen.append(event)
            fields = {**event, **(event.get("metadata") or {})}
            if event["event_type"] == event_type and all(fields.get(k) == v for k, v in matching.items()):
                return seen


def test_the_server_enforces_the_time_limit_under_each_overdue_policy(api, people, event_tap):  # noqa: F811
    tap = event_tap("training")
    instructor, learner = people["instructor"], people["learner"]
    course = published_course(api, instructor)
    data_of(api.post(f"/training/courses/{course['id']}/enroll", token=learner), 201)
    # The shortest limit the model allows; every attempt below starts before the one wait.
    refuse = make_quiz(api, instructor, course["id"], title="Refuse", time_limit_seconds=10, max_attempts=2)
    score = make_quiz(api, instructor, course["id"], title="Score", time_limit_seconds=10, overdue_policy="score")
    abandoned = make_quiz(
        api, instructor, course["id"], title="Abandoned", time_limit_seconds=10, max_attempts=2, wait_seconds=5
    )
    assert refuse["overdue_policy"] == "refuse" and score["overdue_policy"] == "score"
    attempts = {quiz["id"]: start(api, learner, quiz) for quiz in (refuse, score, abandoned)}
    for attempt in attempts.values():
        # The server recorded the start and the deadline; the attempt shows the time left.
        assert moment(attempt["deadline"]) - moment(attempt["started_at"]) == timedelta(seconds=10)
        assert 0 <= attempt["time_left_seconds"] <= 10

    # Wait (on the server's own clock: same machine) until every deadline and its grace have passed.
    last_deadline = max(moment(attempt["deadline"]) for attempt in attempts.values())
    ready = last_deadline + timedelta(seconds=GRACE_SECONDS + 1)
    while (now := datetime.now(ready.tzinfo)) < ready:
        time.sleep((ready - now).total_seconds())

    # refuse (the default): 400, the attempt closes as expired with no points and counts as used.
    refused = submit(api, learner, refuse, true_false_answers(refuse))
    assert_error(refused, 400, "VALIDATION_ERROR")
    assert "time limit" in refused.json()["error"]["message"]
    closed = result_of(api, learner, refuse)
    assert [row["status"] for row in closed["attempts"]] == ["expired"]
    assert closed["attempts"][0]["score"] == 0.0 and closed["attempts"][0]["points"] == 0.0
    assert closed["passed"] is False and closed["attempts_used"] == 1 and closed["attempts_left"] == 1
    assert_error(submit(api, learner, refuse, true_false_answers(refuse)), 400, "VALIDATION_ERROR")  # none open

    # score: the late submission is scored, and marked late.
    scored = submit(api, learner, score, true_false_answers(score))
    assert scored.status_code == 200, scored.text
    late = scored.json()["data"]
    assert late["passed"] is True and late["score"] == 100.0
    assert late["counting_attempt"]["late"] is True and late["counting_attempt"]["status"] == "submitted"
    seen = events_until(tap, events.ASSESSMENT_SUBMITTED, assessment_id=score["id"])
    learned = (events.ASSESSMENT_SUBMITTED, events.ASSESSMENT_PASSED)  # (its ASSESSMENT_CREATED is in seen too)
    assert not [e for e in seen if e["event_type"] in learned and e["metadata"]["assessment_id"] == refuse["id"]]

    # Abandoned: the next start closes it as expired at its deadline, so the 5 s wait has already passed.
    again = start(api, learner, abandoned)
    assert again["number"] == 2 and again["id"] != attempts[abandoned["id"]]["id"]
    assert start(api, learner, abandoned)["id"] == again["id"]  # starting while one is open resumes it
    statuses = [row["status"] for row in result_of(api, learner, abandoned)["attempts"]]
    assert statuses == ["expired", "open"]
    data_of(submit(api, learner, abandoned, true_false_answers(abandoned)))
    assert_error(api.post(f"/training/assessments/{abandoned['id']}/start", token=learner), 409, "CONFLICT")


def test_attempt_limit_wait_and_which_attempt_counts(api, people, event_tap):  # noqa: F811
    tap = event_tap("training")
    instructor, learner = people["instructor"], people["learner"]
    course = published_course(api, instructor)
    assert_error(
        api.post(f"/training/assessments/{make_quiz(api, instructor, course['id'])['id']}/start", token=learner),
        403,
        "FORBIDDEN",
    )  # not enrolled
    data_of(api.post(f"/training/courses/{course['id']}/enroll", token=learner), 201)

    # Attempt limit: the second start is a conflict naming the limit.
    once = make_quiz(api, instructor, course["id"], title="Once", max_attempts=1)
    start(api, learner, once)
    data_of(submit(api, learner, once, true_false_answers(once, right=False)))
    no_more = api.post(f"/training/assessments/{once['id']}/start", token=learner)
    assert_error(no_more, 409, "CONFLICT")
    assert int(no_more.json()["error"]["details"]["max_attempts"]) == 1
    assert result_of(api, learner, once)["attempts_left"] == 0

    # Wait between attempts: a conflict telling when to come back.
    wait = make_quiz(api, instructor, course["id"], title="Wait", wait_seconds=3600)
    start(api, learner, wait)
    data_of(submit(api, learner, wait, true_false_answers(wait, right=False)))
    too_soon = api.post(f"/training/assessments/{wait['id']}/start", token=learner)
    assert_error(too_soon, 409, "CONFLICT")
    details = too_soon.json()["error"]["details"]
    assert 0 < int(details["retry_after_seconds"]) <= 3601 and details["available_at"].endswith("Z")

    # highest (default): pass, fail, pass -> the first pass counts; ASSESSMENT_PASSED is announced once.
    highest = make_quiz(api, instructor, course["id"], title="Highest", required=False)
    assert highest["scoring_policy"] == "highest"
    for right in (True, False, True):
        start(api, learner, highest)
        data_of(submit(api, learner, highest, true_false_answers(highest, right)))
    counted = result_of(api, learner, highest)
    assert counted["passed"] is True and counted["counting_attempt"]["number"] == 1 and counted["score"] == 100.0
    # latest: pass then fail -> the fail counts.
    latest = make_quiz(api, instructor, course["id"], title="Latest", scoring_policy="latest", required=False)
    for right in (True, False):
        start(api, learner, latest)
        data_of(submit(api, learner, latest, true_false_answers(latest, right)))
    counted = result_of(api, learner, latest)
    assert counted["passed"] is False and counted["counting_attempt"]["number"] == 2 and counted["score"] == 0.0

    # A later request's event closes the window: everything before it was published by earlier requests.
    sentinel = published_course(api, instructor, title="Sentinel")
    data_of(api.post(f"/training/courses/{sentinel['id']}/enroll", token=learner), 201)
    seen = events_until(tap, events.COURSE_ENROLLED, course_id=sentinel["id"])
    passed = [e for e in seen if e["event_type"] == events.ASSESSMENT_PASSED]
    assert sorted((e["metadata"]["assessment_title"], e["metadata"]["attempt"]) for e in passed) == [
        ("Highest", 1),
        ("Latest", 1),
    ]
    submitted = [e for e in seen if e["event_type"] == events.ASSESSMENT_SUBMITTED]
    assert len(submitted) == 2 + 3 + 2  # once, wait, highest x3, latest x2
    assert len([e for e in submitted if e["metadata"]["assessment_id"] == highest["id"]]) == 3

    # Settings change at any time; questions only before anyone attempted.
    changed = data_of(api.put(f"/training/assessments/{once['id']}", token=instructor, json={"max_attempts": 2}))
    assert changed["max_attempts"] == 2
    assert start(api, learner, once)["number"] == 2
    locked = api.put(f"/training/assessments/{once['id']}", token=instructor, json={"questions": TRUE_FALSE})
    assert_error(locked, 409, "CONFLICT")
    fresh = make_quiz(api, instructor, course["id"], title="Fresh")
    replaced = data_of(
        api.put(
            f"/training/assessments/{fresh['id']}",
            token=instructor,
            json={"questions": TRUE_FALSE + [{"type": "numeric", "prompt": "2+2", "answer": 4}]},
        )
    )
    assert replaced["question_count"] == 2
    assert_error(
        api.put(f"/training/assessments/{fresh['id']}", token=people["other"], json={"passing_score": 1}),
        403,
        "FORBIDDEN",
    )


QUESTIONS = [
    {
        "type": "multiple_choice",
        "prompt": "Which are primes?",
        "points": 3,
        "options": [
            {"text": "2", "correct": True},
            {"text": "3", "correct": True},
            {"text": "5", "correct": True},
            {"text": "4"},
            {"text": "6"},
        ],
        "explanation": "A prime has exactly two divisors",
    },
    {"type": "short_answer", "prompt": "Largest ocean?", "accepted_answers": ["Pacific Ocean"]},
    {"type": "numeric", "prompt": "About ten", "answer": 10, "tolerance": 0.5},
    {"type": "true_false", "prompt": "Water is wet", "correct": True},
    {
        "type": "single_choice",
        "prompt": "Capital of France?",
        "points": 2,
        "options": [{"text": "Lyon"}, {"text": "Paris", "correct": True}],
    },
]


def test_partial_credit_normalised_short_answers_numeric_tolerance_points_and_passing_score(api, people):  # noqa: F811
    instructor, learner = people["instructor"], people["learner"]
    course = published_course(api, instructor)
    data_of(api.post(f"/training/courses/{course['id']}/enroll", token=learner), 201)
    quiz = make_quiz(api, instructor, course["id"], QUESTIONS, passing_score=60, show_answers="after_each_attempt")
    assert quiz["max_points"] == 8
    multiple, short, numeric, true_false, single = quiz["questions"]
    right, wrong = (
        multiple["correct_option_ids"],
        [option["id"] for option in multiple["options"] if option["id"] not in multiple["correct_option_ids"]],
    )

    def attempt(choices, short_text, number):
        start(api, learner, quiz)
        body = {
            "answers": [
                {"question_id": multiple["id"], "answer": choices},
                {"question_id": short["id"], "answer": short_text},
                {"question_id": numeric["id"], "answer": number},
                {"question_id": true_false["id"], "answer": True},
                {"question_id": single["id"], "answer": single["correct_option_ids"][0]},
            ]
        }
        return data_of(submit(api, learner, quiz, body))

    # Two of three right options and one wrong: (2 - 1) / 3 of 3 points. "  PACIFIC   ocean! " matches once
    # normalised; 10.6 is outside 10 +- 0.5. 1 + 1 + 0 + 1 + 2 = 5 of 8 points: 62.5%, passing at 60.
    first = attempt(right[:2] + wrong[:1], "  PACIFIC   ocean! ", 10.6)
    rows = {row["question_id"]: row for row in first["feedback"]}
    assert rows[multiple["id"]]["outcome"] == "partial" and rows[multiple["id"]]["points"] == 1.0
    assert rows[short["id"]]["outcome"] == "correct" and rows[short["id"]]["your_answer"] == "  PACIFIC   ocean! "
    assert rows[numeric["id"]]["outcome"] == "incorrect" and rows[numeric["id"]]["points"] == 0.0
    assert rows[single["id"]]["points"] == 2.0
    assert first["score"] == 62.5 and first["passed"] is True
    # after_each_attempt: the answers and explanations come with the result.
    assert rows[multiple["id"]]["correct_answer"]["correct_option_ids"] == right
    assert rows[multiple["id"]]["correct_answer"]["explanation"] == "A prime has exactly two divisors"

    # Every option chosen: 3 right - 2 wrong = 1 of 3 correct options' worth; 10.4 is within tolerance.
    second = attempt(right + wrong, "Atlantic", 10.4)
    rows = {row["question_id"]: row for row in second["feedback"]}
    assert rows[multiple["id"]]["points"] == 1.0 and rows[short["id"]]["outcome"] == "incorrect"
    assert rows[numeric["id"]]["outcome"] == "correct"
    # Only wrong options: never below zero. 0 + 0 + 1 + 1 + 2 = 4 of 8: 50%, under the passing score.
    third = attempt(wrong, "", 9.5)
    latest = third["attempts"][-1]
    assert latest["points"] == 4.0 and latest["score"] == 50.0 and latest["passed"] is False
    assert {row["question_id"]: row for row in third["feedback"]}[multiple["id"]]["outcome"] == "incorrect"
    assert third["counting_attempt"]["number"] == 1  # highest counts
    # A wrongly typed answer is a clear 400, not a 0.
    start(api, learner, quiz)
    bad = {"answers": [{"question_id": numeric["id"], "answer": "ten"}]}
    assert_error(submit(api, learner, quiz, bad), 400, "VALIDATION_ERROR")


def test_show_answers_policies_and_get_never_reveals_answers(api, people):  # noqa: F811
    instructor, learner = people["instructor"], people["learner"]
    course = published_course(api, instructor)
    data_of(api.post(f"/training/courses/{course['id']}/enroll", token=learner), 201)
    question = [{"type": "short_answer", "prompt": "Say yes", "accepted_answers": ["yes-secret"], "explanation": "xp"}]
    expected = {
        # policy: (shown after a failed first attempt, shown after a passed second and last attempt)
        "never": (False, False),
        "after_each_attempt": (True, True),
        "after_last_attempt": (False, True),
        "once_passed": (False, True),
    }
    for policy, (after_fail, after_pass) in expected.items():
        quiz = make_quiz(api, instructor, course["id"], question, title=policy, show_answers=policy, max_attempts=2)
        qid = quiz["questions"][0]["id"]
        for answer, shown in (("no", after_fail), ("YES-secret", after_pass)):
            start(api, learner, quiz)
            result = data_of(submit(api, learner, quiz, {"answers": [{"question_id": qid, "answer": answer}]}))
            assert result["answers_shown"] is shown, (policy, answer)
            assert ("correct_answer" in result["feedback"][0]) is shown, (policy, answer)
            assert ("yes-secret" in str(result)) is shown, (policy, answer)
            assert data_of(api.get(f"/training/assessments/{quiz['id']}/result", token=learner)) == result
        # Whatever the policy and however it went, GET shows no answer, tolerance or explanation.
        for token in (learner, None):
            public = data_of(api.get(f"/training/assessments/{quiz['id']}", token=token))
            assert "yes-secret" not in str(public) and "accepted_answers" not in public["questions"][0]
            assert "explanation" not in public["questions"][0]
        listed = data_of(api.get(f"/training/courses/{course['id']}/assessments", token=learner))
        assert "yes-secret" not in str(listed)


def test_questions_and_options_are_shuffled_per_attempt_and_kept_while_it_is_open(api, people):  # noqa: F811
    instructor, learner = people["instructor"], people["learner"]
    course = published_course(api, instructor)
    data_of(api.post(f"/training/courses/{course['id']}/enroll", token=learner), 201)
    questions = [{"type": "true_false", "prompt": f"Statement {n}", "correct": True} for n in range(5)] + [
        {"type": "single_choice", "prompt": "Pick", "options": [{"text": str(n), "correct": n == 0} for n in range(6)]}
    ]
    shuffled = make_quiz(api, instructor, course["id"], questions, shuffle_questions=True, shuffle_options=True)
    plain = make_quiz(api, instructor, course["id"], questions, title="Plain")
    authored = [question["id"] for question in shuffled["questions"]]
    authored_options = [option["id"] for option in shuffled["questions"][-1]["options"]]

    question_orders, option_orders = set(), set()
    for _ in range(6):
        attempt = start(api, learner, shuffled)
        order = [question["id"] for question in attempt["questions"]]
        options = [option["id"] for option in next(q for q in attempt["questions"] if "options" in q)["options"]]
        assert sorted(order) == sorted(authored) and sorted(options) == sorted(authored_options)
        resumed = start(api, learner, shuffled)  # the order is stored in the attempt
        assert resumed["id"] == attempt["id"] and resumed["questions"] == attempt["questions"]
        question_orders.add(tuple(order))
        option_orders.add(tuple(options))
        data_of(submit(api, learner, shuffled, {"answers": []}))
    # 720 orders each: six equal draws in a row would be a broken shuffle (odds 1 in 720^5).
    assert len(question_orders) > 1 and len(option_orders) > 1
    for _ in range(2):
        attempt = start(api, learner, plain)
        assert [question["id"] for question in attempt["questions"]] == [q["id"] for q in plain["questions"]]
        assert [o["id"] for o in attempt["questions"][-1]["options"]] == [
            o["id"] for o in plain["questions"][-1]["options"]
        ]
        data_of(submit(api, learner, plain, {"answers": []}))
