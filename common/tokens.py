"""Verifying the platform's access tokens (JWT RS256) against auth's JWKS.

The gateway keeps one ``AccessTokenVerifier`` for the life of the process, its
keys in a ``JwksCache`` (fetched again only for an unknown ``kid``, at most once
per ``refetch_interval``), so verifying a token costs no RPC.
"""

import jwt

from common.exceptions import Unauthorized
from common.jwks import JwksCache

ALGORITHM = "RS256"
REQUIRED_CLAIMS = ("sub", "roles", "iss", "aud", "exp", "iat", "jti")


class AccessTokenVerifier:
    def __init__(self, issuer, audience, fetch_jwks=None, refetch_interval=30.0, leeway=0):
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.keys = JwksCache(fetch_jwks, refetch_interval)

    def load_jwks(self, jwks):
        self.keys.load(jwks)

    def verify(self, token, fetch_jwks=None):
        """The token's claims, or ``Unauthorized`` for anything not quite right."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthorized("The access token is not valid") from None
        if header.get("alg") != ALGORITHM or not isinstance(header.get("kid"), str):
            raise Unauthorized("The access token is not valid")
        key = self.keys.key(header["kid"], fetch_jwks)
        if key is None:
            raise Unauthorized("The access token is not valid")
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
