"""A steady mixed load through the gateway, recording every request's outcome, for the fault suite.

Writes are made unique (each learner registers for an event once, enrolls in a course once, books a slot
nobody else books), so that afterwards each one can be looked up: was it done, did its event reach the
bus, was its effect on a consumer applied once.
"""

import itertools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import eventlet
import requests

REGISTER, ENROLL, BOOK, READ = "register", "enroll", "book", "read"
MIX = (REGISTER, READ, ENROLL, READ, BOOK, READ)


@dataclass
class Outcome:
    kind: str
    key: tuple  # what the write was about: (learner_id, event_id | course_id | slot start)
    started: float
    ended: float
    status: int | None  # None: no answer (the client gave up)
    body: dict | None = None
    answered_at: datetime | None = None  # wall clock: when the client learned the outcome

    @property
    def told_failed_at(self):
        return None if self.ok else self.answered_at

    @property
    def ok(self):
        return self.status is not None and 200 <= self.status < 300


@dataclass
class Cast:
    """Who and what the load works on: learners ``[(id, token)]``, events, courses, the coach and free slots."""

    base_url: str
    learners: list
    event_ids: list
    course_ids: list
    coach_id: str
    slots: list
    todo: dict = field(default_factory=dict)

    def __post_init__(self):
        self.todo = {
            REGISTER: iter([(learner, event) for event in self.event_ids for learner in self.learners]),
            ENROLL: iter([(learner, course) for course in self.course_ids for learner in self.learners]),
            BOOK: iter(zip(itertools.cycle(self.learners), self.slots, strict=False)),
        }


class LoadDriver:
    """``clients`` greenthreads sending requests in the ``mix`` order, ``pause`` seconds apart each."""

    def __init__(self, cast, clients=3, pause=0.15, timeout=15, mix=MIX):
        self.cast = cast
        self.mix = tuple(mix)
        self.clients = clients
        self.pause = pause
        self.timeout = timeout
        self.outcomes = []
        self.running = False
        self.pool = eventlet.GreenPool(clients)

    def start(self):
        self.running = True
        for number in range(self.clients):
            self.pool.spawn(self._client, number)
        return self

    def stop(self):
        self.running = False
        self.pool.waitall()
        return self.outcomes

    def _client(self, number):
        session = requests.Session()
        shift = number % len(self.mix)
        kinds = itertools.cycle(self.mix[shift:] + self.mix[:shift])
        while self.running:
            kind = next(kinds)
            outcome = self.send(session, kind)
            if outcome is not None:
                self.outcomes.append(outcome)
            eventlet.sleep(self.pause)

    def send(self, session, kind, headers=None):
        cast = self.cast
        if kind == READ:
            (learner_id, token) = cast.learners[len(self.outcomes) % len(cast.learners)]
            return self._request(session, READ, (learner_id,), "GET", "/events/registrations/me", token, headers)
        work = next(cast.todo[kind], None)
        if work is None:
            return None  # this kind of write has run out of fresh keys
        if kind == REGISTER:
            (learner_id, token), event_id = work
            return self._request(
                session, kind, (learner_id, event_id), "POST", f"/events/{event_id}/register", token, headers
            )
        if kind == ENROLL:
            (learner_id, token), course_id = work
            return self._request(
                session, kind, (learner_id, course_id), "POST", f"/training/courses/{course_id}/enroll", token, headers
            )
        (learner_id, token), slot = work
        return self._request(
            session,
            kind,
            (learner_id, slot),
            "POST",
            "/coaching/sessions",
            token,
            headers,
            json={"coach_id": cast.coach_id, "start": slot},
        )

    def _request(self, session, kind, key, method, path, token, headers=None, **kwargs):
        headers = {"Authorization": f"Bearer {token}", **(headers or {})}
        started = time.monotonic()
        try:
            response = session.request(
                method, self.cast.base_url + path, headers=headers, timeout=self.timeout, **kwargs
            )
            status = response.status_code
            try:
                body = response.json()
            except ValueError:
                body = None
        except requests.RequestException:
            status, body = None, None
        return Outcome(kind, key, started, time.monotonic(), status, body, datetime.now(UTC))
