"""Courses with nested modules and lessons (document shape), and who may see what.

A course is one document; edits read it, change it in Python and write it
back on the condition that its ``version`` is unchanged, so two concurrent
edits never lose one another's changes (the loser retries on fresh data).
"""

import re

import bson
import pymongo

from common.clock import isoformat, utcnow
from common.exceptions import Conflict, Forbidden, NotFound, ValidationError
from common.roles import INSTRUCTOR
from training.contracts import DRAFT, PUBLISHED, VIDEO_TYPES
from training.store import COURSES, ENROLLMENTS, new_id
from training.watchtime import hhmmss

EDIT_RETRIES = 5
MAX_COURSE_BYTES = 12 * 1024 * 1024
HIDDEN_LESSON_FIELDS = ("content", "media_url", "youtube_id", "media_id")


def new_lesson(data):
    lesson = dict(data, id=new_id())
    if lesson["type"] == "youtube" and lesson.get("youtube_id") and not lesson.get("media_url"):
        lesson["media_url"] = f"https://www.youtube.com/watch?v={lesson['youtube_id']}"
    return lesson


def new_module(data):
    return {
        "id": new_id(),
        "title": data["title"],
        "description": data.get("description", ""),
        "lessons": [new_lesson(lesson) for lesson in data.get("lessons", [])],
    }


def renumber(course):
    for module_order, module in enumerate(course["modules"], start=1):
        module["order"] = module_order
        for lesson_order, lesson in enumerate(module["lessons"], start=1):
            lesson["order"] = lesson_order
    return course


def check_size(course):
    """A course is one document: refuse growth past what MongoDB stores (16 MB) with a clear 400."""
    if len(bson.encode(course)) > MAX_COURSE_BYTES:
        raise ValidationError("The course is too large; split it into several courses", {"course": ["too large"]})


def create(db, instructor_id, data):
    now = utcnow()
    course = {
        "_id": new_id(),
        "title": data["title"],
        "description": data.get("description", ""),
        "tags": sorted({tag.strip().lower() for tag in data.get("tags", []) if tag.strip()}),
        "category": data.get("category"),
        "level": data.get("level"),
        "status": DRAFT,
        "instructor_id": str(instructor_id) if instructor_id else None,
        "modules": [new_module(module) for module in data.get("modules", [])],
        "version": 1,
        "created_at": now,
        "updated_at": now,
        "published_at": None,
    }
    renumber(course)
    check_size(course)
    db[COURSES].insert_one(course)
    return course


def find(db, course_id):
    course = db[COURSES].find_one({"_id": str(course_id)})
    if course is None:
        raise NotFound("No such course")
    return course


def can_edit(caller, course):
    return caller.is_admin or (caller.user_id is not None and caller.user_id == course.get("instructor_id"))


def visible(db, caller, course_id):
    """The course if the caller may see it; drafts are only for their instructor and admins."""
    course = find(db, course_id)
    if course["status"] != PUBLISHED and not can_edit(caller, course):
        raise NotFound("No such course")
    return course


def editable(db, caller, course_id):
    course = find(db, course_id)
    if not can_edit(caller, course):
        if course["status"] != PUBLISHED:
            raise NotFound("No such course")
        raise Forbidden("Only the course's instructor or an admin may change it")
    return course


def is_enrolled(db, user_id, course_id):
    if user_id is None:
        return False
    return db[ENROLLMENTS].count_documents({"user_id": user_id, "course_id": str(course_id)}, limit=1) > 0


def can_read_lessons(db, caller, course):
    return can_edit(caller, course) or is_enrolled(db, caller.user_id, course["_id"])


def update(db, caller, course_id, change):
    """Apply ``change(course)`` (which edits the document in place) under optimistic concurrency."""
    for _ in range(EDIT_RETRIES):
        course = editable(db, caller, course_id)
        version = course["version"]
        result = change(course)
        renumber(course)
        check_size(course)
        course["version"] = version + 1
        course["updated_at"] = utcnow()
        replaced = db[COURSES].replace_one({"_id": course["_id"], "version": version}, course)
        if replaced.matched_count:
            return course if result is None else result
    raise Conflict("The course changed while it was being edited; try again")


def module_of(course, module_id):
    for module in course["modules"]:
        if module["id"] == module_id:
            return module
    raise NotFound("No such module in this course")


def lesson_of(course, lesson_id):
    for module in course["modules"]:
        for lesson in module["lessons"]:
            if lesson["id"] == lesson_id:
                return module, lesson
    raise NotFound("No such lesson in this course")


