"""A course's learners as its instructor sees them: progress, watch time, quiz scores and certificate of each.

One page of enrollments is read from MongoDB, then its watch time, attempts and
certificates in one query each, and the learners' names in one batched
``users.get_accounts`` call (``names_of``). Sorting by name needs every
learner's name first, so that sort asks users for the whole roster (still one
call per ``MAX_PAGE_SIZE`` learners).
"""

import base64
import csv
import io

from common.clock import isoformat
from common.exceptions import Forbidden, NotFound
from common.pagination import MAX_PAGE_SIZE, offset_of, page_of
from training import courses, watchtime
from training.store import ASSESSMENTS, ATTEMPTS, CERTIFICATES, ENROLLMENTS, WATCH

SORT_FIELDS = {"progress": "progress", "last_activity": "last_activity_at", "enrolled": "enrolled_at"}
CSV_COLUMNS = (
    "user_id",
    "name",
    "email",
    "status",
    "progress",
    "lessons_done",
    "lessons_total",
    "last_activity_at",
    "watch_seconds",
    "best_score",
    "latest_score",
    "certificate_id",
)


def course_for_staff(db, caller, course_id):
    """The course when the caller is its instructor or an admin: 404 for an unknown course, 403 for others."""
    course = courses.find(db, course_id)
    if not courses.can_edit(caller, course):
        raise Forbidden("Only the course's instructor or an admin sees its learners")
    return course


def _names(names_of, user_ids):
    found = {}
    for start in range(0, len(user_ids), MAX_PAGE_SIZE):
        found.update(names_of(user_ids[start : start + MAX_PAGE_SIZE]) or {})
    return found


def _enrollment_page(db, course_id, sort, order, page, page_size, names_of):
    """(enrollments of the page, total, {user_id: account})."""
    selector = {"course_id": course_id}
    direction = -1 if order == "desc" else 1
    total = db[ENROLLMENTS].count_documents(selector)
    if sort == "name":
        everyone = list(db[ENROLLMENTS].find(selector))
        accounts = _names(names_of, [row["user_id"] for row in everyone])
        everyone.sort(key=lambda row: (_name_of(accounts.get(row["user_id"])).casefold(), row["user_id"]))
        if direction < 0:
            everyone.reverse()
        start = offset_of(page, page_size)
        return everyone[start : start + page_size], total, accounts
    cursor = db[ENROLLMENTS].find(selector).sort([(SORT_FIELDS[sort], direction), ("user_id", 1)])
    rows = list(cursor.skip(offset_of(page, page_size)).limit(page_size))
    return rows, total, _names(names_of, [row["user_id"] for row in rows])


def _name_of(account):
    account = account or {}
    return account.get("name") or account.get("username") or ""


def _watch_by_user(db, course_id, user_ids):
    """{user_id: {video_id: seconds}} over every day."""
    totals = {}
    pipeline = [
        {"$match": {"course_id": course_id, "user_id": {"$in": user_ids}}},
        {"$group": {"_id": {"user": "$user_id", "video": "$video_id"}, "seconds": {"$sum": "$watch_seconds"}}},
    ]
    for row in db[WATCH].aggregate(pipeline):
        totals.setdefault(row["_id"]["user"], {})[row["_id"]["video"]] = row["seconds"]
    return totals


def _scores_by_user(db, course_id, user_ids):
    """{user_id: (best, latest)} over the submitted attempts of the course's assessments."""
    assessment_ids = [row["_id"] for row in db[ASSESSMENTS].find({"course_id": course_id}, {"_id": 1})]
    attempts = (
        db[ATTEMPTS]
        .find({"assessment_id": {"$in": assessment_ids}, "user_id": {"$in": user_ids}, "submitted_at": {"$ne": None}})
        .sort("submitted_at", 1)
    )
    scores = {}
    for attempt in attempts:
        best, _ = scores.get(attempt["user_id"], (None, None))
        score = attempt.get("score")
        scores[attempt["user_id"]] = (score if best is None else max(best, score), score)
    return scores


