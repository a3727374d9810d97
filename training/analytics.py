"""Learning analytics: per course and in total, and popular courses."""

from collections import defaultdict
from datetime import timedelta

from common.clock import as_utc, utcnow
from training import courses, scoring
from training.enrollments import COMPLETED
from training.store import ASSESSMENTS, ATTEMPTS, COURSES, ENROLLMENTS


def _average(values):
    return round(sum(values) / len(values), 2) if values else None


def course_stats(db, course, since):
    enrollments = list(db[ENROLLMENTS].find({"course_id": course["_id"]}))
    completed = [row for row in enrollments if row.get("status") == COMPLETED]
    active = {row["user_id"] for row in enrollments if _after(row.get("last_activity_at"), since)}
    scores = []
    for assessment in db[ASSESSMENTS].find({"course_id": course["_id"]}):
        by_user = defaultdict(list)
        for attempt in db[ATTEMPTS].find({"assessment_id": assessment["_id"], "submitted_at": {"$ne": None}}):
            by_user[attempt["user_id"]].append(attempt)
        for attempts in by_user.values():
            counting = scoring.counting_attempt(attempts, assessment["scoring_policy"])
            if counting is not None:
                scores.append(counting["score"])
    return {
        "course_id": course["_id"],
        "title": course["title"],
        "status": course["status"],
        "enrollments": len(enrollments),
        "new_enrollments": sum(1 for row in enrollments if _after(row["enrolled_at"], since)),
        "completions": len(completed),
        "completion_rate": round(100.0 * len(completed) / len(enrollments), 2) if enrollments else 0.0,
        "average_progress": _average([row.get("progress", 0.0) for row in enrollments]),
        "average_score": _average(scores),
        "active_learners": len(active),
    }


def _after(moment, since):
    return moment is not None and as_utc(moment) >= since


def report(db, caller, days, course_id=None):
    since = utcnow() - timedelta(days=days)
    selector = {} if caller.is_admin else {"instructor_id": caller.user_id}
    if course_id is not None:
        selector["_id"] = str(course_id)
    per_course = [course_stats(db, course, since) for course in db[COURSES].find(selector).sort("created_at", -1)]
    enrollments = sum(row["enrollments"] for row in per_course)
    completions = sum(row["completions"] for row in per_course)
    scored = [row["average_score"] for row in per_course if row["average_score"] is not None]
    return {
        "period_days": days,
        "courses": per_course,
        "totals": {
            "courses": len(per_course),
            "enrollments": enrollments,
            "new_enrollments": sum(row["new_enrollments"] for row in per_course),
            "completions": completions,
            "completion_rate": round(100.0 * completions / enrollments, 2) if enrollments else 0.0,
            "average_score": _average(scored),
            "active_learners": sum(row["active_learners"] for row in per_course),
        },
    }


def popular(db, user_id, days, limit):
    """Published courses by enrollments in the last ``days`` days, leaving out the caller's courses: those they
    take and those they teach."""
    since = utcnow() - timedelta(days=days)
    taken = set()
    if user_id:
        taken = {row["course_id"] for row in db[ENROLLMENTS].find({"user_id": user_id}, {"course_id": 1})}
        taken |= {row["_id"] for row in db[COURSES].find({"instructor_id": user_id}, {"_id": 1})}
    pipeline = [
        {"$match": {"enrolled_at": {"$gte": since}}},
        {"$group": {"_id": "$course_id", "count": {"$sum": 1}}},
        {"$sort": {"count": -1, "_id": 1}},
    ]
    counts = [(row["_id"], row["count"]) for row in db[ENROLLMENTS].aggregate(pipeline) if row["_id"] not in taken]
    published = {
        course["_id"]: course
        for course in db[COURSES].find(
            {"_id": {"$in": [course_id for course_id, _ in counts]}, "status": courses.PUBLISHED}
        )
    }
    result = []
    for course_id, count in counts:
        if course_id in published:
            result.append(dict(courses.course_view(published[course_id], with_modules=False), recent_enrollments=count))
        if len(result) >= limit:
            break
    return result
