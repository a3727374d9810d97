"""The admin activity log over HTTP: an admin's actions (a setting changed and one created, a lesson edited and
deleted, roles changed, an account disabled, a certificate revoked) are logged with who did them (the actor, not
the subject), the X-Request-ID the gateway answered for each write, the target and the old and new values; the
log filters by actor, action, target, request and period, exports CSV, and is for admins only.
``POST /admin/settings`` sets a declared setting once (201), then 409; unknown keys and bad values are 400."""

import csv
import io

from common.accounts import DISABLED
from common.clock import isoformat, utcnow
from tests.e2e.test_account_flow import assert_error
from tests.e2e.test_engagement import data, logs, wait_until
from tests.e2e.test_training_certificates import certified_learner


def test_admin_actions_are_logged_with_actor_request_id_target_and_old_and_new_values(api, platform):
    people, certificate = certified_learner(api, platform)
    admin, learner_id, instructor = people["admin"], people["learner"]["id"], people["instructor"]
    admin_id = data(api.get("/users/profile", token=admin))["id"]
    course = data(api.get(f"/training/courses/{certificate['course_id']}", token=admin))
    lesson = course["modules"][0]["lessons"][0]
    lesson_path = f"/training/courses/{course['id']}/lessons/{lesson['id']}"
    start = isoformat(utcnow())
    request_of = {}  # (action, target id) -> the X-Request-ID the gateway answered for that write

    def write(action, target_id, response, status=200):
        assert response.status_code == status, response.text
        request_of[(action, target_id)] = response.headers["X-Request-ID"]
        return response.json()["data"]

    # Settings: PUT changes one; POST sets one not set yet, once.
    write(
        "SETTING_CHANGED",
        "engagement.points_enroll",
        api.put("/admin/settings/engagement.points_enroll", token=admin, json={"value": 25}),
    )
    new_setting = {"key": "training.video_complete_percent", "value": 80}
    created = write(
        "SETTING_CHANGED", new_setting["key"], api.post("/admin/settings", token=admin, json=new_setting), 201
    )
    assert created["key"] == new_setting["key"] and created["value"] == 80
    assert data(api.get(f"/admin/settings/{new_setting['key']}", token=admin))["value"] == 80
    assert_error(api.post("/admin/settings", token=admin, json={**new_setting, "value": 70}), 409, "CONFLICT")
    for body in (
        {"key": "training.no_such_setting", "value": 1},
        {"key": "nowhere.points", "value": 1},
        {"key": "training.attendance_min_seconds", "value": "an hour"},
        {"key": "training.attendance_min_seconds", "value": 0},
        {"key": "training.attendance_min_seconds"},
    ):
        assert_error(api.post("/admin/settings", token=admin, json=body), 400, "VALIDATION_ERROR")
    assert_error(api.post("/admin/settings", token=instructor, json=new_setting), 403, "FORBIDDEN")

    # A lesson edited and deleted, roles changed, an account disabled, a certificate revoked.
    write("LESSON_UPDATED", lesson["id"], api.put(lesson_path, token=admin, json={"title": "Hello", "content": "New"}))
    write("LESSON_DELETED", lesson["id"], api.delete(lesson_path, token=admin))
    roles = {"roles": ["learner", "coach"]}
    write("USER_ROLES_CHANGED", learner_id, api.put(f"/users/{learner_id}/roles", token=admin, json=roles))
    write("USER_DISABLED", learner_id, api.put(f"/users/{learner_id}", token=admin, json={"status": DISABLED}))
    revoke = api.post(f"/training/certificates/{certificate['id']}/revoke", token=admin, json={"reason": "Audit"})
    write("CERTIFICATE_REVOKED", certificate["id"], revoke)

    # Events are consumed asynchronously: the admin's entries show up shortly.
    def logged():
        items = logs(api, admin, actor_id=admin_id, since=start)["items"]
        found = {(entry["action"], entry["target"]["id"]): entry for entry in items if entry["target"]}
        return found if set(request_of) <= set(found) else None

    found = wait_until(logged, timeout=10)
    until = isoformat(utcnow())
    for key, request_id in request_of.items():
        entry = found[key]
        assert entry["actor_id"] == admin_id and entry["request_id"] == request_id, entry
        assert entry["event_type"] == entry["action"] == key[0]
    setting = found[("SETTING_CHANGED", "engagement.points_enroll")]
    assert setting["target"]["type"] == "setting" and setting["service"] == "engagement"
    assert setting["changes"] == {"value": {"old": 10, "new": 25}} and setting["user_id"] is None
    assert found[("SETTING_CHANGED", new_setting["key"])]["changes"] == {"value": {"old": 90, "new": 80}}
    assert found[("SETTING_CHANGED", new_setting["key"])]["metadata"]["created"] is True
    edited = found[("LESSON_UPDATED", lesson["id"])]
    assert edited["target"] == {"type": "lesson", "id": lesson["id"]} and edited["course_id"] == course["id"]
    assert edited["changes"] == {"title": {"old": "Hi", "new": "Hello"}, "content": {"changed": True}}
    roles_changed = found[("USER_ROLES_CHANGED", learner_id)]
    # The subject is the learner, the actor the admin.
    assert roles_changed["user_id"] == learner_id and roles_changed["target"] == {"type": "user", "id": learner_id}
    assert roles_changed["changes"] == {"roles": {"old": ["learner"], "new": ["learner", "coach"]}}
    assert found[("USER_DISABLED", learner_id)]["changes"] == {"status": {"old": "active", "new": DISABLED}}
    revoked = found[("CERTIFICATE_REVOKED", certificate["id"])]
    assert revoked["target"]["type"] == "certificate" and revoked["user_id"] == learner_id

    # Filters: action (and its older name type), target, request, period; newest first.
    (only,) = logs(api, admin, action="LESSON_UPDATED")["items"]
    assert only["id"] == edited["id"]
    assert logs(api, admin, type="LESSON_UPDATED")["items"] == [only]
    on_lesson = logs(api, admin, target_type="lesson", target_id=lesson["id"])["items"]
    assert [entry["action"] for entry in on_lesson] == ["LESSON_DELETED", "LESSON_UPDATED"]
    settings = logs(api, admin, target_type="setting")["items"]
    assert {entry["target"]["id"] for entry in settings} == {"engagement.points_enroll", new_setting["key"]}
    by_request = logs(api, admin, request_id=request_of[("LESSON_DELETED", lesson["id"])])["items"]
    assert [entry["action"] for entry in by_request] == ["LESSON_DELETED"]
    in_period = logs(api, admin, actor_id=admin_id, since=start, until=until)["items"]
    assert {entry["request_id"] for entry in in_period} == set(request_of.values())  # USER_UPDATED with the disable
    before = logs(api, admin, actor_id=admin_id, until=start)["items"]
    assert before and not {entry["request_id"] for entry in before} & set(request_of.values())
    assert logs(api, admin, actor_id=admin_id, **{"from": until, "to": until})["total"] == 0
    assert_error(api.get("/admin/logs", token=admin, params={"since": until, "until": start}), 400, "VALIDATION_ERROR")

    # CSV: with ?format=csv or Accept: text/csv, every selected entry.
    query = {"actor_id": admin_id, "since": start}
    for response in (
        api.get("/admin/logs", token=admin, params={**query, "format": "csv"}),
        api.get("/admin/logs", token=admin, params=query, headers={"Accept": "text/csv"}),
    ):
        assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert {(row["action"], row["target_id"], row["request_id"]) for row in rows} >= {
            (action, target_id, request_id) for (action, target_id), request_id in request_of.items()
        }
        assert all(row["actor_id"] == admin_id for row in rows)
        assert '"old": "Hi"' in next(row["changes"] for row in rows if row["action"] == "LESSON_UPDATED")

    # Admins only.
    assert_error(api.get("/admin/logs", token=instructor), 403, "FORBIDDEN")
    assert_error(api.get("/admin/logs", token=instructor, params={"format": "csv"}), 403, "FORBIDDEN")
