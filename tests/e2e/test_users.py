"""Users over HTTP: signup, admin account operations, profiles, follows, preferences, search."""

from tests.e2e.test_account_flow import ADMIN, assert_error, create_admin


def make_user(api, admin, email, name, password="user-password-1", **extra):
    response = api.post("/users", token=admin, json={"email": email, "name": name, "password": password, **extra})
    assert response.status_code == 201, response.text
    return response.json()["data"], api.login(email, password)["access_token"]


def test_seed_003_signup_and_self_registration_roles(api, platform, event_tap):
    tap = event_tap("users")
    signup = api.post(
        "/auth/signup",
        json={"username": "ada", "email": "ada@example.com", "password": "ada-password-1", "role": "student"},
    )
    assert signup.status_code == 201, signup.text
    assert signup.json()["data"] == {"message": "Check your email for the confirmation code"}
    # Nobody makes themselves an admin or an instructor.
    for role in ("admin", "instructor"):
        refused = api.post(
            "/auth/signup",
            json={"username": f"x{role}", "email": f"{role}@example.com", "password": "pw-password-1", "role": role},
        )
        assert_error(refused, 400, "VALIDATION_ERROR")
    # Duplicate email or username, whatever the case: the same answer as a new account, and no account is made
    # (the address is told by email instead: tests/e2e/test_abuse.py).
    for duplicate in (
        {"email": "ADA@example.com", "password": "ada-password-1"},
        {"email": "other@example.com", "username": "ADA", "password": "ada-password-1"},
    ):
        again = api.post("/users/register", json=duplicate)
        assert (again.status_code, again.json()["data"]) == (201, signup.json()["data"]), again.text
    # A new code can be asked for; only the newest works; the username logs in too.
    first = tap.wait_for("USER_REGISTERED", email="ada@example.com")["metadata"]["confirmation_code"]
    assert api.post("/users/resend-confirmation", json={"email": "ada@example.com"}).status_code == 200
    second = tap.wait_for("USER_REGISTERED", email="ada@example.com", resent=True)["metadata"]["confirmation_code"]
    if first != second:
        assert_error(
            api.post("/users/confirm-registration", json={"email": "ada@example.com", "code": first}),
            400,
            "VALIDATION_ERROR",
        )
    assert api.post("/users/confirm-registration", json={"email": "ada@example.com", "code": second}).status_code == 200
    tokens = api.post("/auth/login", json={"username": "ada", "password": "ada-password-1"}).json()["data"]
    me = api.get("/auth/users/me", token=tokens["access_token"]).json()["data"]
    assert me["username"] == "ada" and me["role"] == "learner"


def test_admin_account_operations_under_auth_admin(api, platform):
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    created = api.post(
        "/auth/admin/create-user",
        token=admin,
        json={"email": "cora@example.com", "name": "Cora", "password": "cora-password-1", "roles": ["coach"]},
    )
    assert created.status_code == 201, created.text
    cora = created.json()["data"]
    session = api.login("cora@example.com", "cora-password-1")

    set_password = api.post(
        "/auth/admin/set-password", token=admin, json={"user_id": cora["id"], "password": "cora-password-2"}
    )
    assert set_password.status_code == 200
    assert_error(api.post("/auth/refresh", json={"refresh_token": session["refresh_token"]}), 401, "UNAUTHORIZED")
    api.login("cora@example.com", "cora-password-2")

    deleted = api.post("/auth/admin/delete-user", token=admin, json={"user_id": cora["id"]})
    assert deleted.status_code == 200
    assert_error(api.get(f"/users/{cora['id']}", token=admin), 404, "NOT_FOUND")
    assert_error(
        api.post("/auth/login", json={"identifier": "cora@example.com", "password": "cora-password-2"}),
        401,
        "UNAUTHORIZED",
    )
    # The email is free again.
    assert api.post("/users", token=admin, json={"email": "cora@example.com", "name": "Cora 2"}).status_code == 201
    assert_error(api.post("/auth/admin/delete-user", token=admin, json={"user_id": cora["id"]}), 404, "NOT_FOUND")
    assert_error(
        api.post("/auth/admin/set-password", token=admin, json={"user_id": "nope", "password": "x" * 9}),
        400,
        "VALIDATION_ERROR",
    )


