"""OpenID Connect discovery: where standard JWT libraries and API gateways find how to verify our tokens.

The platform is not a full OpenID provider (it issues access tokens, not ID tokens, and has no
authorization endpoint): the document names what exists, so that verification by discovery works.
"""


def openid_configuration(public_base_url, issuer):
    base = public_base_url.rstrip("/")
    return {
        "issuer": issuer,
        "jwks_uri": f"{base}/auth/.well-known/jwks.json",
        "token_endpoint": f"{base}/auth/login",
        "token_endpoint_auth_methods_supported": ["none"],
        "grant_types_supported": ["password", "refresh_token"],
        "response_types_supported": ["token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "claims_supported": ["sub", "roles", "iss", "aud", "exp", "iat", "jti"],
    }
