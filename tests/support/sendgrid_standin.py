"""A local stand-in for SendGrid's v3 Web API, on 127.0.0.1, started by the test.

It answers POST /v3/mail/send as SendGrid does: 202 with an empty body and an
X-Message-Id header for a well-formed request with the expected bearer key;
401 with SendGrid's error body for a wrong key; 400 for a malformed payload.
Tests script failures with ``fail_next(status, times)`` (e.g. 503 or 429) or
``refuse(address, status)`` (every message to that address answers ``status``).
"""

import json
import queue
import threading
import uuid

import eventlet
import eventlet.wsgi
from werkzeug.wrappers import Request, Response


def _errors(status, message, field=None):
    body = {"errors": [{"message": message, "field": field, "help": None}]}
    return Response(json.dumps(body), status=status, content_type="application/json")


class SendGridStandIn:
    def __init__(self, api_key="SG.test-key"):
        self.api_key = api_key
        self.messages = []  # accepted messages, in order
        self.requests = 0
        self.accepted = queue.Queue()
        self._failures = []  # statuses to answer next, first first
        self._refused = {}  # address -> status
        self._lock = threading.Lock()
        self._socket = eventlet.listen(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._server = eventlet.spawn(eventlet.wsgi.server, self._socket, self._app, log_output=False, socket_timeout=5)

    # -- scripting ----------------------------------------------------------------

    def fail_next(self, status, times=1):
        with self._lock:
            self._failures.extend([status] * times)

    def recover(self):
        """Forget scripted failures still to come: the next request is accepted."""
        with self._lock:
            self._failures.clear()

    def refuse(self, address, status=400):
        self._refused[address.lower()] = status

    # -- reading ------------------------------------------------------------------

    def to(self, address):
        return [message for message in list(self.messages) if message["to"] == address.lower()]

    def wait_for(self, address, timeout=15, containing=None):
        """The first accepted message to ``address`` (whose text holds ``containing``)."""
        with eventlet.Timeout(timeout):
            while True:
                for message in self.to(address):
                    if containing is None or containing in message["text"]:
                        return message
                eventlet.sleep(0.05)

    def wait_until(self, predicate, timeout=15):
        with eventlet.Timeout(timeout):
            while not predicate():
                eventlet.sleep(0.05)

    def close(self):
        self._server.kill()
        self._socket.close()

    # -- the API ------------------------------------------------------------------

    def _app(self, environ, start_response):
        request = Request(environ)
        return self._answer(request)(environ, start_response)

    def _answer(self, request):
        if request.method != "POST" or request.path != "/v3/mail/send":
            return _errors(404, "not found")
        with self._lock:
            self.requests += 1
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return _errors(401, "The provided authorization grant is invalid, expired, or revoked")
        try:
            payload = json.loads(request.get_data(as_text=True))
            to = payload["personalizations"][0]["to"][0]["email"].lower()
            sender = payload["from"]["email"]
            subject = payload["subject"]
            text = next(part["value"] for part in payload["content"] if part["type"] == "text/plain")
        except (ValueError, KeyError, IndexError, TypeError, StopIteration):
            return _errors(400, "Bad Request", field="personalizations")
        with self._lock:
            failure = self._failures.pop(0) if self._failures else None
        if failure is None and to in self._refused:
            failure = self._refused[to]
        if failure is not None:
            if failure >= 500:
                return Response("", status=failure)
            return _errors(failure, "Does not contain a valid address." if failure == 400 else "Too many requests")
        message = {
            "id": uuid.uuid4().hex,
            "to": to,
            "from": sender,
            "subject": subject,
            "text": text,
            "html": next((part["value"] for part in payload["content"] if part["type"] == "text/html"), None),
            "content_types": [part["type"] for part in payload["content"]],
            "headers": payload.get("headers") or {},
            "custom_args": payload.get("custom_args") or {},
        }
        self.messages.append(message)
        self.accepted.put(message)
        return Response("", status=202, headers={"X-Message-Id": message["id"]})