def test_profiles_are_private_to_their_owner_and_admins(api, platform):
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    ann, ann_token = make_user(api, admin, "ann@example.com", "Ann")
    bob, bob_token = make_user(api, admin, "bob@example.com", "Bob")

    seen_by_bob = api.get(f"/users/profile/{ann['id']}", token=bob_token).json()["data"]
    assert seen_by_bob["name"] == "Ann" and "email" not in seen_by_bob
    assert api.get(f"/users/{ann['id']}", token=admin).json()["data"]["email"] == "ann@example.com"
    assert api.get(f"/users/{ann['id']}", token=ann_token).json()["data"]["email"] == "ann@example.com"
    assert_error(api.put(f"/users/{ann['id']}", token=bob_token, json={"name": "Hacked"}), 403, "FORBIDDEN")
    assert_error(api.put("/users/profile", token=bob_token, json={"timezone": "Mars/Olympus"}), 400, "VALIDATION_ERROR")
    assert_error(api.put("/users/profile", token=bob_token, json={"email": "new@example.com"}), 400, "VALIDATION_ERROR")
    changed = api.put(f"/users/{ann['id']}", token=admin, json={"name": "Ann B", "status": "disabled"})
    assert changed.status_code == 200 and changed.json()["data"]["status"] == "disabled"
    assert_error(
        api.post("/auth/login", json={"identifier": "ann@example.com", "password": "user-password-1"}), 403, "FORBIDDEN"
    )
    assert_error(api.get("/users/00000000-0000-0000-0000-000000000000", token=bob_token), 404, "NOT_FOUND")
    assert_error(api.get("/users/not-a-uuid", token=bob_token), 404, "NOT_FOUND")


def test_follow_unfollow_and_lists(api, platform, event_tap):
    tap = event_tap("users")
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    ann, ann_token = make_user(api, admin, "ann@example.com", "Ann")
    bob, bob_token = make_user(api, admin, "bob@example.com", "Bob")
    cy, cy_token = make_user(api, admin, "cy@example.com", "Cy")

    assert api.post(f"/users/{ann['id']}/follow", token=bob_token).status_code == 200
    assert api.post(f"/users/{ann['id']}/follow", token=bob_token).status_code == 200  # twice is harmless
    assert api.post(f"/users/{ann['id']}/follow", token=cy_token).status_code == 200
    # The follower's name travels with the event (notifications writes "<name> now follows you" from it).
    assert tap.wait_for("USER_FOLLOWED", user_id=bob["id"], followee_id=ann["id"], follower_name="Bob")
    assert_error(api.post(f"/users/{ann['id']}/follow", token=ann_token), 400, "VALIDATION_ERROR")

    followers = api.get(f"/users/{ann['id']}/followers", token=bob_token, params={"page_size": 1}).json()["data"]
    assert followers["total"] == 2 and len(followers["items"]) == 1 and followers["page_size"] == 1
    assert {
        item["name"] for item in api.get(f"/users/{ann['id']}/followers", token=bob_token).json()["data"]["items"]
    } == {
        "Bob",
        "Cy",
    }
    assert api.get(f"/users/{bob['id']}/following", token=ann_token).json()["data"]["items"][0]["id"] == ann["id"]
    ann_profile = api.get("/users/profile", token=ann_token).json()["data"]
    assert (ann_profile["followers"], ann_profile["following"]) == (2, 0)
    assert api.post(f"/users/{bob['id']}/follow", token=ann_token).status_code == 200
    bob_profile = api.get("/users/profile", token=bob_token).json()["data"]
    assert (bob_profile["followers"], bob_profile["following"]) == (1, 1)
    assert api.delete(f"/users/{bob['id']}/follow", token=ann_token).status_code == 200

    assert api.delete(f"/users/{ann['id']}/follow", token=bob_token).status_code == 200
    assert api.get(f"/users/{ann['id']}/followers", token=bob_token).json()["data"]["total"] == 1
    assert_error(api.get(f"/users/{ann['id']}/followers", token=bob_token, params={"page": 0}), 400, "VALIDATION_ERROR")
    assert_error(
        api.get(f"/users/{ann['id']}/followers", token=bob_token, params={"page_size": 1000}), 400, "VALIDATION_ERROR"
    )


