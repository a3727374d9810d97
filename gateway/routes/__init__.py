"""The route table: every HTTP route of the platform, one row each, one module per area."""

from gateway.routes import coaching, core, engagement, events, notifications, training
from gateway.routes.table import ADMIN_ONLY, AUTHENTICATED, PUBLIC, SERVICES, Route

ROUTES = [
    *core.ROUTES,
    *training.ROUTES,
    *coaching.ROUTES,
    *events.ROUTES,
    *notifications.ROUTES,
    *engagement.ROUTES,
]

__all__ = ["ADMIN_ONLY", "AUTHENTICATED", "PUBLIC", "ROUTES", "SERVICES", "Route"]
