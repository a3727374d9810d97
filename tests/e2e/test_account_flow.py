"""The foundation's must-show flows, over HTTP through the gateway, on real RabbitMQ and PostgreSQL."""

import base64
import json
import time

import eventlet
import jwt

from common import events
from tests.support.api import ApiClient

ADMIN = ("admin@example.com", "admin-password-1")


def create_admin(platform_config):
    """The first admin, made the way bootstrap makes it (over RPC, as an operator)."""
    from nameko.standalone.rpc import ClusterRpcProxy

    with ClusterRpcProxy(platform_config) as rpc:
        return rpc.users.create_user(email=ADMIN[0], name="Admin", password=ADMIN[1], roles=["admin"])


def register(api, email, password="learner-pass-1", **extra):
    return api.post("/users/register", json={"email": email, "password": password, "name": "Lee Learner", **extra})


def account_of(platform_config, email):
    """The account an email registered, asked for as an operator: a registration's answer names none."""
    from nameko.standalone.rpc import ClusterRpcProxy

    with ClusterRpcProxy(platform_config) as rpc:
        found = rpc.users.list_users(q=email)["items"]
    assert len(found) == 1, found
    return found[0]


def assert_error(response, status, code):
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False and body["data"] is None
    assert body["error"]["code"] == code
    assert body["timestamp"].endswith("Z")
    text = response.text.lower()
    assert "traceback" not in text and "select " not in text and "sqlalchemy" not in text


def test_register_confirm_login_profile_refresh_logout(api, event_tap):
    tap = event_tap("users")
    response = api.post(
        "/users/register",
        json={"email": "lee@example.com", "password": "learner-pass-1", "name": "Lee Learner"},
        headers={"X-Request-ID": "flow-1"},
    )
    assert response.status_code == 201, response.text
    assert response.headers["X-Request-ID"] == "flow-1"
    # The answer is the same whether or not the email had an account: it names no account.
    assert response.json()["data"] == {"message": "Check your email for the confirmation code"}

    # The code travels in the USER_REGISTERED event; an unconfirmed user cannot log in.
    registered = tap.wait_for(events.USER_REGISTERED, email="lee@example.com")
    user_id = registered["user_id"]
    code = registered["metadata"]["confirmation_code"]
    # The correlation id travelled gateway -> users -> the event, in Nameko's context data.
    assert tap.headers[registered["event_id"]]["nameko.request_id"] == "flow-1"
    assert tap.headers[registered["event_id"]]["nameko.origin"] == "gateway"
    assert_error(
        api.post("/auth/login", json={"identifier": "lee@example.com", "password": "learner-pass-1"}), 403, "FORBIDDEN"
    )
    assert_error(
        api.post(
            "/users/confirm-registration",
            json={"email": "lee@example.com", "code": "000000" if code != "000000" else "111111"},
        ),
        400,
        "VALIDATION_ERROR",
    )
    confirmed = api.post("/users/confirm-registration", json={"email": "lee@example.com", "code": code})
    assert confirmed.status_code == 200, confirmed.text
    assert tap.wait_for(events.USER_CONFIRMED, user_id=user_id)
    # A code is single use.
    assert_error(
        api.post("/users/confirm-registration", json={"email": "lee@example.com", "code": code}),
        400,
        "VALIDATION_ERROR",
    )

    tokens = api.login("LEE@example.com", "learner-pass-1")
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert claims["sub"] == user_id and claims["roles"] == ["learner"]
    assert {"iss", "aud", "exp", "iat", "jti"} <= set(claims)
    assert jwt.get_unverified_header(tokens["access_token"])["alg"] == "RS256"

    profile = api.get("/users/profile", token=tokens["access_token"])
    assert profile.status_code == 200
    assert profile.json()["data"]["email"] == "lee@example.com"
    updated = api.put(
        "/users/profile", token=tokens["access_token"], json={"bio": "Learning", "timezone": "Europe/Paris"}
    )
    assert updated.status_code == 200 and updated.json()["data"]["timezone"] == "Europe/Paris"
    assert api.get("/auth/users/me", params={"token": tokens["access_token"]}).json()["data"]["id"] == user_id

    refreshed = api.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text
    new_tokens = refreshed.json()["data"]
    assert new_tokens["refresh_token"] != tokens["refresh_token"]
    assert api.get("/auth/verify-token", token=new_tokens["access_token"]).json()["data"]["valid"] is True

    logout = api.post("/auth/logout", json={"refresh_token": new_tokens["refresh_token"]})
    assert logout.status_code == 200
    assert_error(api.post("/auth/refresh", json={"refresh_token": new_tokens["refresh_token"]}), 401, "UNAUTHORIZED")


def test_reusing_a_spent_refresh_token_revokes_the_family(api, platform):
    create_admin(platform)
    first = api.login(*ADMIN)
    second = api.post("/auth/refresh", json={"refresh_token": first["refresh_token"]}).json()["data"]
    # The spent token comes back: refused, and the token it was rotated into dies with it.
    assert_error(api.post("/auth/refresh", json={"refresh_token": first["refresh_token"]}), 401, "UNAUTHORIZED")
    assert_error(api.post("/auth/refresh", json={"refresh_token": second["refresh_token"]}), 401, "UNAUTHORIZED")
    # Another login is another family and still works.
    other = api.login(*ADMIN)
    assert api.post("/auth/refresh", json={"refresh_token": other["refresh_token"]}).status_code == 200


