"""The public keys of a JWKS, cached for the life of the process.

Keys are fetched once, and again only when a token names a ``kid`` the cache
does not know, at most once per ``min_refetch_seconds``: a key rotated in is
found at once, and a flood of made-up kids does not hammer the keys' owner.
The gateway keeps one for auth's keys (common/tokens.py), auth one per identity
provider's JWKS URL (auth/providers/cognito.py).
"""

import json
import threading
import time

import jwt


class JwksCache:
    """``fetch()`` answers the JWKS as a dict; a call of ``key`` may also name its own ``fetch``."""

    def __init__(self, fetch=None, min_refetch_seconds=30.0):
        self.fetch = fetch
        self.min_refetch_seconds = min_refetch_seconds
        self._keys = {}
        self._fetched_at = None
        self._lock = threading.Lock()

    def load(self, jwks):
        """Keep the RSA keys of a JWKS (by ``kid``); keys of another type or malformed are left out."""
        keys = {}
        for jwk in jwks.get("keys", []):
            if not isinstance(jwk, dict) or jwk.get("kty") != "RSA" or not jwk.get("kid"):
                continue
            try:
                keys[jwk["kid"]] = jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(jwk))
            except (jwt.InvalidKeyError, ValueError, KeyError):
                continue
        self._keys = keys
        self._fetched_at = time.monotonic()

    def key(self, kid, fetch=None):
        """The public key of ``kid``, or None (unknown even after a refetch, or a refetch too soon)."""
        key = self._keys.get(kid)
        if key is not None:
            return key
        fetch = fetch or self.fetch
        with self._lock:
            key = self._keys.get(kid)
            stale = self._fetched_at is None or time.monotonic() - self._fetched_at >= self.min_refetch_seconds
            if key is None and fetch is not None and stale:
                self.load(fetch())
                key = self._keys.get(kid)
        return key
