"""The access-token verifier as a dependency: one per process, keys cached, verified tokens remembered."""

import time
from collections import OrderedDict

from nameko.extensions import DependencyProvider

from common.exceptions import Unauthorized
from common.tokens import AccessTokenVerifier


class RememberedTokens:
    """``verify`` as ``AccessTokenVerifier``'s, remembering the claims of the last ``max_entries`` good tokens
    until they expire: a client sends the same token with every request for its 15 minutes, and checking
    its RS256 signature again each time was a fifth of the gateway's work on a cached read. Revocation is
    checked on every request all the same (gateway/service.py), after this."""

    def __init__(self, verifier, max_entries=10_000, clock=time.time):
        self.verifier = verifier
        self.max_entries = max_entries
        self.clock = clock
        self.known = OrderedDict()  # token -> claims

    def remembered(self, token):
        """The claims of a token verified before and not expired yet, else None (nothing is verified here)."""
        claims = self.known.get(token)
        if claims is None or claims["exp"] <= self.clock():
            return None
        return claims

    def verify(self, token, fetch_jwks=None):
        claims = self.known.get(token)
        if claims is not None:
            if claims["exp"] > self.clock():
                return claims
            del self.known[token]
            raise Unauthorized("The access token has expired")
        claims = self.verifier.verify(token, fetch_jwks=fetch_jwks)
        self.known[token] = claims
        while len(self.known) > self.max_entries:
            self.known.popitem(last=False)
        return claims


class AccessTokens(DependencyProvider):
    def setup(self):
        jwt_config = self.container.config["JWT"]
        self.verifier = RememberedTokens(
            AccessTokenVerifier(
                issuer=jwt_config["ISSUER"],
                audience=jwt_config["AUDIENCE"],
                refetch_interval=float(jwt_config.get("JWKS_REFETCH_SECONDS", 30)),
            )
        )

    def get_dependency(self, worker_ctx):
        return self.verifier
