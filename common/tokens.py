"""Verifying the platform's access tokens (JWT RS256) against auth's JWKS.

The gateway keeps one ``AccessTokenVerifier`` for the life of the process:
keys are fetched once and again only when a token names an unknown ``kid``
(at most once per ``refetch_interval``), so verifying a token costs no RPC.
"""

import json
import threading
import time

import jwt

from common.exceptions import Unauthorized

ALGORITHM = "RS256"
REQUIRED_CLAIMS = ("sub", "roles", "iss", "aud", "exp", "iat", "jti")


class AccessTokenVerifier:
    def __init__(self, issuer, audience, fetch_jwks=None, refetch_interval=30.0, leeway=0):
        self.issuer = issuer
        self.audience = audience
        self.fetch_jwks = fetch_jwks
        self.refetch_interval = refetch_interval
        self.leeway = leeway
        self._keys = {}
        self._fetched_at = None
        self._lock = threading.Lock()

    def load_jwks(self, jwks):
        keys = {}
        for jwk in jwks.get("keys", []):
            if jwk.get("kty") == "RSA" and jwk.get("kid"):
                keys[jwk["kid"]] = jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(jwk))
        self._keys = keys
        self._fetched_at = time.monotonic()

    def _key_for(self, kid, fetch_jwks):
        key = self._keys.get(kid)
        if key is not None:
            return key
        fetch = fetch_jwks or self.fetch_jwks
        with self._lock:
            key = self._keys.get(kid)
            recently = self._fetched_at is not None and time.monotonic() - self._fetched_at < self.refetch_interval
            if key is None and fetch is not None and not recently:
                self.load_jwks(fetch())
                key = self._keys.get(kid)
        if key is None:
            raise Unauthorized("The access token is not valid")
        return key

    def verify(self, token, fetch_jwks=None):
        """The token's claims, or ``Unauthorized`` for anything not quite right."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthorized("The access token is not valid") from None
        if header.get("alg") != ALGORITHM or not isinstance(header.get("kid"), str):
            raise Unauthorized("The access token is not valid")
        key = self._key_for(header["kid"], fetch_jwks)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("The access token has expired") from None
        except jwt.PyJWTError:
            raise Unauthorized("The access token is not valid") from None
        if not isinstance(claims["roles"], list) or not isinstance(claims["sub"], str):
            raise Unauthorized("The access token is not valid")
        return claims
