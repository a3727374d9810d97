"""The routes the gateway answers itself (rows of the table whose service is ``gateway``): liveness and
readiness, the API document and its UI, OIDC discovery, logout, metrics and the admin views that gather every
service's answer. ``GatewayService`` calls ``local_<rpc>(calls, settings, **arguments)`` for them."""

from werkzeug.wrappers import Response

from common import health
from common.exceptions import ServiceUnavailable
from common.metrics import exposition
from common.revocations import Revocation
from common.service_base import VERSION
from gateway import admin, discovery, docs_ui, readiness
from gateway.keyvalue import redis_client
from gateway.openapi import build_spec
from gateway.routes import ROUTES

OPENAPI = build_spec(ROUTES)


class LocalRoutes:
    # ----------------------------------------

    def local_health(self, calls, settings):
        if not readiness.is_ready():
            raise ServiceUnavailable("The platform is starting")
        return {"status": "ok", "service": self.name, "version": VERSION}

    def local_openapi(self, calls, settings):
        return OPENAPI

    def local_docs(self, calls, settings):
        return docs_ui.page_response()

    def local_docs_asset(self, calls, settings, name):
        return docs_ui.asset_response(name)

    def local_openid_configuration(self, calls, settings):
        public_base_url = settings.get("PUBLIC_BASE_URL") or f"http://{self.config['WEB_SERVER_ADDRESS']}"
        return discovery.openid_configuration(str(public_base_url), self.config["JWT"]["ISSUER"])

    def local_logout(self, calls, settings, **body):
        """auth revokes the session; the token presented is refused here at once, on the other replicas
        when they hear the event."""
        token_id = self.token_claims["jti"] if self.token_claims else None
        result = calls.call("auth", "logout", {**body, "access_token_id": token_id})
        if token_id is not None:
            self.revocations.add(Revocation(self.token_claims["sub"], token_ids=(token_id,)))
        return result

    def local_admin_health(self, calls, settings):
        report = admin.health_report(calls, float(settings.get("HEALTH_TIMEOUT", 2)))
        self.local_health(calls, settings)
        report["gateway"] = health.report(self.name, VERSION, self._store_checks())
        if report["gateway"]["status"] != health.OK:
            report["status"] = health.DEGRADED
        return report

    def _store_checks(self):
        """The gateway's one store, Redis when configured. A Redis outage shows here but does not make the
        gateway unready: it falls back (uncached reads, limits and keys in memory) and keeps serving."""
        url = self.config.get("REDIS_URL")
        return {"redis": health.check(health.redis_probe(redis_client(url)))} if url else {}

    def local_metrics(self, calls, settings):
        body, content_type = exposition()
        return Response(body, content_type=content_type)

    def local_ready(self, calls, settings):
        if not readiness.is_ready():
            raise ServiceUnavailable("The platform is starting")
        return admin.readiness(calls, float(settings.get("HEALTH_TIMEOUT", 2)))

    def local_admin_dashboard(self, calls, settings):
        return admin.dashboard(calls, float(settings.get("HEALTH_TIMEOUT", 2)) * 2)

    def local_admin_settings(self, calls, settings):
        return admin.all_settings(calls, float(settings.get("HEALTH_TIMEOUT", 2)) * 2)

    def local_admin_setting(self, calls, settings, key):
        return admin.one_setting(calls, key)

    def local_admin_update_setting(self, calls, settings, key, value):
        return admin.change_setting(calls, key, value)

    def local_admin_create_setting(self, calls, settings, key, value):
        return admin.create_setting(calls, key, value)