def _certificates_by_user(db, course_id, user_ids):
    found = db[CERTIFICATES].find({"course_id": course_id, "user_id": {"$in": user_ids}}, {"user_id": 1})
    return {row["user_id"]: row["_id"] for row in found}


def _rows(db, course, enrollments, accounts):
    user_ids = [row["user_id"] for row in enrollments]
    watch = _watch_by_user(db, course["_id"], user_ids)
    scores = _scores_by_user(db, course["_id"], user_ids)
    issued = _certificates_by_user(db, course["_id"], user_ids)
    lessons_total = len(courses.all_lessons(course))
    rows = []
    for enrollment in enrollments:
        user_id = enrollment["user_id"]
        account = accounts.get(user_id) or {}
        best, latest = scores.get(user_id, (None, None))
        seconds = sum(watch.get(user_id, {}).values())
        rows.append(
            {
                "user_id": user_id,
                "name": _name_of(account) or None,
                "email": account.get("email"),
                "status": enrollment.get("status"),
                "progress": enrollment.get("progress", 0.0),
                "lessons_done": len(enrollment.get("completed_lesson_ids", [])),
                "lessons_total": lessons_total,
                "enrolled_at": isoformat(enrollment.get("enrolled_at")),
                "last_activity_at": isoformat(enrollment.get("last_activity_at") or enrollment.get("enrolled_at")),
                "completed_at": isoformat(enrollment.get("completed_at")),
                "watch_seconds": seconds,
                "watch_time": watchtime.hhmmss(seconds),
                "best_score": best,
                "latest_score": latest,
                "certificate_id": issued.get(user_id),
            }
        )
    return rows, watch


def roster(db, caller, course_id, names_of, sort="last_activity", order="desc", page=1, page_size=20):
    course = course_for_staff(db, caller, course_id)
    enrollments, total, accounts = _enrollment_page(db, course["_id"], sort, order, page, page_size, names_of)
    rows, _ = _rows(db, course, enrollments, accounts)
    return page_of(rows, total, page, page_size)


def roster_csv(db, caller, course_id, names_of, sort="last_activity", order="desc"):
    """Every learner of the course (not one page) as a CSV file the gateway sends as is."""
    course = course_for_staff(db, caller, course_id)
    total = db[ENROLLMENTS].count_documents({"course_id": course["_id"]})
    enrollments, _, accounts = _enrollment_page(db, course["_id"], sort, order, 1, max(total, 1), names_of)
    rows, _ = _rows(db, course, enrollments, accounts)
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: "" if value is None else value for key, value in row.items()})
    return {
        "content_type": "text/csv; charset=utf-8",
        "filename": f"learners-{course['_id']}.csv",
        "body_base64": base64.b64encode(text.getvalue().encode("utf-8")).decode("ascii"),
    }


def learner_detail(db, caller, course_id, user_id, names_of):
    """One learner's row with every lesson: done or not, and the seconds watched of each video."""
    course = course_for_staff(db, caller, course_id)
    enrollment = db[ENROLLMENTS].find_one({"course_id": course["_id"], "user_id": str(user_id)})
    if enrollment is None:
        raise NotFound("This user is not enrolled in the course")
    rows, watch = _rows(db, course, [enrollment], _names(names_of, [enrollment["user_id"]]))
    done = set(enrollment.get("completed_lesson_ids", []))
    seen = watch.get(enrollment["user_id"], {})
    lessons = []
    for module in course.get("modules", []):
        for lesson in module.get("lessons", []):
            lessons.append(
                {
                    "lesson_id": lesson["id"],
                    "module_id": module["id"],
                    "title": lesson["title"],
                    "type": lesson.get("type"),
                    "required": lesson.get("required", True),
                    "completed": lesson["id"] in done,
                    "duration_seconds": lesson.get("duration_seconds") or 0,
                    "watch_seconds": seen.get(lesson["id"], 0),
                }
            )
    return dict(rows[0], lessons=lessons)