def test_admin_changes_roles_and_learner_is_refused_admin_routes(api, platform):
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    created = api.post(
        "/users",
        token=admin,
        json={"email": "ivy@example.com", "name": "Ivy", "password": "ivy-password-1", "roles": ["student"]},
    )
    assert created.status_code == 201, created.text
    ivy = created.json()["data"]
    assert ivy["status"] == "active" and ivy["roles"] == ["learner"]
    learner = api.login("ivy@example.com", "ivy-password-1")["access_token"]

    for method, path in [
        ("GET", "/users"),
        ("POST", "/users"),
        ("PUT", f"/users/{ivy['id']}/roles"),
        ("DELETE", f"/users/{ivy['id']}"),
        ("GET", "/admin/health"),
        ("GET", "/admin/dashboard"),
        ("GET", "/admin/settings"),
        ("POST", "/auth/admin/set-password"),
    ]:
        assert_error(api.request(method, path, token=learner, json={}), 403, "FORBIDDEN")

    changed = api.put(f"/users/{ivy['id']}/roles", token=admin, json={"roles": ["learner", "instructor"]})
    assert changed.status_code == 200 and changed.json()["data"]["roles"] == ["learner", "instructor"]
    assert api.get(f"/users/{ivy['id']}/roles", token=learner).json()["data"]["roles"] == ["learner", "instructor"]
    # New roles reach the token at the next login or refresh.
    roles = jwt.decode(
        api.login("ivy@example.com", "ivy-password-1")["access_token"], options={"verify_signature": False}
    )["roles"]
    assert roles == ["learner", "instructor"]

    listed = api.get("/users", token=admin, params={"role": "instructor", "page_size": 5})
    assert listed.status_code == 200
    page = listed.json()["data"]
    assert page["total"] == 1 and page["page"] == 1 and page["page_size"] == 5
    assert page["items"][0]["email"] == "ivy@example.com"

    # The last admin cannot demote itself away.
    me = api.get("/users/profile", token=admin).json()["data"]["id"]
    assert_error(api.put(f"/users/{me}/roles", token=admin, json={"roles": ["learner"]}), 409, "CONFLICT")


