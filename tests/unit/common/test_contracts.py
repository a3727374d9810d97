"""An RPC loads its keyword arguments through its contract."""

import pytest
from marshmallow import fields, validate

from common.contracts import Contract, accepted_names, accepts
from common.exceptions import ValidationError


class Booking(Contract):
    start = fields.DateTime(required=True)
    seats = fields.Integer(load_default=1, validate=validate.Range(min=1))
    note = fields.String()


class Change(Contract):
    note = fields.String(allow_none=True)
    seats = fields.Integer()


class Service:
    @accepts(Booking)
    def book(self, room_id, start, seats, note=None):
        return room_id, start, seats, note

    @accepts(Change, changes="changes")
    def change(self, room_id, changes):
        return room_id, changes


def test_fields_arrive_loaded_and_other_parameters_as_given():
    room_id, start, seats, note = Service().book(room_id="r1", start="2026-01-02T10:00:00Z")
    assert (room_id, start.year, start.tzinfo is not None, seats, note) == ("r1", 2026, True, 1, None)
    assert Service().book("r2", "2026-01-02T10:00:00Z", 3)[::2] == ("r2", 3)


def test_unknown_and_invalid_fields_are_a_validation_error():
    with pytest.raises(ValidationError) as raised:
        Service().book(room_id="r1", start="2026-01-02T10:00:00Z", colour="red")
    assert "colour" in raised.value.details["fields"]
    with pytest.raises(ValidationError):
        Service().book(room_id="r1", start="2026-01-02T10:00:00Z", seats=0)
    with pytest.raises(ValidationError):
        Service().book(room_id="r1")
    with pytest.raises(ValidationError):
        Service().book("r1", "2026-01-02T10:00:00Z", 1, "n", "extra")


def test_changes_hold_only_the_fields_given():
    assert Service().change(room_id="r1", note=None) == ("r1", {"note": None})
    assert Service().change(room_id="r1") == ("r1", {})


def test_accepted_names_are_the_contract_fields_and_the_parameters():
    assert accepted_names(Service.book) == {"room_id", "start", "seats", "note"}
    assert accepted_names(Service.change) == {"room_id", "note", "seats"}


def test_a_method_missing_a_field_of_its_contract_is_refused_at_import():
    with pytest.raises(AssertionError):

        @accepts(Booking)
        def book(self, start, seats):
            pass

    with pytest.raises(AssertionError):

        @accepts(Booking)
        def book_without_default(self, start, seats, note):
            pass
