"""The platform's processes: each service's name and its Nameko class as ``module:Class`` (what ``nameko run``
takes; a bare ``nameko run auth.service`` would also find the imported base class PlatformService).

The order is the one the local platform gives metrics ports in (auth 9100 ... gateway 9107)."""

SERVICE_CLASSES = {
    "auth": "auth.service:AuthService",
    "users": "users.service:UsersService",
    "training": "training.service:TrainingService",
    "coaching": "coaching.service:CoachingService",
    "events": "events.service:EventsService",
    "notifications": "notifications.service:NotificationsService",
    "engagement": "engagement.service:EngagementService",
    "gateway": "gateway.service:GatewayService",
}
SERVICES = tuple(SERVICE_CLASSES)
