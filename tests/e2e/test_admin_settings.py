"""Runtime settings created over HTTP: a declared key not set yet (201), set already (409), unknown (400)."""

from tests.e2e.test_account_flow import ADMIN, assert_error, create_admin
from tests.e2e.test_users import make_user


def test_an_admin_creates_a_declared_setting_once_in_sql_and_mongo_services(api, platform):
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    # auth keeps its settings in PostgreSQL, training in MongoDB.
    for key, value in (("auth.max_failed_logins", 7), ("training.attendance_min_seconds", 600)):
        created = api.post("/admin/settings", token=admin, json={"key": key, "value": value})
        assert created.status_code == 201, created.text
        assert created.json()["data"]["key"] == key and created.json()["data"]["value"] == value
        assert api.get(f"/admin/settings/{key}", token=admin).json()["data"]["value"] == value
        again = api.post("/admin/settings", token=admin, json={"key": key, "value": value + 1})
        assert_error(again, 409, "CONFLICT")
        assert api.get(f"/admin/settings/{key}", token=admin).json()["data"]["value"] == value  # unchanged
    for body in (
        {"key": "auth.no_such_setting", "value": 1},  # the service declares no such key
        {"key": "nosuchservice.x", "value": 1},
        {"key": "training.video_complete_percent", "value": "many"},  # not its type
        {"key": "training.video_complete_percent"},
    ):
        assert_error(api.post("/admin/settings", token=admin, json=body), 400, "VALIDATION_ERROR")
    _, learner = make_user(api, admin, "lou@example.com", "Lou")
    refused = api.post("/admin/settings", token=learner, json={"key": "auth.lockout_seconds", "value": 1})
    assert_error(refused, 403, "FORBIDDEN")
