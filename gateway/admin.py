"""What the gateway answers itself for admins: the same RPC asked of every service at once."""

from eventlet.greenpool import GreenPool

from common.exceptions import NotFound, ServiceUnavailable, ValidationError
from gateway.routes import SERVICES


def ask_all(calls, method, timeout, kwargs=None):
    """``{service: (result, error, ms)}`` for ``method`` asked of every service concurrently."""
    pool = GreenPool(len(SERVICES))
    answers = pool.imap(lambda service: (service, calls.timed(service, method, timeout, kwargs)), SERVICES)
    return dict(answers)


def health_report(calls, timeout):
    """Every service's status, latency and store checks (with the reason of a failed one), for admins."""
    services = {}
    for service, (result, error, latency) in ask_all(calls, "health", timeout, {"detail": True}).items():
        if error is None:
            services[service] = {
                "status": result["status"],
                "version": result["version"],
                "latency_ms": latency,
                "checks": result.get("checks", {}),
            }
        else:
            services[service] = {"status": "unavailable", "error": error.code, "latency_ms": latency}
    healthy = all(entry["status"] == "ok" for entry in services.values())
    return {"status": "ok" if healthy else "degraded", "services": services}


def readiness(calls, timeout):
    """Ready when every service answers and is healthy; otherwise a 503 naming the ones that are not."""
    services = {service: entry["status"] for service, entry in health_report(calls, timeout)["services"].items()}
    not_ready = sorted(service for service, status in services.items() if status != "ok")
    if not_ready:
        raise ServiceUnavailable(f"Not ready: {', '.join(not_ready)}", {"services": services})
    return {"status": "ready", "services": services}


def dashboard(calls, timeout):
    services = {}
    for service, (result, error, _latency) in ask_all(calls, "stats", timeout).items():
        services[service] = result if error is None else {"error": error.to_dict()}
    return {"services": services}


def all_settings(calls, timeout):
    items, unavailable = [], []
    for service, (result, error, _) in ask_all(calls, "list_settings", timeout).items():
        if error is None:
            items.extend(result)
        else:
            unavailable.append(service)
    items.sort(key=lambda item: item["key"])
    return {"items": items, "unavailable": sorted(unavailable)}


def split_key(key):
    service, _, name = key.partition(".")
    if service not in SERVICES or not name:
        raise ValidationError("A setting key is <service>.<name>", {"key": [f"unknown setting {key!r}"]})
    return service, name


def one_setting(calls, key):
    service, _ = split_key(key)
    for item in calls.call(service, "list_settings"):
        if item["key"] == key:
            return item
    raise NotFound(f"No setting {key!r}")


def change_setting(calls, key, value):
    service, name = split_key(key)
    return calls.call(service, "update_setting", {"key": name, "value": value})


def create_setting(calls, key, value):
    """The owning service sets it if it declares it and it is not set yet (400 unknown, 409 set already)."""
    service, name = split_key(key)
    return calls.call(service, "create_setting", {"key": name, "value": value})
