"""auth.provider: cognito — passwords, registration, resets and admin operations in the Cognito user pool.

The user pool is moto's (ThreadedMotoServer on 127.0.0.1, reached by boto3 over HTTP at the configured
endpoint); the hosted UI is the local stand-in. Over HTTP through the gateway, real RabbitMQ and PostgreSQL.
moto does not check registration codes, nor reset codes other than its own "moto-confirmation-code:..."
ones, so a wrong code is not tested here (tests/unit/auth covers how pool errors are answered).
"""

import boto3
import pytest
from moto.server import ThreadedMotoServer

from auth.providers.cognito import secret_hash
from common import events
from tests.e2e.test_account_flow import ADMIN, account_of, assert_error, create_admin, register
from tests.e2e.test_sso_oauth import sign_in as oauth_sign_in
from tests.support.sso_fixtures import allow_plain_http, cognito, github, google, sso_config, visit_provider

__all__ = ["cognito", "github", "google"]  # fixtures


@pytest.fixture
def user_pool(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    idp = boto3.client("cognito-idp", region_name="us-east-1", endpoint_url=endpoint)
    # The platform's own length rule (10+ characters; auth checks the rest), not Cognito's default.
    policy = {"MinimumLength": 10, "RequireUppercase": False, "RequireNumbers": False, "RequireSymbols": False}
    pool_id = idp.create_user_pool(
        PoolName="lnd", AutoVerifiedAttributes=["email"], Policies={"PasswordPolicy": policy}
    )["UserPool"]["Id"]
    app_client = idp.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="lnd-api",
        GenerateSecret=True,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]
    yield {"endpoint": endpoint, "idp": idp, "pool_id": pool_id, "client": app_client}
    server.stop()


@pytest.fixture
def platform_config(platform_config, cognito, google, github, user_pool, monkeypatch):
    allow_plain_http(monkeypatch)
    config = sso_config(platform_config, cognito, google, github)
    config["AUTH"]["PROVIDER"] = "cognito"
    config["AUTH"]["COGNITO"].update(
        {
            "ENDPOINT_URL": user_pool["endpoint"],
            "USER_POOL_ID": user_pool["pool_id"],
            "CLIENT_ID": user_pool["client"]["ClientId"],
            "CLIENT_SECRET": user_pool["client"]["ClientSecret"],
        }
    )
    # The hosted UI stand-in answers for the same app client and pool.
    cognito.client_id = user_pool["client"]["ClientId"]
    cognito.client_secret = user_pool["client"]["ClientSecret"]
    cognito.pool_id = user_pool["pool_id"]
    cognito.issuer = f"https://cognito-idp.us-east-1.amazonaws.com/{user_pool['pool_id']}"
    return config


def pool_user(user_pool, email):
    found = user_pool["idp"].admin_get_user(UserPoolId=user_pool["pool_id"], Username=email)
    return found["UserStatus"], {item["Name"]: item["Value"] for item in found["UserAttributes"]}


def test_registration_confirmation_login_and_reset_go_to_the_user_pool(api, platform, user_pool, event_tap, cognito):
    tap = event_tap("users")
    registered = api.post(
        "/users/register", json={"email": "Cleo@Example.com", "password": "Cleo-pass-123", "name": "Cleo"}
    )
    assert registered.status_code == 201, registered.text
    user_id = account_of(platform, "cleo@example.com")["id"]
    # The pool holds the user, unconfirmed; Cognito sends the code itself, so the event carries none.
    status, attributes = pool_user(user_pool, "cleo@example.com")
    assert status == "UNCONFIRMED" and attributes["email"] == "cleo@example.com"
    assert tap.wait_for(events.USER_REGISTERED, email="cleo@example.com")["metadata"]["confirmation_code"] is None
    # The pool knows the password, but the profile is pending: 403 as with the local provider.
    login = {"identifier": "cleo@example.com", "password": "Cleo-pass-123"}
    assert_error(api.post("/auth/login", json=login), 403, "FORBIDDEN")

    confirmed = api.post("/users/confirm-registration", json={"email": "cleo@example.com", "code": "123456"})
    assert confirmed.status_code == 200, confirmed.text
    assert pool_user(user_pool, "cleo@example.com")[0] == "CONFIRMED"

    # USER_PASSWORD_AUTH against the pool; the platform's own tokens come back.
    tokens = api.post("/auth/login", json=login)
    assert tokens.status_code == 200, tokens.text
    assert tokens.json()["data"]["user"]["id"] == user_id
    assert_error(api.post("/auth/login", json={**login, "password": "wrong-pass-123"}), 401, "UNAUTHORIZED")
    # That 401 is the pool's answer: moto checks USER_PASSWORD_AUTH passwords and refuses a wrong one.
    client = user_pool["client"]
    with pytest.raises(user_pool["idp"].exceptions.NotAuthorizedException):
        user_pool["idp"].initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId=client["ClientId"],
            AuthParameters={
                "USERNAME": "cleo@example.com",
                "PASSWORD": "wrong-pass-123",
                "SECRET_HASH": secret_hash(client["ClientId"], client["ClientSecret"], "cleo@example.com"),
            },
        )

    # Forgot / confirm-forgot password through the pool.
    forgot = api.post("/auth/forgot-password", json={"identifier": "cleo@example.com"})
    assert forgot.status_code == 200, forgot.text
    reset = api.post(
        "/auth/confirm-forgot-password",
        json={"identifier": "cleo@example.com", "code": "654321", "new_password": "Cleo-new-pass-456"},
    )
    assert reset.status_code == 200, reset.text
    assert_error(api.post("/auth/login", json=login), 401, "UNAUTHORIZED")
    session = api.login("cleo@example.com", "Cleo-new-pass-456")
    assert session["user"]["id"] == user_id

    # Change password: the current one is checked against the pool first.
    wrong = {"current_password": "not-the-password", "new_password": "Cleo-third-789"}
    assert_error(api.post("/auth/change-password", token=session["access_token"], json=wrong), 401, "UNAUTHORIZED")
    right = {"current_password": "Cleo-new-pass-456", "new_password": "Cleo-third-789"}
    changed = api.post("/auth/change-password", token=session["access_token"], json=right)
    assert changed.status_code == 200, changed.text
    assert api.login("cleo@example.com", "Cleo-third-789")["user"]["id"] == user_id

    # The hosted UI signs in the same pool user (by its sub) to the same profile.
    cognito.sign_in_as(sub=attributes["sub"], email="cleo@example.com", name="Cleo")
    started = api.get("/auth/login-url").json()["data"]
    location, _ = visit_provider(started["login_url"])
    hosted = api.session.get(location, timeout=30)
    assert hosted.status_code == 200, hosted.text
    assert hosted.json()["data"]["user"]["id"] == user_id and hosted.json()["data"]["first_sign_in"] is False


