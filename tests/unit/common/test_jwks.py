"""The one JWKS cache of the gateway (auth's keys) and auth (an identity provider's keys)."""

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from common.jwks import JwksCache


def rsa_jwk(kid):
    public = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    return {**jwt.algorithms.RSAAlgorithm.to_jwk(public, as_dict=True), "kid": kid}


def test_only_rsa_keys_with_a_kid_are_kept_and_a_malformed_one_is_left_out():
    cache = JwksCache()
    cache.load(
        {
            "keys": [
                rsa_jwk("good"),
                {**rsa_jwk("no-kid"), "kid": ""},
                {"kty": "oct", "kid": "secret", "k": "c2VjcmV0"},
                {"kty": "RSA", "kid": "broken", "n": "!", "e": "AQAB"},
            ]
        }
    )
    assert cache.key("good") is not None
    assert [cache.key(kid) for kid in ("secret", "broken", "")] == [None, None, None]


def test_an_unknown_kid_fetches_again_once_per_interval_and_finds_a_rotated_key():
    rotated = rsa_jwk("new")
    answers = [{"keys": [rsa_jwk("old")]}, {"keys": [rotated]}]
    fetched = []

    def fetch():
        fetched.append(1)
        return answers[len(fetched) - 1]

    cache = JwksCache(fetch, min_refetch_seconds=0)
    assert cache.key("old") is not None and len(fetched) == 1
    assert cache.key("new") is not None and len(fetched) == 2
    slow = JwksCache(lambda: fetched.append(1) or {"keys": []}, min_refetch_seconds=3600)
    assert slow.key("a") is None and slow.key("b") is None
    assert len(fetched) == 3
