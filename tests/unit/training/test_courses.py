"""Course edits under optimistic concurrency, and who sees what."""

import mongomock
import pytest

from common.exceptions import Conflict
from tests.support.callers import from_gateway as caller
from training import courses
from training.store import COURSES, ensure_indexes

OWNER = caller("inst-1", ["instructor"])


@pytest.fixture
def db():
    database = mongomock.MongoClient().db
    ensure_indexes(database)
    return database


def test_an_edit_that_loses_a_race_retries_on_fresh_data(db):
    course = courses.create(db, "inst-1", {"title": "C", "modules": [{"title": "M", "lessons": []}]})
    calls = []

    def add_lesson(current):
        calls.append(1)
        if len(calls) == 1:  # another request adds a module between this read and this write
            db[COURSES].update_one(
                {"_id": course["_id"]},
                {"$push": {"modules": courses.new_module({"title": "N"})}, "$inc": {"version": 1}},
            )
        current["modules"][0]["lessons"].append(courses.new_lesson({"title": "L", "type": "text"}))

    updated = courses.update(db, OWNER, course["_id"], add_lesson)
    assert len(calls) == 2
    assert [module["title"] for module in updated["modules"]] == ["M", "N"]
    assert [lesson["title"] for lesson in updated["modules"][0]["lessons"]] == ["L"]
    assert db[COURSES].find_one({"_id": course["_id"]})["version"] == 3


def test_an_edit_that_always_loses_gives_up_with_409(db):
    course = courses.create(db, "inst-1", {"title": "C"})

    def contended(current):
        db[COURSES].update_one({"_id": course["_id"]}, {"$inc": {"version": 1}})

    with pytest.raises(Conflict):
        courses.update(db, OWNER, course["_id"], contended)


def test_search_text_is_escaped_and_drafts_stay_private(db):
    courses.create(db, "inst-1", {"title": "a+b (advanced)"})
    learner = caller("u1", ["learner"])
    other = caller("inst-2", ["instructor"])
    assert courses.listing(db, OWNER, {"q": "a+b ("}, 0, 10)[1] == 1
    assert courses.listing(db, learner, {"q": "a+b ("}, 0, 10)[1] == 0
    assert courses.listing(db, other, {}, 0, 10)[1] == 0


def test_a_course_cannot_grow_past_what_one_document_holds(db):
    from common.exceptions import ValidationError

    course = courses.create(db, "inst-1", {"title": "Big", "modules": [{"title": "M", "lessons": []}]})
    big = "x" * 100_000

    def add_many(current):
        for index in range(130):
            current["modules"][0]["lessons"].append(
                courses.new_lesson({"title": f"L{index}", "type": "text", "content": big})
            )

    with pytest.raises(ValidationError):
        courses.update(db, OWNER, course["_id"], add_many)
    assert courses.find(db, course["_id"])["modules"][0]["lessons"] == []


def test_authoring_announces_what_changed_with_old_and_new_values_and_long_texts_only_as_changed(db):
    from common import events
    from training import authoring

    admin = caller("admin-1", ["admin"])
    announced = []

    def announce(event_type, **envelope):
        announced.append((event_type, envelope))

    lesson = {"title": "L", "type": "text"}
    course = courses.create(db, "inst-1", {"title": "C", "modules": [{"title": "M", "lessons": [lesson]}]})
    module = course["modules"][0]
    lesson_id = module["lessons"][0]["id"]
    authoring.change_lesson(db, announce, admin, course["_id"], lesson_id, {"title": "L2", "content": "x" * 5000})
    authoring.change_lesson(db, announce, admin, course["_id"], lesson_id, {"title": "L2"})  # nothing changed
    authoring.change(db, announce, admin, course["_id"], {"title": "C2", "description": "d" * 1000, "tags": ["A"]})
    authoring.remove_lesson(db, announce, admin, course["_id"], lesson_id)
    authoring.unpublish(db, announce, admin, course["_id"])  # a draft already: nothing to say
    authoring.delete(db, announce, admin, course["_id"])

    assert [event_type for event_type, _ in announced] == [
        events.LESSON_UPDATED,
        events.COURSE_UPDATED,
        events.LESSON_DELETED,
        events.COURSE_DELETED,
    ]
    lesson_updated, course_updated, lesson_deleted, _ = (envelope for _, envelope in announced)
    # The subject is the course's instructor, whoever edited it (the actor is the envelope's, from the context).
    assert {envelope["user_id"] for _, envelope in announced} == {"inst-1"}
    assert lesson_updated["changes"] == {"title": {"old": "L", "new": "L2"}, "content": {"changed": True}}
    assert lesson_updated["lesson_id"] == lesson_id and lesson_updated["module_id"] == module["id"]
    assert course_updated["changes"] == {
        "title": {"old": "C", "new": "C2"},
        "description": {"changed": True},
        "tags": {"old": [], "new": ["a"]},
    }
    assert lesson_deleted["lesson_title"] == "L2" and lesson_deleted["course_title"] == "C2"
    for event_type, envelope in announced:
        metadata = {key: value for key, value in envelope.items() if key not in ("user_id", "course_id")}
        assert events.metadata_errors(event_type, metadata) == {}, event_type
