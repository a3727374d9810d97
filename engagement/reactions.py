"""What engagement does with what happens: a domain event, a feedback given, a lesson viewed.

Plain functions over the MongoDB database, testable without Nameko. Every step is idempotent (safe to run
again): the log is keyed by event_id, the ledger and badges by unique keys. ``Rewards`` is what a flow needs
from the service: the points of each action (runtime settings), the ``publish`` callable (``self.events``),
and users' ``get_account``.
"""

from dataclasses import dataclass
from typing import Callable

from common import events
from engagement import activity, gamification, store


@dataclass(frozen=True)
class Rewards:
    points: Callable  # action -> points (the runtime setting ``points_<action>``)
    publish: Callable  # self.events: BADGE_AWARDED
    get_account: Callable  # users.get_account(user_id) -> account or None


def on_event(db, event, rewards, now):
    """What an event means for engagement: the log, the facts kept from it, points and badges."""
    activity.record(db, event, now)
    activity.remember_facts(db, event)
    user_id = event.get("user_id")
    if not user_id:
        return
    metadata = event.get("metadata") or {}
    if event["event_type"] == events.USER_UPDATED:
        follow_profile(db, user_id, event, metadata, rewards.get_account)
    if event["event_type"] == events.USER_DELETED:
        store.forget_person(db, user_id)
        return
    action = gamification.ACTION_OF.get(event["event_type"])
    if action is not None:
        gamification.award_points(
            db,
            user_id,
            action,
            rewards.points(action),
            gamification.subject_of(event),
            activity.moment_of(event),
            course_id=event.get("course_id"),
        )
    day = activity.moment_of(event).date() if event["event_type"] in activity.LEARNING else None
    check_badges(db, user_id, event["event_type"], day, rewards.publish, now)


def follow_profile(db, user_id, event, metadata, get_account):
    """USER_UPDATED: a new name (asked of users), a changed ``show_on_leaderboard`` (carried by the event)."""
    if "name" in (metadata.get("fields") or ()):
        account = get_account(user_id)
        if account is not None:
            store.set_name(db, user_id, account["name"])
    preferences = metadata.get("preferences")
    if isinstance(preferences, dict) and isinstance(preferences.get("show_on_leaderboard"), bool):
        gamification.set_leaderboard_visibility(
            db, user_id, preferences["show_on_leaderboard"], activity.moment_of(event)
        )


def check_badges(db, user_id, event_type, day, publish, now):
    earned = gamification.earned_badges(db, user_id, event_type, day)
    for badge in earned:
        gamification.award_badge(db, user_id, badge, now)
    if earned:
        announce_badges(db, user_id, publish)


def announce_badges(db, user_id, publish):
    """Save BADGE_AWARDED for each badge not announced yet. Its event_id is made from the badge, so if a
    handler dies between saving it in the outbox and noting it, saving it again changes nothing."""
    for doc in gamification.unannounced(db, user_id):
        name = doc.get("name") or doc["badge"]
        publish(
            events.BADGE_AWARDED,
            user_id=user_id,
            envelope_id=f"badge-{doc['_id']}",
            badge=doc["badge"],
            badge_name=name,
            title=name,
        )
        gamification.mark_announced(db, doc["_id"])


def feedback_given(db, user_id, kind, target_id, rewards, now):
    """A first feedback on a target earns its points and the first-feedback badge."""
    gamification.award_points(
        db,
        user_id,
        gamification.FEEDBACK_GIVEN,
        rewards.points(gamification.FEEDBACK_GIVEN),
        f"{kind}={target_id}",
        now,
        course_id=target_id if kind == "course" else None,
    )
    gamification.award_badge(db, user_id, gamification.FIRST_FEEDBACK, now)
    announce_badges(db, user_id, rewards.publish)


def lesson_viewed(db, user_id, publish, now):
    """A tracked lesson view makes the day a learning day (streaks)."""
    activity.mark_learning_day(db, user_id, now.date().isoformat())
    check_badges(db, user_id, "TRACKED_LESSON_VIEW", now.date(), publish, now)