def _forge(token, **changes):
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def test_tampered_expired_and_unsigned_tokens_get_401(api, platform):
    create_admin(platform)
    token = api.login(*ADMIN)["access_token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    header = jwt.get_unverified_header(token)

    tampered = _forge(token, roles=["admin", "instructor"])
    unsigned = jwt.encode({**claims, "roles": ["admin"]}, None, algorithm="none", headers={"kid": header["kid"]})
    from cryptography.hazmat.primitives.asymmetric import rsa

    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    expired = jwt.encode(
        {**claims, "iat": int(time.time()) - 3600, "exp": int(time.time()) - 60},
        other_key,
        algorithm="RS256",
        headers={"kid": header["kid"]},
    )
    wrong_key = jwt.encode(claims, other_key, algorithm="RS256", headers={"kid": header["kid"]})
    for bad in [tampered, unsigned, expired, wrong_key, "not-a-token", token + "x"]:
        assert_error(api.get("/users/profile", token=bad), 401, "UNAUTHORIZED")
    assert_error(api.get("/users/profile"), 401, "UNAUTHORIZED")
    assert_error(api.get("/users/profile", headers={"Authorization": f"Basic {token}"}), 401, "UNAUTHORIZED")
    assert api.get("/users/profile", token=token).status_code == 200


def test_expired_token_signed_by_the_platform_gets_401(api, platform):
    """An access token the platform itself signed, once its 15 minutes are over."""
    from sqlalchemy import create_engine, text

    create_admin(platform)
    token = api.login(*ADMIN)["access_token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    engine = create_engine(platform["DB_URIS"]["auth:Base"])
    with engine.connect() as conn:
        pem = conn.execute(text("SELECT private_pem FROM signing_keys WHERE active")).scalar_one()
    engine.dispose()
    kid = jwt.get_unverified_header(token)["kid"]
    expired = jwt.encode(
        {**claims, "iat": int(time.time()) - 1000, "exp": int(time.time()) - 100},
        pem,
        algorithm="RS256",
        headers={"kid": kid},
    )
    response = api.get("/users/profile", token=expired)
    assert_error(response, 401, "UNAUTHORIZED")
    assert "expired" in response.json()["error"]["message"]


def test_forgot_password_and_change_password(api, platform, event_tap):
    tap = event_tap("auth")
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    api.post("/users", token=admin, json={"email": "rae@example.com", "name": "Rae", "password": "rae-password-1"})
    session = api.login("rae@example.com", "rae-password-1")

    unknown = api.post("/auth/forgot-password", json={"email": "nobody@example.com"})
    known = api.post("/auth/forgot-password", json={"email": "rae@example.com"})
    # The answer does not tell whether the account exists.
    assert unknown.status_code == known.status_code == 200
    assert unknown.json()["data"] == known.json()["data"]
    code = tap.wait_for(events.PASSWORD_RESET_REQUESTED, email="rae@example.com")["metadata"]["code"]

    bad = api.post(
        "/auth/confirm-forgot-password",
        json={"email": "rae@example.com", "code": "12345", "new_password": "rae-password-2"},
    )
    assert_error(bad, 400, "VALIDATION_ERROR")
    reset = api.post(
        "/auth/confirm-forgot-password",
        json={"email": "rae@example.com", "code": code, "new_password": "rae-password-2"},
    )
    assert reset.status_code == 200, reset.text
    again = api.post(
        "/auth/confirm-forgot-password",
        json={"email": "rae@example.com", "code": code, "new_password": "rae-password-3"},
    )
    assert_error(again, 400, "VALIDATION_ERROR")
    # The reset signed out the old sessions.
    assert_error(api.post("/auth/refresh", json={"refresh_token": session["refresh_token"]}), 401, "UNAUTHORIZED")
    assert_error(
        api.post("/auth/login", json={"identifier": "rae@example.com", "password": "rae-password-1"}),
        401,
        "UNAUTHORIZED",
    )
    token = api.login("rae@example.com", "rae-password-2")["access_token"]

    wrong = api.post(
        "/auth/change-password", token=token, json={"current_password": "nope-nope", "new_password": "rae-password-4"}
    )
    assert_error(wrong, 401, "UNAUTHORIZED")
    changed = api.post(
        "/auth/change-password",
        token=token,
        json={"current_password": "rae-password-2", "new_password": "rae-password-4"},
    )
    assert changed.status_code == 200
    assert api.login("rae@example.com", "rae-password-4")


def test_reset_code_allows_only_a_few_wrong_guesses(api, platform, event_tap):
    tap = event_tap("auth")
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    api.post("/users", token=admin, json={"email": "gus@example.com", "name": "Gus", "password": "gus-password-1"})
    api.post("/auth/forgot-password", json={"identifier": "gus@example.com"})
    code = tap.wait_for(events.PASSWORD_RESET_REQUESTED, email="gus@example.com")["metadata"]["code"]
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        api.post(
            "/auth/confirm-forgot-password",
            json={"email": "gus@example.com", "code": wrong, "new_password": "gus-new-pass-1"},
        )
    late = api.post(
        "/auth/confirm-forgot-password",
        json={"email": "gus@example.com", "code": code, "new_password": "gus-new-pass-2"},
    )
    assert_error(late, 400, "VALIDATION_ERROR")


def test_failed_logins_lock_the_identifier_without_revealing_the_account(api, platform, event_tap):
    tap = event_tap("auth")
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    changed = api.put("/admin/settings/auth.max_failed_logins", token=admin, json={"value": 3})
    assert changed.status_code == 200, changed.text
    assert api.get("/admin/settings/auth.max_failed_logins", token=admin).json()["data"]["value"] == 3
    api.post("/users", token=admin, json={"email": "max@example.com", "name": "Max", "password": "max-password-1"})

    for identifier in ("max@example.com", "ghost@example.com"):
        statuses = [
            api.post("/auth/login", json={"identifier": identifier, "password": "wrong-password"}).status_code
            for _ in range(3)
        ]
        assert statuses == [401, 401, 401]
        # Locked now, the right password included; an unknown identifier looks the same.
        locked = api.post("/auth/login", json={"identifier": identifier, "password": "max-password-1"})
        assert_error(locked, 429, "RATE_LIMITED")

    # The owner of the locked account is told (a security message); nobody is told about the ghost.
    api.login(*ADMIN)  # published after all of the above: the second USER_LOGGED_IN ends what to read
    seen = []
    while sum(event["event_type"] == events.USER_LOGGED_IN for event in seen) < 2:
        seen.append(tap.received.get(timeout=10))
    locks = [event for event in seen if event["event_type"] == events.ACCOUNT_LOCKED]
    assert len(locks) == 1 and locks[0]["metadata"]["locked_until"]
    assert api.get(f"/users/{locks[0]['user_id']}", token=admin).json()["data"]["email"] == "max@example.com"


def test_registering_one_email_concurrently_creates_one_account(api, platform):
    create_admin(platform)
    pool = eventlet.GreenPool(8)
    responses = list(
        pool.imap(lambda i: register(ApiClient(api.base_url), "twin@example.com", username=f"twin{i}"), range(8))
    )
    # Every registration answers alike (a taken email is not told apart from a free one), one account is made.
    assert {(response.status_code, response.text.split('"timestamp"')[0]) for response in responses} == {
        (201, responses[0].text.split('"timestamp"')[0])
    }, [r.text for r in responses]
    admin = api.login(*ADMIN)["access_token"]
    found = api.get("/users", token=admin, params={"q": "twin@example.com"}).json()["data"]
    assert found["total"] == 1
