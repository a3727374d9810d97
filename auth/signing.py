"""The RS256 key auth signs access tokens with, and the tokens themselves.

The active key lives in auth's database so that every replica signs with it;
the first replica to start makes one. Tokens carry the claims listed in docs/architecture.md.
"""

import json
import uuid
from datetime import timedelta

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from nameko.extensions import DependencyProvider
from sqlalchemy import create_engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from auth.models import SigningKey
from common.clock import utcnow
from common.tokens import ALGORITHM


def generate_signing_key():
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    kid = uuid.uuid4().hex
    public_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private_key.public_key()))
    public_jwk.update({"kid": kid, "use": "sig", "alg": ALGORITHM})
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return SigningKey(kid=kid, private_pem=private_pem, public_jwk=json.dumps(public_jwk), active=True)


def load_or_create_active_key(session):
    key = session.scalars(select(SigningKey).where(SigningKey.active).order_by(SigningKey.created_at.desc())).first()
    if key is not None:
        return key
    key = generate_signing_key()
    session.add(key)
    try:
        session.commit()
    except IntegrityError:  # another replica made one at the same moment
        session.rollback()
        return load_or_create_active_key(session)
    return key


class TokenIssuer:
    def __init__(self, kid, private_key, jwks, issuer, audience, access_ttl):
        self.kid = kid
        self.private_key = private_key
        self.jwks = jwks
        self.issuer = issuer
        self.audience = audience
        self.access_ttl = access_ttl

    def access_token(self, user_id, roles, session_id=None):
        """``session_id``: the refresh token family the token was issued with (claim ``sid``), so that logging
        that session out revokes its access tokens too."""
        now = utcnow()
        claims = {
            "sub": str(user_id),
            "roles": list(roles),
            "iss": self.issuer,
            "aud": self.audience,
            # With its microseconds: a token issued just after a revocation is told apart from those before.
            "iat": now.timestamp(),
            "exp": now + timedelta(seconds=self.access_ttl),
            "jti": uuid.uuid4().hex,
        }
        if session_id is not None:
            claims["sid"] = str(session_id)
        return jwt.encode(claims, self.private_key, algorithm=ALGORITHM, headers={"kid": self.kid})


class SigningKeys(DependencyProvider):
    """Loads the active key once per process; workers get a ``TokenIssuer``."""

    def setup(self):
        config = self.container.config
        self.uri = config["DB_URIS"][f"{self.container.service_name}:Base"]
        self.issuer = config["JWT"]["ISSUER"]
        self.audience = config["JWT"]["AUDIENCE"]
        self.access_ttl = int(config["JWT"].get("ACCESS_TOKEN_TTL", 900))
        self.issuer_obj = None

    def _load(self):
        engine = create_engine(self.uri)
        try:
            with Session(engine) as session:
                load_or_create_active_key(session)
                keys = session.scalars(select(SigningKey).order_by(SigningKey.created_at.desc())).all()
                active = next(key for key in keys if key.active)
                private_key = serialization.load_pem_private_key(active.private_pem.encode(), password=None)
                jwks = {"keys": [json.loads(key.public_jwk) for key in keys]}
                return TokenIssuer(active.kid, private_key, jwks, self.issuer, self.audience, self.access_ttl)
        finally:
            engine.dispose()

    def get_dependency(self, worker_ctx):
        # Loaded on first use rather than at start, so migrations may run after the container starts.
        if self.issuer_obj is None:
            self.issuer_obj = self._load()
        return self.issuer_obj
