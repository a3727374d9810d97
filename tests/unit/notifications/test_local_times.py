from datetime import UTC, datetime

from common import events as e
from notifications.local_times import local_time
from notifications.templates import render

START = "2026-12-08T10:00:00Z"


def test_an_instant_is_written_in_the_readers_zone_and_language_with_the_zone_named():
    assert local_time(START, "Asia/Tokyo", "en") == "Tuesday, December 8, 2026 7:00 PM (Asia/Tokyo)"
    assert local_time(START, "Asia/Tokyo", "en-GB") == "Tuesday, 8 December 2026 19:00 (Asia/Tokyo)"
    assert local_time(START, "Europe/Paris", "fr") == "mardi 8 décembre 2026 11:00 (Europe/Paris)"
    assert local_time(datetime(2026, 12, 8, 10, tzinfo=UTC), "America/New_York", "de") == (
        "Dienstag, 8. Dezember 2026 05:00 (America/New_York)"
    )


def test_without_a_zone_or_language_or_with_unknown_ones_it_is_utc_in_english():
    assert local_time(START) == "Tuesday, December 8, 2026 10:00 AM (UTC)"
    assert local_time(START, "Mars/Olympus", "xx-YY") == "Tuesday, December 8, 2026 10:00 AM (UTC)"
    assert local_time("not a time", "Asia/Tokyo") == "not a time"


def test_a_message_writes_its_start_for_each_reader():
    event = {"event_type": e.EVENT_REMINDER, "metadata": {"title": "Kickoff", "starts_at": START}}
    assert render(event, "Asia/Tokyo", "en").text == "Kickoff starts Tuesday, December 8, 2026 7:00 PM (Asia/Tokyo)."
    assert "10:00 AM (UTC)" in render(event).text
    assert START not in render(event, "Asia/Tokyo").text
