"""Routes of the notifications service."""

from gateway.routes.table import ADMIN_ONLY, Route
from gateway.schemas import notifications as s
from gateway.schemas import responses_notifications as r

ROUTES = [
    Route(
        "GET",
        "/notifications",
        "notifications",
        "list_notifications",
        query=s.NotificationListQuery,
        summary="Your in-app messages (paginated; unread filter)",
        response=r.NotificationPage,
    ),
    Route(
        "POST",
        "/notifications",
        "notifications",
        "announce",
        ADMIN_ONLY,
        body=s.AnnouncementBody,
        status=201,
        summary="Send an announcement to a role or to everyone",
        response=r.Announcement,
    ),
    Route(
        "GET",
        "/notifications/preferences",
        "notifications",
        "get_preferences",
        summary="Your channels and frequencies per category",
        response=r.NotificationPreferences,
    ),
    Route(
        "PUT",
        "/notifications/preferences",
        "notifications",
        "update_preferences",
        body=s.NotificationPreferencesBody,
        summary="Change your channels and frequencies (security messages stay on)",
        response=r.NotificationPreferences,
    ),
    Route(
        "POST",
        "/notifications/read-all",
        "notifications",
        "mark_all_read",
        summary="Mark all your messages read",
        response=r.MarkedAllRead,
    ),
    Route(
        "POST",
        "/notifications/<notification_id>/read",
        "notifications",
        "mark_read",
        summary="Mark one message read",
        response=r.Notification,
    ),
    Route(
        "GET",
        "/notifications/deliveries",
        "notifications",
        "list_deliveries",
        ADMIN_ONLY,
        query=s.DeliveryListQuery,
        summary="Every message on every channel with its status and attempts",
        response=r.Delivery,
        paginated=True,
    ),
]
