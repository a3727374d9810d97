"""Routes of the engagement service, and the admin activity log it keeps."""

from gateway.routes.table import ADMIN_ONLY, Route
from gateway.schemas import engagement as s
from gateway.schemas import responses_engagement as r

ROUTES = [
    Route(
        "GET",
        "/admin/logs",
        "engagement",
        "list_activity",
        ADMIN_ONLY,
        query=s.ActivityLogQuery,
        summary="The activity log (audit trail): filters by user, type and period",
        response=r.Activity,
        paginated=True,
    ),
    Route(
        "GET",
        "/engagement/metrics",
        "engagement",
        "get_metrics",
        ADMIN_ONLY,
        query=s.MetricsQuery,
        summary="Daily active users, registrations, enrollments, completions, sessions and events per day",
        response=r.Metrics,
    ),
    Route(
        "POST",
        "/engagement/track",
        "engagement",
        "track",
        body=s.TrackBody,
        status=201,
        summary="Record a client-side engagement event (rate limited per user)",
        response=r.Tracked,
    ),
    Route("GET", "/engagement/points/me", "engagement", "my_points", summary="Your points", response=r.Points),
    Route(
        "GET",
        "/engagement/badges/me",
        "engagement",
        "my_badges",
        summary="Your badges and those still to earn",
        response=r.Badges,
    ),
    Route(
        "GET",
        "/engagement/leaderboard",
        "engagement",
        "leaderboard",
        query=s.LeaderboardQuery,
        summary="Top learners, global or per course, this week or all time",
        response=r.Leaderboard,
    ),
    Route(
        "POST",
        "/engagement/feedback",
        "engagement",
        "give_feedback",
        body=s.FeedbackBody,
        summary="Rate a course, session or event you took part in (once; editable)",
        response=r.FeedbackGiven,
    ),
    Route(
        "GET",
        "/engagement/feedback",
        "engagement",
        "list_feedback",
        query=s.FeedbackQuery,
        summary="Feedback on a target, with its average",
        response=r.FeedbackPage,
    ),
]
