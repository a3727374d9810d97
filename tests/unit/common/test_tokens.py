import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from common.exceptions import Unauthorized
from common.tokens import AccessTokenVerifier


def make_key(kid):
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
    jwk.update({"kid": kid, "alg": "RS256", "use": "sig"})
    return private, jwk


KEY, JWK = make_key("k1")


def claims(**overrides):
    now = int(time.time())
    base = {
        "sub": str(uuid.uuid4()),
        "roles": ["learner"],
        "iss": "lnd",
        "aud": "api",
        "iat": now,
        "exp": now + 900,
        "jti": uuid.uuid4().hex,
    }
    base.update(overrides)
    return base


def sign(payload, key=KEY, kid="k1", algorithm="RS256"):
    return jwt.encode(payload, key, algorithm=algorithm, headers={"kid": kid})


@pytest.fixture
def verifier():
    v = AccessTokenVerifier("lnd", "api", refetch_interval=0)
    v.load_jwks({"keys": [JWK]})
    return v


def test_a_good_token_gives_its_claims(verifier):
    payload = claims(roles=["admin"])
    assert verifier.verify(sign(payload))["roles"] == ["admin"]


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(lambda: sign(claims(exp=int(time.time()) - 10)), id="expired"),
        pytest.param(lambda: sign(claims(iss="someone-else")), id="issuer"),
        pytest.param(lambda: sign(claims(aud="other-api")), id="audience"),
        pytest.param(lambda: sign({k: v for k, v in claims().items() if k != "jti"}), id="no-jti"),
        pytest.param(lambda: sign(claims(roles="admin")), id="roles-not-a-list"),
        pytest.param(lambda: sign(claims(), key=make_key("k1")[0]), id="other-key-same-kid"),
        pytest.param(lambda: jwt.encode(claims(), None, algorithm="none", headers={"kid": "k1"}), id="alg-none"),
        pytest.param(lambda: sign(claims(), kid="unknown"), id="unknown-kid"),
        pytest.param(lambda: "garbage", id="garbage"),
        pytest.param(lambda: sign(claims())[:-4] + "AAAA", id="tampered-signature"),
    ],
)
def test_bad_tokens_are_unauthorized(verifier, token):
    with pytest.raises(Unauthorized):
        verifier.verify(token())


def test_hs256_signed_with_the_public_key_is_refused(verifier):
    """The classic algorithm-confusion attack."""
    from cryptography.hazmat.primitives import serialization

    public_pem = KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "kid": "k1", "typ": "JWT"}
    import base64
    import hashlib
    import hmac
    import json

    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims()).encode())}"
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    with pytest.raises(Unauthorized):
        verifier.verify(f"{signing_input}.{b64(signature)}")


def test_an_unknown_kid_refetches_the_keys_once():
    new_key, new_jwk = make_key("k2")
    fetched = []

    def fetch():
        fetched.append(1)
        return {"keys": [JWK, new_jwk]}

    verifier = AccessTokenVerifier("lnd", "api", fetch_jwks=fetch, refetch_interval=60)
    assert verifier.verify(sign(claims(), key=new_key, kid="k2"))
    assert verifier.verify(sign(claims()))
    assert len(fetched) == 1
    # Within the interval, a token naming yet another kid does not hammer auth.
    with pytest.raises(Unauthorized):
        verifier.verify(sign(claims(), kid="k3"))
    assert len(fetched) == 1
