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