def test_preferences(api, platform):
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    _, token = make_user(api, admin, "pat@example.com", "Pat")
    defaults = api.get("/users/preferences", token=token).json()["data"]
    assert defaults["theme"] == "system" and defaults["language"] == "en"
    changed = api.put("/users/preferences", token=token, json={"theme": "dark", "timezone": "Asia/Tokyo"})
    assert changed.status_code == 200
    assert changed.json()["data"] == {**defaults, "theme": "dark", "timezone": "Asia/Tokyo"}
    assert api.get("/users/preferences", token=token).json()["data"]["theme"] == "dark"
    assert_error(api.put("/users/preferences", token=token, json={"theme": "neon"}), 400, "VALIDATION_ERROR")
    assert_error(api.put("/users/preferences", token=token, json={"$where": "1"}), 400, "VALIDATION_ERROR")


def test_search_and_admin_listing(api, platform):
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    _, token = make_user(api, admin, "dana.scully@example.com", "Dana Scully", roles=["instructor"])
    make_user(api, admin, "fox@example.com", "Fox Mulder")
    make_user(api, admin, "percent@example.com", "100% Real")

    found = api.post("/users/search", token=token, json={"query": "SCUL"}).json()["data"]
    assert [item["name"] for item in found["items"]] == ["Dana Scully"]
    assert found["items"][0]["email"] == "dana.scully@example.com"  # her own entry is full
    fox = api.post("/users/search", token=token, json={"query": "mulder"}).json()["data"]["items"]
    assert [item["name"] for item in fox] == ["Fox Mulder"] and "email" not in fox[0]
    # Others' emails are not searchable by non-admins.
    assert api.post("/users/search", token=token, json={"query": "fox@"}).json()["data"]["total"] == 0
    assert api.post("/users/search", token=admin, json={"query": "fox@"}).json()["data"]["total"] == 1
    # LIKE wildcards in the query are literal.
    assert api.post("/users/search", token=token, json={"query": "%"}).json()["data"]["total"] == 1
    assert api.post("/users/search", token=token, json={"query": "_"}).json()["data"]["total"] == 0
    by_role = api.post("/users/search", token=token, json={"role": "instructor"}).json()["data"]
    assert by_role["total"] == 1
    listing = api.get("/users", token=admin, params={"page": 2, "page_size": 2}).json()["data"]
    assert listing["total"] == 4 and len(listing["items"]) == 2 and listing["page"] == 2


def test_a_private_profile_is_hidden_from_other_learners_and_shown_to_admins_and_chosen_followers(api, platform):
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    ivy, ivy_token = make_user(api, admin, "ivy@example.com", "Ivy Private")
    _, ned_token = make_user(api, admin, "ned@example.com", "Ned Nosy")
    _, fay_token = make_user(api, admin, "fay@example.com", "Fay Follower")
    assert api.post(f"/users/{ivy['id']}/follow", token=fay_token).status_code == 200

    def search(token):
        return api.post("/users/search", token=token, json={"query": "ivy"}).json()["data"]

    def profile(token):
        return api.get(f"/users/profile/{ivy['id']}", token=token)

    assert search(ned_token)["total"] == 1 and profile(ned_token).status_code == 200  # public by default

    changed = api.put("/users/preferences", token=ivy_token, json={"profile_visibility": "private"})
    assert changed.json()["data"]["profile_visibility"] == "private"
    for token in (ned_token, fay_token):  # another learner, even a follower: as if she did not exist
        assert search(token) == {"items": [], "total": 0, "page": 1, "page_size": 20}
        assert_error(profile(token), 404, "NOT_FOUND")
        assert_error(api.get(f"/users/{ivy['id']}", token=token), 404, "NOT_FOUND")
    assert profile(admin).json()["data"]["name"] == "Ivy Private" and search(admin)["total"] == 1
    assert profile(ivy_token).status_code == 200 and search(ivy_token)["total"] == 1  # her own

    api.put("/users/preferences", token=ivy_token, json={"profile_visibility": "followers"})
    assert profile(fay_token).json()["data"]["name"] == "Ivy Private" and search(fay_token)["total"] == 1
    assert_error(profile(ned_token), 404, "NOT_FOUND")
    assert search(ned_token)["total"] == 0
