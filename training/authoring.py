"""Course authoring: changing a course, its modules and lessons, publishing, and courses made from YouTube
playlists. Every edit goes through ``courses.update`` (optimistic concurrency on the course document) and is
announced with what it changed (``common.changes``: old and new values, a lesson's content only as changed)."""

from common import events
from common.changes import changes_between
from common.clock import utcnow
from common.exceptions import ValidationError
from training import courses
from training.store import ASSESSMENTS, COURSES


def create(db, announce, instructor_id, data, **about):
    course = courses.create(db, instructor_id, data)
    announce(events.COURSE_CREATED, user_id=instructor_id, course_id=course["_id"], title=course["title"], **about)
    return course


def change(db, announce, caller, course_id, changes):
    if "tags" in changes:
        changes["tags"] = sorted({tag.strip().lower() for tag in changes["tags"] if tag.strip()})
    before = {}

    def apply(course):
        before.update({key: course.get(key) for key in changes})
        course.update(changes)

    course = courses.update(db, caller, course_id, apply)
    _course_changed(announce, course, changes_between(before, course, sorted(changes)))
    return course


def publish(db, announce, caller, course_id):
    # Whether this request's successful write is the one that published: a retry after losing a race
    # reads the winner's document, so concurrent publishes announce COURSE_PUBLISHED once.
    published_now = {}

    def publish(course):
        if not courses.all_lessons(course):
            raise ValidationError("A course needs at least one lesson to be published", {})
        published_now["value"] = course["status"] != courses.PUBLISHED
        course["status"] = courses.PUBLISHED
        course["published_at"] = course.get("published_at") or utcnow()

    course = courses.update(db, caller, course_id, publish)
    if published_now["value"]:
        announce(events.COURSE_PUBLISHED, user_id=caller.user_id, course_id=course["_id"], title=course["title"])
    return course


def unpublish(db, announce, caller, course_id):
    before = {}

    def apply(course):
        before["status"] = course["status"]
        course["status"] = courses.DRAFT

    course = courses.update(db, caller, course_id, apply)
    _course_changed(announce, course, changes_between(before, course, ["status"]))
    return course


def delete(db, announce, caller, course_id):
    course = courses.editable(db, caller, course_id)
    deleted = db[COURSES].delete_one({"_id": course["_id"]}).deleted_count
    # Its assessments go with it; enrollments, attempts and certificates stay as history.
    db[ASSESSMENTS].delete_many({"course_id": course["_id"]})
    if deleted:  # of two concurrent deletions, the one that deleted it says so
        _about_course(announce, events.COURSE_DELETED, course, title=course["title"])
    return course["_id"]


# -- what authoring announces (``user_id``: the course's instructor; the actor is in the envelope) ---------


def _about_course(announce, event_type, course, **metadata):
    announce(event_type, user_id=course.get("instructor_id"), course_id=course["_id"], **metadata)


def _course_changed(announce, course, changes):
    if changes:
        _about_course(announce, events.COURSE_UPDATED, course, title=course["title"], changes=changes)


def _about_module(announce, event_type, course, module, **metadata):
    _about_course(
        announce,
        event_type,
        course,
        course_title=course["title"],
        module_id=module["id"],
        module_title=module["title"],
        **metadata,
    )


def _about_lesson(announce, event_type, course, module, lesson, **metadata):
    _about_module(
        announce, event_type, course, module, lesson_id=lesson["id"], lesson_title=lesson["title"], **metadata
    )


def _ids(items):
    return [item["id"] for item in items]


# -- modules and lessons -------------------------------------------------------------


def add_module(db, announce, caller, course_id, data):
    module = courses.new_module(data)
    course = courses.update(db, caller, course_id, lambda course: course["modules"].append(module))
    _about_module(announce, events.MODULE_ADDED, course, module)


def change_module(db, announce, caller, course_id, module_id, changes):
    before = {}

    def apply(course):
        module = courses.module_of(course, module_id)
        before.update({key: module.get(key) for key in changes})
        module.update(changes)

    course = courses.update(db, caller, course_id, apply)
    module = courses.module_of(course, module_id)
    found = changes_between(before, module, sorted(changes))
    if found:
        _about_module(announce, events.MODULE_UPDATED, course, module, changes=found)