def test_admin_create_set_password_and_delete_go_to_the_user_pool(api, platform, user_pool):
    create_admin(platform)
    assert pool_user(user_pool, ADMIN[0])[0] == "CONFIRMED"
    admin = api.login(*ADMIN)["access_token"]

    created = api.post(
        "/auth/admin/create-user",
        token=admin,
        json={"email": "dev@example.com", "name": "Dev", "password": "Dev-pass-1234"},
    )
    assert created.status_code == 201, created.text
    user_id = created.json()["data"]["id"]
    status, attributes = pool_user(user_pool, "dev@example.com")
    assert status == "CONFIRMED" and attributes["email_verified"] == "true"
    assert api.login("dev@example.com", "Dev-pass-1234")["user"]["id"] == user_id

    changed = api.post("/auth/admin/set-password", token=admin, json={"user_id": user_id, "password": "Dev-other-5678"})
    assert changed.status_code == 200, changed.text
    assert_error(
        api.post("/auth/login", json={"identifier": "dev@example.com", "password": "Dev-pass-1234"}),
        401,
        "UNAUTHORIZED",
    )
    assert api.login("dev@example.com", "Dev-other-5678")["user"]["id"] == user_id

    # The same email again: the pool and the profile both refuse it.
    again = api.post(
        "/auth/admin/create-user",
        token=admin,
        json={"email": "dev@example.com", "name": "Dev 2", "password": "Dev-pass-1234"},
    )
    assert_error(again, 409, "CONFLICT")

    deleted = api.post("/auth/admin/delete-user", token=admin, json={"user_id": user_id})
    assert deleted.status_code == 200, deleted.text
    with pytest.raises(user_pool["idp"].exceptions.UserNotFoundException):
        pool_user(user_pool, "dev@example.com")
    assert_error(
        api.post("/auth/login", json={"identifier": "dev@example.com", "password": "Dev-other-5678"}),
        401,
        "UNAUTHORIZED",
    )


def test_a_verified_sign_in_confirms_a_pending_pool_account_and_the_pool_forgets_its_password(
    api, platform, user_pool, google
):
    # Someone signs Eve's email up in the pool with a password of theirs; Cognito mails the code to Eve.
    registered = register(api, "eve@example.com", password="Squatter-pass-1")
    assert registered.status_code == 201, registered.text
    pending = account_of(platform, "eve@example.com")
    assert pool_user(user_pool, "eve@example.com")[0] == "UNCONFIRMED"
    squatter = {"identifier": "eve@example.com", "password": "Squatter-pass-1"}
    assert_error(api.post("/auth/login", json=squatter), 403, "FORBIDDEN")

    # Eve signs in with Google, which verified the email.
    eve = {"sub": "400000000000000000004", "email": "eve@example.com", "email_verified": True, "name": "Eve"}
    response = oauth_sign_in(api, "google", google, eve)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["user"]["id"] == pending["id"] and data["user"]["status"] == "active"

    # The pool user is confirmed with a password nobody knows, and its email is verified.
    status, attributes = pool_user(user_pool, "eve@example.com")
    assert status == "CONFIRMED" and attributes["email_verified"] == "true"
    assert_error(api.post("/auth/login", json=squatter), 401, "UNAUTHORIZED")
    # Eve chooses her own password through the pool's forgot-password (the code goes to her email).
    assert api.post("/auth/forgot-password", json={"identifier": "eve@example.com"}).status_code == 200
    reset = api.post(
        "/auth/confirm-forgot-password",
        json={"identifier": "eve@example.com", "code": "654321", "new_password": "Eve-own-pass-1"},
    )
    assert reset.status_code == 200, reset.text
    assert api.login("eve@example.com", "Eve-own-pass-1")["user"]["id"] == pending["id"]
