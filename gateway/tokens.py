"""The access-token verifier as a dependency: one per process, keys cached."""

from nameko.extensions import DependencyProvider

from common.tokens import AccessTokenVerifier


class AccessTokens(DependencyProvider):
    def setup(self):
        jwt_config = self.container.config["JWT"]
        self.verifier = AccessTokenVerifier(
            issuer=jwt_config["ISSUER"],
            audience=jwt_config["AUDIENCE"],
            refetch_interval=float(jwt_config.get("JWKS_REFETCH_SECONDS", 30)),
        )

    def get_dependency(self, worker_ctx):
        return self.verifier
