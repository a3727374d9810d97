"""Routes of the notifications service."""

from gateway.routes.table import ADMIN_ONLY, Route
from notifications import contracts

ROUTES = [
    Route(
        "GET",
        "/notifications",
        "notifications",
        "list_notifications",
        query=contracts.NotificationQuery,
        summary="Your in-app messages (paginated; unread filter)",
        response=contracts.NotificationPage,
    ),
    Route(
        "POST",
        "/notifications",
        "notifications",
        "announce",
        ADMIN_ONLY,
        body=contracts.NewAnnouncement,
        status=201,
        summary="Send an announcement to a role or to everyone",
        response=contracts.Announcement,
    ),
    Route(
        "GET",
        "/notifications/preferences",
        "notifications",
        "get_preferences",
        summary="Your channels and frequencies per category",
        response=contracts.NotificationPreferences,
    ),
    Route(
        "PUT",
        "/notifications/preferences",
        "notifications",
        "update_preferences",
        body=contracts.NotificationPreferenceChanges,
        summary="Change your channels and frequencies (security messages stay on)",
        response=contracts.NotificationPreferences,
    ),
    Route(
        "POST",
        "/notifications/read-all",
        "notifications",
        "mark_all_read",
        summary="Mark all your messages read",
        response=contracts.MarkedAllRead,
    ),
    Route(
        "POST",
        "/notifications/<notification_id>/read",
        "notifications",
        "mark_read",
        summary="Mark one message read",
        response=contracts.Notification,
    ),
    Route(
        "GET",
        "/notifications/deliveries",
        "notifications",
        "list_deliveries",
        ADMIN_ONLY,
        query=contracts.DeliveryQuery,
        summary="Every message on every channel with its status and attempts",
        response=contracts.Delivery,
        paginated=True,
    ),
]