def remove_module(db, announce, caller, course_id, module_id):
    removed = {}

    def apply(course):
        removed["module"] = courses.module_of(course, module_id)
        course["modules"].remove(removed["module"])

    course = courses.update(db, caller, course_id, apply)
    module = removed["module"]
    _about_module(announce, events.MODULE_DELETED, course, module, lessons=len(module["lessons"]))


def reorder_modules(db, announce, caller, course_id, ids):
    before = {}

    def reorder(course):
        before["module_order"] = _ids(course["modules"])
        course["modules"] = courses.reordered(course["modules"], ids, "module")

    course = courses.update(db, caller, course_id, reorder)
    after = {"module_order": _ids(course["modules"])}
    _course_changed(announce, course, changes_between(before, after))


def add_lesson(db, announce, caller, course_id, module_id, data):
    lesson = courses.new_lesson(data)
    course = courses.update(
        db, caller, course_id, lambda course: courses.module_of(course, module_id)["lessons"].append(lesson)
    )
    _about_lesson(announce, events.LESSON_ADDED, course, courses.module_of(course, module_id), lesson)


def change_lesson(db, announce, caller, course_id, lesson_id, changes):
    before = {}

    def apply(course):
        lesson = courses.lesson_of(course, lesson_id)[1]
        before.update({key: lesson.get(key) for key in changes})
        lesson.update(changes)

    course = courses.update(db, caller, course_id, apply)
    module, lesson = courses.lesson_of(course, lesson_id)
    # A lesson's content may be long: the log records that it changed, not the text.
    found = changes_between(before, lesson, sorted(changes), opaque=("content",))
    if found:
        _about_lesson(announce, events.LESSON_UPDATED, course, module, lesson, changes=found)


def remove_lesson(db, announce, caller, course_id, lesson_id):
    removed = {}

    def remove(course):
        module, lesson = courses.lesson_of(course, lesson_id)
        module["lessons"].remove(lesson)
        removed.update(module=module, lesson=lesson)

    course = courses.update(db, caller, course_id, remove)
    _about_lesson(announce, events.LESSON_DELETED, course, removed["module"], removed["lesson"])


def reorder_lessons(db, announce, caller, course_id, module_id, ids):
    before = {}

    def reorder(course):
        module = courses.module_of(course, module_id)
        before["lesson_order"] = _ids(module["lessons"])
        module["lessons"] = courses.reordered(module["lessons"], ids, "lesson")

    course = courses.update(db, caller, course_id, reorder)
    module = courses.module_of(course, module_id)
    found = changes_between(before, {"lesson_order": _ids(module["lessons"])})
    if found:
        _about_module(announce, events.MODULE_UPDATED, course, module, changes=found)


# -- from a YouTube playlist ---------------------------------------------------------


def course_from_playlist(playlist, title=None, tags=()):
    """A new course's data: one module, "Videos", with a YouTube lesson per public video of the playlist."""
    if not playlist["videos"]:
        raise ValidationError("The playlist has no public videos", {"playlist_url": ["empty playlist"]})
    lessons = [
        {
            "title": video["title"][:200],
            "type": "youtube",
            "content": video["description"][:100_000],
            "media_url": f"https://www.youtube.com/watch?v={video['youtube_id']}",
            "youtube_id": video["youtube_id"],
            "duration_seconds": min(video["duration_seconds"], 24 * 3600),
            "preview": False,
            "required": True,
        }
        for video in playlist["videos"]
    ]
    return {
        "title": (title or playlist["title"])[:200],
        "description": playlist["description"][:20_000],
        "tags": list(tags),
        "modules": [{"title": "Videos", "description": "", "lessons": lessons}],
    }


def import_playlist(db, announce, youtube_api, instructor_id, playlist_id, title=None, tags=()):
    playlist = youtube_api.import_playlist(playlist_id)
    course = create(db, announce, instructor_id, course_from_playlist(playlist, title, tags), source="youtube")
    view = courses.course_view(course, show_content=True)
    view["course_title"] = view["title"]  # clients of the videos routes read this name
    return view