def reordered(items, ids, what):
    by_id = {item["id"]: item for item in items}
    if sorted(ids) != sorted(by_id) or len(set(ids)) != len(ids):
        raise ValidationError(f"Give every {what} id of the course exactly once", {"ids": ["must list each id once"]})
    return [by_id[item_id] for item_id in ids]


def all_lessons(course):
    return [lesson for module in course["modules"] for lesson in module["lessons"]]


def required_lesson_ids(course):
    return {lesson["id"] for lesson in all_lessons(course) if lesson.get("required", True)}


def course_of_lesson(db, lesson_id):
    course = db[COURSES].find_one({"modules.lessons.id": str(lesson_id)})
    if course is None:
        raise NotFound("No such lesson")
    return course


def lesson_view(lesson, show_content):
    view = {key: value for key, value in lesson.items()}
    view["content_locked"] = not (show_content or lesson.get("preview"))
    if view["content_locked"]:
        for key in HIDDEN_LESSON_FIELDS:
            view.pop(key, None)
    return view


def course_view(course, show_content=False, with_modules=True):
    lessons = all_lessons(course)
    view = {
        "id": course["_id"],
        "title": course["title"],
        "description": course.get("description", ""),
        "tags": course.get("tags", []),
        "category": course.get("category"),
        "level": course.get("level"),
        "status": course["status"],
        "instructor_id": course.get("instructor_id"),
        "module_count": len(course["modules"]),
        "lesson_count": len(lessons),
        "duration_seconds": sum(lesson.get("duration_seconds") or 0 for lesson in lessons),
        "created_at": isoformat(course["created_at"]),
        "updated_at": isoformat(course["updated_at"]),
        "published_at": isoformat(course.get("published_at")),
    }
    if with_modules:
        view["modules"] = [
            {
                "id": module["id"],
                "title": module["title"],
                "description": module.get("description", ""),
                "order": module["order"],
                "lessons": [lesson_view(lesson, show_content) for lesson in module["lessons"]],
            }
            for module in course["modules"]
        ]
    return view


def listing_filter(caller, query):
    clauses = []
    if caller.is_admin:
        if "status" in query:
            clauses.append({"status": query["status"]})
    elif caller.has_any_role(INSTRUCTOR):
        own = {"instructor_id": caller.user_id}
        if query.get("status") == DRAFT:
            clauses.append({"status": DRAFT, **own})
        elif query.get("status") == PUBLISHED:
            clauses.append({"status": PUBLISHED})
        else:
            clauses.append({"$or": [{"status": PUBLISHED}, own]})
    else:
        clauses.append({"status": PUBLISHED})
    if query.get("mine"):
        clauses.append({"instructor_id": caller.user_id})
    if "q" in query:
        pattern = re.escape(query["q"])
        clauses.append(
            {
                "$or": [
                    {"title": {"$regex": pattern, "$options": "i"}},
                    {"description": {"$regex": pattern, "$options": "i"}},
                ]
            }
        )
    if "tag" in query:
        clauses.append({"tags": query["tag"].strip().lower()})
    for key in ("category", "level", "instructor_id"):
        if key in query:
            clauses.append({key: str(query[key])})
    return {"$and": clauses} if clauses else {}


def listing(db, caller, query, offset, limit):
    selector = listing_filter(caller, query)
    total = db[COURSES].count_documents(selector)
    cursor = db[COURSES].find(selector).sort([("created_at", pymongo.DESCENDING), ("_id", pymongo.ASCENDING)])
    return [course_view(course, with_modules=False) for course in cursor.skip(offset).limit(limit)], total


# -- what a reader sees -------------------------------------------------------------


def reader_view(db, caller, course_id):
    """The course as the caller may read it, with whether they are enrolled."""
    course = visible(db, caller, course_id)
    view = course_view(course, show_content=can_read_lessons(db, caller, course))
    view["enrolled"] = is_enrolled(db, caller.user_id, course["_id"])
    return view


def lessons_of(db, caller, course_id):
    course = visible(db, caller, course_id)
    show = can_read_lessons(db, caller, course)
    return [
        dict(lesson_view(lesson, show), module_id=module["id"], module_title=module["title"])
        for module in course["modules"]
        for lesson in module["lessons"]
    ]


def videos_of(db, caller, course_id):
    """The course's video lessons, with the names clients of the videos routes read."""
    course = visible(db, caller, course_id)
    show = can_read_lessons(db, caller, course)
    videos = []
    for module in course["modules"]:
        for lesson in module["lessons"]:
            if lesson.get("type") in VIDEO_TYPES:
                view = lesson_view(lesson, show)
                view.update(
                    module_id=module["id"],
                    video_link=view.get("media_url"),
                    duration=hhmmss(lesson.get("duration_seconds") or 0),
                )
                videos.append(view)
    return videos
