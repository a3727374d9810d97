"""Issue 15's instructor side over HTTP: a course's learners, their progress and its CSV export."""

import csv
import io

from tests.e2e.test_account_flow import ADMIN, assert_error, create_admin
from tests.e2e.test_training_flow import data_of
from tests.e2e.test_users import make_user
from tests.support.watching import plays_started_ago


def small_course(api, instructor, lessons):
    course = data_of(
        api.post(
            "/training/courses",
            token=instructor,
            json={
                "title": "Watching well",
                "description": "Two lessons",
                "modules": [{"title": "M", "lessons": lessons}],
            },
        ),
        201,
    )
    data_of(api.post(f"/training/courses/{course['id']}/publish", token=instructor))
    return course


def test_instructor_sees_each_learners_progress_and_exports_it_as_csv(api, platform):
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    _, instructor = make_user(api, admin, "ivy@example.com", "Ivy Instructor", roles=["instructor"])
    _, other_instructor = make_user(api, admin, "oto@example.com", "Oto Instructor", roles=["instructor"])
    ann_profile, ann = make_user(api, admin, "ann@example.com", "Ann Learner")
    bob_profile, bob = make_user(api, admin, "bob@example.com", "Bob Learner")
    course = small_course(
        api, instructor, [{"title": "Read me", "content": "Hi"}, {"title": "And me", "content": "Bye"}]
    )
    first, second = (lesson["id"] for lesson in course["modules"][0]["lessons"])
    for token in (ann, bob):
        data_of(api.post(f"/training/courses/{course['id']}/enroll", token=token), 201)
    for lesson_id in (first, second):
        data_of(api.post(f"/training/lessons/{lesson_id}/complete", token=ann))
    data_of(api.post(f"/training/lessons/{first}/complete", token=bob))
    certificate = data_of(api.get("/training/certificates/me", token=ann))["items"][0]

    path = f"/training/courses/{course['id']}/learners"
    page = data_of(api.get(path, token=instructor, params={"sort": "progress", "order": "desc"}))
    assert page["total"] == 2 and page["page"] == 1 and len(page["items"]) == 2
    top, rest = page["items"]
    assert top["user_id"] == ann_profile["id"] and top["name"] == "Ann Learner" and top["progress"] == 100.0
    assert top["lessons_done"] == 2 and top["certificate_id"] == certificate["id"] and top["status"] == "completed"
    assert rest["user_id"] == bob_profile["id"] and rest["progress"] == 50.0 and rest["certificate_id"] is None
    assert rest["lessons_done"] == 1 and rest["best_score"] is None and rest["watch_seconds"] == 0
    by_name = data_of(api.get(path, token=admin, params={"sort": "name", "order": "desc", "page_size": 1}))
    assert [row["name"] for row in by_name["items"]] == ["Bob Learner"] and by_name["total"] == 2
    ascending = data_of(api.get(path, token=instructor, params={"sort": "progress", "order": "asc"}))
    assert [row["user_id"] for row in ascending["items"]] == [bob_profile["id"], ann_profile["id"]]

    detail = data_of(api.get(f"{path}/{bob_profile['id']}", token=instructor))
    assert [(row["lesson_id"], row["completed"]) for row in detail["lessons"]] == [(first, True), (second, False)]

    # The CSV: by ?format=csv or by Accept, a header and one row per learner.
    for response in (
        api.get(path, token=instructor, params={"format": "csv", "sort": "name", "order": "asc"}),
        api.get(path, token=instructor, params={"sort": "name", "order": "asc"}, headers={"Accept": "text/csv"}),
    ):
        assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(response.text)))
        assert rows[0][:3] == ["user_id", "name", "email"] and len(rows) == 3
        assert [row[1] for row in rows[1:]] == ["Ann Learner", "Bob Learner"]
        assert rows[1][rows[0].index("certificate_id")] == certificate["id"]

    # Only the course's instructor and admins; an unknown course is 404.
    assert_error(api.get(path, token=other_instructor), 403, "FORBIDDEN")
    assert_error(api.get(path, token=ann), 403, "FORBIDDEN")
    assert_error(api.get(f"{path}/{ann_profile['id']}", token=other_instructor), 403, "FORBIDDEN")
    assert_error(api.get("/training/courses/no-such-course/learners", token=admin), 404, "NOT_FOUND")
    assert_error(api.get(f"{path}/{ann_profile['id']}x", token=instructor), 404, "NOT_FOUND")


def test_a_video_completes_at_ninety_percent_watched_and_an_implausible_pause_is_refused(api, platform):
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    _, instructor = make_user(api, admin, "ivy@example.com", "Ivy Instructor", roles=["instructor"])
    _, learner = make_user(api, admin, "lee@example.com", "Lee Learner")
    video = {"title": "Five minutes", "type": "youtube", "youtube_id": "dQw4w9WgXcQ", "duration_seconds": 300}
    course = small_course(api, instructor, [video])
    video_id = course["modules"][0]["lessons"][0]["id"]
    data_of(api.post(f"/training/courses/{course['id']}/enroll", token=learner), 201)

    def watch(start, end, seconds, ago):
        data_of(api.post("/training/progress", token=learner, json={"video_id": video_id, "start_time": start}))
        plays_started_ago(platform, ago)
        pause = {"video_id": video_id, "end_time": end, "watchtime_seconds": seconds}
        return api.post("/training/progress", token=learner, json=pause)

    # 60 s of a 300 s video: not complete, and completing it by hand is refused.
    assert data_of(watch("10:00:00", "10:01:00", 60, ago=60))["lesson_completed"] is False
    assert_error(api.post(f"/training/lessons/{video_id}/complete", token=learner), 400, "VALIDATION_ERROR")
    progress = data_of(api.get(f"/training/courses/{course['id']}/progress", token=learner))
    assert progress["progress"] == 0.0 and progress["missing"]["lessons"] == [video_id]

    # A pause claiming 200 s only 10 s after its play is refused, and counts nothing.
    assert_error(watch("10:05:00", "10:08:20", 200, ago=10), 400, "VALIDATION_ERROR")
    plays_started_ago(platform, 200)  # the same play, now long enough ago: the pause is plausible
    pause = {"video_id": video_id, "end_time": "10:08:40", "watchtime_seconds": 220}
    assert_error(api.post("/training/progress", token=learner, json=pause), 400, "VALIDATION_ERROR")  # > 200 s
    done = data_of(
        api.post("/training/progress", token=learner, json=dict(pause, end_time="10:08:20", watchtime_seconds=200))
    )
    assert done["watch_seconds"] == 260 and done["lesson_completed"] is False  # 260 < 90 % of 300

    # 20 s more (280 s in all, over 270 s): the lesson and, here, the course are complete.
    assert data_of(watch("10:10:00", "10:10:20", 20, ago=20))["lesson_completed"] is True
    progress = data_of(api.get(f"/training/courses/{course['id']}/progress", token=learner))
    assert progress["progress"] == 100.0 and progress["status"] == "completed"
