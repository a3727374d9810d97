"""Course authoring: changing a course, its modules and lessons, publishing, and courses made from YouTube
playlists. Every edit goes through ``courses.update`` (optimistic concurrency on the course document)."""

from common import events
from common.clock import utcnow
from common.exceptions import ValidationError
from training import courses
from training.store import ASSESSMENTS, COURSES


def create(db, announce, instructor_id, data, **about):
    course = courses.create(db, instructor_id, data)
    announce(events.COURSE_CREATED, user_id=instructor_id, course_id=course["_id"], title=course["title"], **about)
    return course


def change(db, caller, course_id, changes):
    if "tags" in changes:
        changes["tags"] = sorted({tag.strip().lower() for tag in changes["tags"] if tag.strip()})
    return courses.update(db, caller, course_id, lambda course: course.update(changes))


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


def unpublish(db, caller, course_id):
    return courses.update(db, caller, course_id, lambda course: course.update(status=courses.DRAFT))


def delete(db, caller, course_id):
    course = courses.editable(db, caller, course_id)
    db[COURSES].delete_one({"_id": course["_id"]})
    # Its assessments go with it; enrollments, attempts and certificates stay as history.
    db[ASSESSMENTS].delete_many({"course_id": course["_id"]})
    return course["_id"]


# -- modules and lessons -------------------------------------------------------------


def add_module(db, caller, course_id, data):
    module = courses.new_module(data)
    courses.update(db, caller, course_id, lambda course: course["modules"].append(module))


def change_module(db, caller, course_id, module_id, changes):
    courses.update(db, caller, course_id, lambda course: courses.module_of(course, module_id).update(changes))


def remove_module(db, caller, course_id, module_id):
    courses.update(db, caller, course_id, lambda course: course["modules"].remove(courses.module_of(course, module_id)))


def reorder_modules(db, caller, course_id, ids):
    def reorder(course):
        course["modules"] = courses.reordered(course["modules"], ids, "module")

    courses.update(db, caller, course_id, reorder)


def add_lesson(db, caller, course_id, module_id, data):
    lesson = courses.new_lesson(data)
    courses.update(db, caller, course_id, lambda course: courses.module_of(course, module_id)["lessons"].append(lesson))


def change_lesson(db, caller, course_id, lesson_id, changes):
    courses.update(db, caller, course_id, lambda course: courses.lesson_of(course, lesson_id)[1].update(changes))


def remove_lesson(db, caller, course_id, lesson_id):
    def remove(course):
        module, lesson = courses.lesson_of(course, lesson_id)
        module["lessons"].remove(lesson)

    courses.update(db, caller, course_id, remove)


def reorder_lessons(db, caller, course_id, module_id, ids):
    def reorder(course):
        module = courses.module_of(course, module_id)
        module["lessons"] = courses.reordered(module["lessons"], ids, "lesson")

    courses.update(db, caller, course_id, reorder)


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
