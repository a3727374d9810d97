"""A learner's video lessons: play and pause events (watch time) and what was watched."""

from common import events
from common.exceptions import Forbidden, ValidationError
from training import courses, enrollments, watchtime
from training.contracts import VIDEO_TYPES


def for_learner(db, user_id, video_id):
    """The lesson, its course and the learner's enrollment; 403 when they do not take the course."""
    course = courses.course_of_lesson(db, video_id)
    _, lesson = courses.lesson_of(course, str(video_id))
    if lesson.get("type") not in VIDEO_TYPES:
        raise ValidationError("This lesson is not a video", {"video_id": ["not a video lesson"]})
    enrollment = enrollments.find(db, user_id, course["_id"])
    if enrollment is None:
        raise Forbidden("You are not enrolled in the course of this video")
    return lesson, course, enrollment


def track(db, announce, user_id, video_id, start_time=None, end_time=None, watchtime_seconds=None):
    """A play (``start_time``) opens a session; a pause (``end_time``) closes it and adds its watch time."""
    lesson, course, enrollment = for_learner(db, user_id, video_id)
    if start_time is not None:
        record = watchtime.play(db, user_id, lesson, course["_id"], start_time)
        return dict(watchtime.view(record), event="play")
    if end_time is None:
        raise ValidationError("A pause needs end_time", {"end_time": ["required on pause"]})
    record, added = watchtime.pause(db, user_id, lesson, end_time, watchtime_seconds)
    enrollments.touch(db, enrollment["_id"])
    announce(
        events.VIDEO_PROGRESS,
        user_id=user_id,
        course_id=course["_id"],
        video_id=lesson["id"],
        date=record["date"],
        added_seconds=added,
        watch_seconds=record["watch_seconds"],
    )
    return dict(watchtime.view(record), event="pause", added_seconds=added)


def watched(db, user_id, video_id):
    courses.course_of_lesson(db, video_id)
    return watchtime.for_video(db, user_id, str(video_id))
