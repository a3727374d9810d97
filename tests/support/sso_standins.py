"""Local stand-ins, on 127.0.0.1 and started by the test, for the identity providers' HTTP endpoints.

* ``CognitoHostedUI``: /oauth2/authorize, /oauth2/token (an ID token signed with a key the test made),
  /.well-known/jwks.json and /logout, as Cognito's hosted UI answers them.
* ``GoogleOAuth``: /o/oauth2/v2/auth, /token and /v1/userinfo (OpenID Connect userinfo).
* ``GitHubOAuth``: /login/oauth/authorize, /login/oauth/access_token, /user and /user/emails.

The authorize endpoint plays the user at the provider: the test says who signs in (``sign_in_as``) or that
consent is refused (``deny_next``); it answers 302 to the redirect URI with ``code`` and ``state`` (or
``error=access_denied``), as the provider does. It insists on a PKCE S256 challenge, as a check on the
platform's authorization URLs. The token endpoint checks the client's credentials, the redirect URI and the
PKCE verifier against the challenge (S256), and refuses a code used before, like the real ones, with
``400 {"error": "invalid_grant"}``. A code issued without a challenge (Cognito's /login reached from
/logout) is refused when a verifier comes with it: real servers may ignore such a verifier, and the platform
must rely on neither answer.

``hold(path, count)`` keeps the answers of ``path`` until ``count`` requests wait on it, so a test can make
that many sign-ins reach the platform's next step at the same moment.
"""

import base64
import hashlib
import json
import secrets
import threading
import time
import uuid
from urllib.parse import urlencode

import eventlet
import eventlet.wsgi
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.wrappers import Request, Response


def make_rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _json(body, status=200, headers=None):
    return Response(json.dumps(body), status=status, content_type="application/json", headers=headers)


def _pkce_ok(verifier, challenge):
    if not verifier or not challenge:
        return False
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii") == challenge


