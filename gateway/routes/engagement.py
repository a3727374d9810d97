"""Routes of the engagement service, and the admin activity log it keeps."""

from gateway.routes.table import ADMIN_ONLY, Route
from gateway.schemas import engagement as s

ROUTES = [
    Route(
        "GET",
        "/admin/logs",
        "engagement",
        "list_activity",
        ADMIN_ONLY,
        query=s.ActivityLogQuery,
        summary="The activity log (audit trail): filters by user, type and period",
    ),
    Route(
        "GET",
        "/engagement/metrics",
        "engagement",
        "get_metrics",
        ADMIN_ONLY,
        query=s.MetricsQuery,
        summary="Daily active users, registrations, enrollments, completions, sessions and events per day",
    ),
    Route(
        "POST",
        "/engagement/track",
        "engagement",
        "track",
        body=s.TrackBody,
        status=201,
        summary="Record a client-side engagement event (rate limited per user)",
    ),
    Route("GET", "/engagement/points/me", "engagement", "my_points", summary="Your points"),
    Route("GET", "/engagement/badges/me", "engagement", "my_badges", summary="Your badges and those still to earn"),
    Route(
        "GET",
        "/engagement/leaderboard",
        "engagement",
        "leaderboard",
        query=s.LeaderboardQuery,
        summary="Top learners, global or per course, this week or all time",
    ),
    Route(
        "POST",
        "/engagement/feedback",
        "engagement",
        "give_feedback",
        body=s.FeedbackBody,
        summary="Rate a course, session or event you took part in (once; editable)",
    ),
    Route(
        "GET",
        "/engagement/feedback",
        "engagement",
        "list_feedback",
        query=s.FeedbackQuery,
        summary="Feedback on a target, with its average",
    ),
]
