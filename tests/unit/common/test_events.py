import pytest

from common import events


def test_event_envelope_has_the_seed_shape_plus_an_id():
    event = events.make_event(events.COURSE_ENROLLED, user_id=42, course_id="c1", source="web")
    assert set(event) == {"event_id", "event_type", "timestamp", "user_id", "course_id", "metadata"}
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
    publishers = {"users", "auth", "training", "coaching", "events", "engagement"}
    assert set(events.CATALOGUE) == events.EVENT_TYPES
    assert {entry.publisher for entry in events.CATALOGUE.values()} == publishers
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