class AuthorizationServer:
    """The authorization-code grant with PKCE, shared by the three providers."""

    authorize_path = "/authorize"
    token_path = "/token"

    def __init__(self, client_id="test-client", client_secret="test-secret"):
        self.client_id = client_id
        self.client_secret = client_secret
        self.account = None  # who signs in at the next authorize
        self._deny_next = False
        self._codes = {}  # code -> {account, redirect_uri, challenge, used}
        self._tokens = {}  # access token -> account
        self.token_requests = []
        self._held = {}  # path -> {"count": n, "waiting": k}
        self._lock = threading.Lock()
        self._socket = eventlet.listen(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._server = eventlet.spawn(eventlet.wsgi.server, self._socket, self._app, log_output=False, socket_timeout=5)

    # -- scripting ----------------------------------------------------------------

    def sign_in_as(self, **account):
        self.account = account

    def deny_next(self):
        self._deny_next = True

    def hold(self, path, count, timeout=10):
        """Answers of ``path`` wait until ``count`` requests are waiting (or ``timeout`` seconds pass)."""
        self._held[path] = {"count": count, "waiting": 0, "timeout": timeout, "timed_out": False}

    def all_held_together(self, path):
        """Whether ``count`` requests did wait on ``path`` at once (rather than the hold timing out)."""
        held = self._held[path]
        return held["waiting"] >= held["count"] and not held["timed_out"]

    def _wait_for_the_others(self, path):
        held = self._held.get(path)
        if held is None:
            return
        held["waiting"] += 1
        deadline = time.monotonic() + held["timeout"]
        while held["waiting"] < held["count"]:
            if time.monotonic() >= deadline:
                held["timed_out"] = True
                return
            eventlet.sleep(0.005)

    def close(self):
        self._server.kill()
        self._socket.close()

    # -- the endpoints --------------------------------------------------------------

    def _app(self, environ, start_response):
        request = Request(environ)
        return self._answer(request)(environ, start_response)

    def _answer(self, request):
        self._wait_for_the_others(request.path)
        if request.method == "GET" and request.path == self.authorize_path:
            return self._authorize(request)
        if request.method == "POST" and request.path == self.token_path:
            return self._token(request)
        return self.more_endpoints(request) or _json({"error": "not_found"}, 404)

    def more_endpoints(self, request):
        return None

    def _authorize(self, request, pkce_required=True):
        args = request.args
        if args.get("client_id") != self.client_id or args.get("response_type") != "code":
            return _json({"error": "invalid_request"}, 400)
        redirect_uri, state = args.get("redirect_uri"), args.get("state")
        if self._deny_next or self.account is None:
            self._deny_next = False
            query = {"error": "access_denied", "error_description": "The user denied the request", "state": state}
            return Response("", status=302, headers={"Location": f"{redirect_uri}?{urlencode(query)}"})
        challenged = args.get("code_challenge_method") == "S256" and args.get("code_challenge")
        if pkce_required and not challenged:
            return _json({"error": "invalid_request", "error_description": "PKCE S256 is required"}, 400)
        code = secrets.token_urlsafe(16)
        with self._lock:
            self._codes[code] = {
                "account": dict(self.account),
                "redirect_uri": redirect_uri,
                "challenge": args.get("code_challenge") if challenged else None,
                "used": False,
                "scope": args.get("scope", ""),
            }
        query = {"code": code, "state": state}
        return Response("", status=302, headers={"Location": f"{redirect_uri}?{urlencode(query)}"})

    def _client_ok(self, request):
        if request.authorization and request.authorization.type == "basic":
            return (request.authorization.username, request.authorization.password) == (
                self.client_id,
                self.client_secret,
            )
        return (request.form.get("client_id"), request.form.get("client_secret")) == (
            self.client_id,
            self.client_secret,
        )

    def _token(self, request):
        form = request.form
        self.token_requests.append(dict(form))
        if not self._client_ok(request):
            return _json({"error": "invalid_client"}, 401)
        if form.get("grant_type") != "authorization_code":
            return _json({"error": "unsupported_grant_type"}, 400)
        with self._lock:
            grant = self._codes.get(form.get("code"))
            if grant is None or grant["used"]:
                return self.grant_error("Invalid or used code")
            grant["used"] = True  # a code is good once, whatever happens next
        if grant["redirect_uri"] != form.get("redirect_uri"):
            return self.grant_error("redirect_uri mismatch")
        if grant["challenge"] is None:
            if form.get("code_verifier"):
                return self.grant_error("code_verifier sent for a code issued without a code_challenge")
        elif not _pkce_ok(form.get("code_verifier"), grant["challenge"]):
            return self.grant_error("PKCE verification failed")
        access_token = secrets.token_urlsafe(24)
        self._tokens[access_token] = grant["account"]
        return _json(self.token_response(access_token, grant))

    def token_response(self, access_token, grant):
        return {"access_token": access_token, "token_type": "Bearer", "expires_in": 3600}

    def grant_error(self, description):
        return _json({"error": "invalid_grant", "error_description": description}, 400)

    def bearer_account(self, request):
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() not in ("bearer", "token"):
            return None
        return self._tokens.get(token)


class CognitoHostedUI(AuthorizationServer):
    """Cognito's hosted UI; accounts are ``sub``, ``email``, ``email_verified``, ``name``."""

    authorize_path = "/oauth2/authorize"
    token_path = "/oauth2/token"

    def __init__(self, client_id="cognito-client", client_secret="cognito-secret", region="us-east-1"):
        super().__init__(client_id, client_secret)
        self.pool_id = f"{region}_Test{uuid.uuid4().hex[:6]}"
        self.issuer = f"https://cognito-idp.{region}.amazonaws.com/{self.pool_id}"
        self.signing_key = make_rsa_key()
        self.kid = uuid.uuid4().hex
        self.jwks_requests = 0
        self.sign_outs = 0
        self._next_id_token = {}  # scripted: {"key": other key, "kid": ..., "expired": True}

    def next_id_token(self, key=None, kid=None, expired=False):
        """The next ID token is signed by ``key`` (named ``kid``) and/or already expired."""
        self._next_id_token = {"key": key, "kid": kid, "expired": expired}

    def rotate_key(self):
        """The pool signs with a new key from now on (and publishes only it)."""
        self.signing_key = make_rsa_key()
        self.kid = uuid.uuid4().hex

    def jwks(self):
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.signing_key.public_key()))
        public.update({"kid": self.kid, "alg": "RS256", "use": "sig"})
        return {"keys": [public]}

    def more_endpoints(self, request):
        if request.method == "GET" and request.path == "/.well-known/jwks.json":
            self.jwks_requests += 1
            return _json(self.jwks())
        if request.method == "GET" and request.path == "/logout":
            return self._logout(request)
        if request.method == "GET" and request.path == "/login":
            # The sign-in page takes the authorize endpoint's parameters; PKCE is optional there, as on Cognito.
            return self._authorize(request, pkce_required=False)
        return None

    # The parameters Cognito documents for /logout's sign-in-again form, passed on to /login.
    LOGIN_AGAIN_PARAMETERS = ("client_id", "redirect_uri", "response_type", "scope", "state")

    def _logout(self, request):
        """Cognito's /logout: ends the hosted-UI session, then either goes to ``logout_uri`` or, with
        ``redirect_uri``, to /login with the documented parameters only (anything else is dropped)."""
        args = request.args
        if args.get("client_id") != self.client_id:
            return _json({"error": "invalid_request", "error_description": "unknown client_id"}, 400)
        if args.get("redirect_uri"):
            if not args.get("response_type"):
                return _json({"error": "invalid_request", "error_description": "response_type is required"}, 400)
            self.sign_outs += 1
            query = {key: args[key] for key in self.LOGIN_AGAIN_PARAMETERS if key in args}
            return Response("", status=302, headers={"Location": f"{self.base_url}/login?{urlencode(query)}"})
        if args.get("logout_uri"):
            self.sign_outs += 1
            return Response("", status=302, headers={"Location": args["logout_uri"]})
        return _json({"error": "invalid_request", "error_description": "logout_uri or redirect_uri is required"}, 400)

    def token_response(self, access_token, grant):
        scripted, self._next_id_token = self._next_id_token, {}
        account = grant["account"]
        now = int(time.time())
        issued = now - 7200 if scripted.get("expired") else now
        claims = {
            "sub": account["sub"],
            "email": account["email"],
            "email_verified": account.get("email_verified", True),
            "name": account.get("name"),
            "cognito:username": account.get("username", account["sub"]),
            "iss": self.issuer,
            "aud": self.client_id,
            "token_use": "id",
            "auth_time": issued,
            "iat": issued,
            "exp": issued + 3600,
        }
        id_token = jwt.encode(
            claims,
            scripted.get("key") or self.signing_key,
            algorithm="RS256",
            headers={"kid": scripted.get("kid") or self.kid},
        )
        return {
            "id_token": id_token,
            "access_token": access_token,
            "refresh_token": secrets.token_urlsafe(24),
            "token_type": "Bearer",
            "expires_in": 3600,
        }


