import pytest

from common import events


def test_event_envelope_has_the_seed_shape_plus_an_id():
    event = events.make_event(events.COURSE_ENROLLED, user_id=42, course_id="c1", source="web")
    assert set(event) == {
        "event_id",
        "event_type",
        "timestamp",
        "user_id",
        "actor_id",
        "request_id",
        "course_id",
        "metadata",
    }
    assert event["actor_id"] is None and event["request_id"] is None  # an operator's or internal call
    assert event["event_type"] == "COURSE_ENROLLED" and event["user_id"] == "42" and event["course_id"] == "c1"
    assert event["timestamp"].endswith("Z") and event["metadata"] == {"source": "web"}
    assert (
        events.make_event(events.USER_REGISTERED)["event_id"] != events.make_event(events.USER_REGISTERED)["event_id"]
    )
    assert "course_id" not in events.make_event(events.USER_REGISTERED, user_id="u")


def test_event_types_are_one_upper_snake_list():
    assert "USER_REGISTERED" in events.EVENT_TYPES and "CERTIFICATE_ISSUED" in events.EVENT_TYPES
    assert all(name == name.upper() and " " not in name for name in events.EVENT_TYPES)
    with pytest.raises(ValueError):
        events.make_event("user_registered")


def test_the_catalogue_names_each_type_with_its_publisher_and_a_metadata_schema():
    publishers = {"users", "auth", "training", "coaching", "events", "notifications", "engagement"}
    assert set(events.CATALOGUE) == events.EVENT_TYPES
    assert {name for entry in events.CATALOGUE.values() for name in entry.publishers} == publishers
    assert events.publisher_of(events.COURSE_COMPLETED) == "training"
    assert events.publisher_of(events.BADGE_AWARDED) == "engagement"
    assert events.metadata_errors(events.COURSE_COMPLETED, {"title": "Go"}) == {}
    assert set(events.metadata_errors(events.COURSE_COMPLETED, {})) == {"title"}
    assert set(events.metadata_errors(events.USER_LOGGED_IN, {"provider": "local", "secret": 1})) == {"secret"}
    assert set(events.metadata_errors(events.EVENT_REMINDER, {"lead_minutes": "soon"})) >= {"lead_minutes"}


def test_an_event_that_does_not_match_the_catalogue_is_logged_and_still_made(caplog):
    with caplog.at_level("ERROR", logger="common.events"):
        event = events.make_event(events.COURSE_ENROLLED, user_id="u1", course_id="c1", title="Go")
    assert event["metadata"] == {"title": "Go"} and not caplog.records
    with caplog.at_level("ERROR", logger="common.events"):
        event = events.make_event(events.COURSE_ENROLLED, user_id="u1", course_id="c1", titel="Go")
    assert event["metadata"] == {"titel": "Go"}
    assert "COURSE_ENROLLED does not match the event catalogue" in caplog.text
    assert "titel" in caplog.text and "title" in caplog.text


def test_an_edit_carries_old_and_new_values_and_only_that_a_big_one_changed():
    from common.changes import changes_between

    before = {"title": "A", "content": "short", "tags": ["x"], "body": "b" * 500, "same": 1, "nested": {"a": 1}}
    after = {"title": "B", "content": "long", "tags": ["x", "y"], "body": "c", "same": 1, "nested": {"a": 2}}
    assert changes_between(before, after, opaque=("content",)) == {
        "title": {"old": "A", "new": "B"},
        "content": {"changed": True},
        "tags": {"old": ["x"], "new": ["x", "y"]},
        "body": {"changed": True},
        "nested": {"changed": True},
    }
    assert changes_between(before, after, ["same", "title"]) == {"title": {"old": "A", "new": "B"}}
    assert changes_between({"status": "draft"}, {"status": "draft"}) == {}
    assert changes_between({}, {"level": "advanced"}) == {"level": {"old": None, "new": "advanced"}}


def test_the_catalogue_names_the_target_of_admin_actions_and_every_publisher_of_setting_changed():
    lesson = events.make_event(
        events.LESSON_DELETED,
        user_id="inst",
        course_id="c1",
        course_title="C",
        module_id="m1",
        module_title="M",
        lesson_id="l1",
        lesson_title="L",
    )
    assert events.target_of(lesson) == ("lesson", "l1")
    assert events.target_of(events.make_event(events.USER_ROLES_CHANGED, user_id="u1", before=[], after=[])) == (
        "user",
        "u1",
    )
    assert events.target_of(events.make_event(events.COURSE_ENROLLED, user_id="u1", course_id="c1")) is None
    assert events.publishers_of(events.SETTING_CHANGED) == events.SETTING_OWNERS
    assert "gateway" not in events.SETTING_OWNERS and "notifications" in events.SETTING_OWNERS
    assert events.SETTING_CHANGED not in events.PUBLISHER_OF
    with pytest.raises(ValueError):
        events.publisher_of(events.SETTING_CHANGED)
    assert events.publishers_of(events.LESSON_UPDATED) == ("training",)
