"""Routes of the engagement service, and the admin activity log it keeps."""

from engagement import contracts
from gateway.routes.table import ADMIN_ONLY, Route

ROUTES = [
    Route(
        "GET",
        "/admin/logs",
        "engagement",
        "list_activity",
        ADMIN_ONLY,
        query=contracts.ActivityQuery,
        summary=(
            "The activity log (audit trail): who did what, on what, when, in which request, with old and new values;"
            " filters by subject, actor, action, target, request and period (CSV with ?format=csv or Accept: text/csv)"
        ),
        response=contracts.Activity,
        paginated=True,
        exports_csv=True,
    ),
    Route(
        "GET",
        "/engagement/metrics",
        "engagement",
        "get_metrics",
        ADMIN_ONLY,
        query=contracts.MetricsQuery,
        summary="Daily active users, registrations, enrollments, completions, sessions and events per day",
        response=contracts.Metrics,
    ),
    Route(
        "POST",
        "/engagement/track",
        "engagement",
        "track",
        body=contracts.Track,
        status=201,
        summary="Record a client-side engagement event (rate limited per user)",
        response=contracts.Tracked,
    ),
    Route("GET", "/engagement/points/me", "engagement", "my_points", summary="Your points", response=contracts.Points),
    Route(
        "GET",
        "/engagement/badges/me",
        "engagement",
        "my_badges",
        summary="Your badges and those still to earn",
        response=contracts.Badges,
    ),
    Route(
        "GET",
        "/engagement/leaderboard",
        "engagement",
        "leaderboard",
        query=contracts.LeaderboardQuery,
        summary="Top learners, global or per course, this week or all time",
        response=contracts.Leaderboard,
    ),
    Route(
        "POST",
        "/engagement/feedback",
        "engagement",
        "give_feedback",
        body=contracts.GiveFeedback,
        summary="Rate a course, session or event you took part in (once; editable)",
        response=contracts.FeedbackGiven,
    ),
    Route(
        "GET",
        "/engagement/feedback",
        "engagement",
        "list_feedback",
        query=contracts.FeedbackQuery,
        summary="Feedback on a target, with its average",
        response=contracts.FeedbackPage,
    ),
]