class GoogleOAuth(AuthorizationServer):
    """Google; accounts are ``sub``, ``email``, ``email_verified``, ``name``."""

    authorize_path = "/o/oauth2/v2/auth"
    token_path = "/token"

    def token_response(self, access_token, grant):
        return {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 3599,
            "scope": grant["scope"],
            "id_token": "not-read-by-the-platform",
        }

    def more_endpoints(self, request):
        if request.method == "GET" and request.path == "/v1/userinfo":
            account = self.bearer_account(request)
            if account is None:
                return _json({"error": "invalid_request", "error_description": "Invalid Credentials"}, 401)
            return _json(account)
        return None


class GitHubOAuth(AuthorizationServer):
    """GitHub; accounts are ``id``, ``login``, ``name`` and ``emails`` (GitHub's list of email objects)."""

    authorize_path = "/login/oauth/authorize"
    token_path = "/login/oauth/access_token"

    def grant_error(self, description):
        # GitHub answers a bad code with 200 and an error body.
        return _json({"error": "bad_verification_code", "error_description": description})

    def token_response(self, access_token, grant):
        # GitHub's scopes come back comma separated.
        return {"access_token": access_token, "token_type": "bearer", "scope": grant["scope"].replace(" ", ",")}

    def more_endpoints(self, request):
        if request.method != "GET" or request.path not in ("/user", "/user/emails"):
            return None
        account = self.bearer_account(request)
        if account is None:
            return _json({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}, 401)
        if request.path == "/user/emails":
            return _json(account["emails"])
        return _json({key: value for key, value in account.items() if key != "emails"})
