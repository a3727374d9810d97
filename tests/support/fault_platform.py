"""The whole platform as separate processes on a private broker, seeded for the fault suite's load.

``FaultPlatform.start()``: throwaway PostgreSQL databases (migrated with Alembic), every service and the
gateway as ``nameko run`` processes, an admin, an organiser with a few large events, an instructor with a
few published courses, a coach with weeks of free slots and learners logged in. ``assess`` then tells, for
the outcomes of a load, what was done, what reached the bus and what a consumer applied.
"""

import uuid
from datetime import UTC, datetime, timedelta

import requests
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.utils import find_free_port
from sqlalchemy import create_engine, text

from bootstrap import DEMO_COURSE, DEMO_QUIZ
from common import events
from common.migrations import SQL_SERVICES, upgrade
from tests.support.bus_recorder import BusRecorder
from tests.support.fault_load import BOOK, ENROLL, REGISTER, Cast
from tests.support.service_processes import SERVICES, ServiceProcesses, platform_env, wait_until

PG_SERVER = "postgresql+psycopg2://postgres:postgres@127.0.0.1:5432/"
PASSWORD = "fault-password-1"
EVENT_OF = {REGISTER: events.EVENT_REGISTERED, ENROLL: events.COURSE_ENROLLED, BOOK: events.SESSION_BOOKED}
BACKEND_SERVICES = tuple(service for service in SERVICES if service != "gateway")


def iso(moment):
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class FaultPlatform:
    def __init__(self, rabbit, learners=40, events_count=4, courses=4, gateway_timeout=5):
        self.rabbit = rabbit
        self.learner_count = learners
        self.events_count = events_count
        self.course_count = courses
        self.suffix = uuid.uuid4().hex[:8]
        self.admin_engine = create_engine(PG_SERVER + "postgres", isolation_level="AUTOCOMMIT")
        self.sql_urls = {}
        self.port = find_free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = None
        self.processes = None
        self.gateway_timeout = gateway_timeout

    # -- start and stop -----------------------------------------------------------------

    def start(self):
        for service in SQL_SERVICES:
            name = f"faults_{service}_{self.suffix}"
            with self.admin_engine.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            self.sql_urls[service] = PG_SERVER + name
            upgrade(service, self.sql_urls[service])
        self.engines = {service: create_engine(url) for service, url in self.sql_urls.items()}
        self.env = platform_env(
            self.rabbit.amqp_uri,
            self.sql_urls,
            self.port,
            GATEWAY_RPC_TIMEOUT=self.gateway_timeout,
            SERVICE_RPC_TIMEOUT=max(self.gateway_timeout - 1, 1),
            BROKER_RECONNECT_MAX_INTERVAL=1,
            GATEWAY_AUTH_RATE_LIMIT=0,
        )
        self.processes = ServiceProcesses(self.env)
        self.processes.start_all()
        self.wait_healthy(120)
        self.bus = BusRecorder(self.rabbit.amqp_uri, ["events", "training", "coaching"])
        self.cast = self._seed()
        return self

    def stop(self):
        if self.processes is not None:
            self.processes.stop_all()
        for engine in getattr(self, "engines", {}).values():
            engine.dispose()
        with self.admin_engine.connect() as conn:
            for url in self.sql_urls.values():
                conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rpartition("/")[2]}" WITH (FORCE)'))
        self.admin_engine.dispose()

    def healthy(self, services=BACKEND_SERVICES):
        for service in services:
            try:
                if requests.get(f"{self.base_url}/{service}/health", timeout=3).status_code != 200:
                    return False
            except requests.RequestException:
                return False
        return True

    def wait_healthy(self, timeout, services=BACKEND_SERVICES):
        wait_until(lambda: self.healthy(services), timeout, interval=0.5, what="every service answering")

    # -- the cast -----------------------------------------------------------------------------

    def _seed(self):
        config = {"AMQP_URI": self.rabbit.amqp_uri}
        with ClusterRpcProxy(config, timeout=30) as rpc:
            rpc.users.create_user(email="admin@faults.example", name="Admin", password=PASSWORD, roles=["admin"])
            organiser = rpc.users.create_user(
                email="organiser@faults.example", name="Olga", password=PASSWORD, roles=["instructor"]
            )
            coach = rpc.users.create_user(email="coach@faults.example", name="Cole", password=PASSWORD, roles=["coach"])
            learner_ids = [
                rpc.users.create_user(email=f"learner{i}@faults.example", name=f"Learner {i}", password=PASSWORD)["id"]
                for i in range(self.learner_count)
            ]
        context = {"user_id": organiser["id"], "roles": "instructor"}
        course_ids = []
        with ClusterRpcProxy(config, context_data=context, timeout=30) as as_instructor:
            for number in range(self.course_count):
                course = as_instructor.training.create_course(**{**DEMO_COURSE, "title": f"Fault course {number}"})
                as_instructor.training.create_assessment(course["id"], **DEMO_QUIZ)
                as_instructor.training.publish_course(course["id"])
                course_ids.append(course["id"])
        organiser_token = self.login("organiser@faults.example")
        start = datetime.now(UTC) + timedelta(days=30)
        event_ids = []
        for number in range(self.events_count):
            body = {
                "title": f"Fault drill {number}",
                "description": "A live workshop",
                "kind": "online",
                "join_url": "https://meet.example.com/drill",
                "timezone": "UTC",
                "starts_at": iso(start + timedelta(hours=number * 3)),
                "ends_at": iso(start + timedelta(hours=number * 3 + 2)),
                "capacity": 10000,
            }
            created = requests.post(
                f"{self.base_url}/events", json=body, headers=self.bearer(organiser_token), timeout=30
            )
            assert created.status_code == 201, created.text
            event_ids.append(created.json()["data"]["id"])
        coach_token = self.login("coach@faults.example")
        profile = {"timezone": "UTC", "bio": "Coach", "expertise": ["resilience"], "languages": ["en"]}
        profile.update({"session_minutes": 30, "min_notice_minutes": 60, "price_cents": 0, "currency": "USD"})
        answer = requests.put(f"{self.base_url}/coaching/coaches/me", json=profile, headers=self.bearer(coach_token))
        assert answer.status_code == 200, answer.text
        weekly = [{"weekday": day, "start": "08:00", "end": "12:00"} for day in range(7)]
        answer = requests.put(
            f"{self.base_url}/coaching/coaches/{coach['id']}/availability",
            json={"weekly": weekly},
            headers=self.bearer(coach_token),
        )
        assert answer.status_code == 200, answer.text
        learners = [(learner_id, self.login(f"learner{i}@faults.example")) for i, learner_id in enumerate(learner_ids)]
        slots = self._slots(learners[0][1], coach["id"])
        return Cast(self.base_url, learners, event_ids, course_ids, coach["id"], slots)

    def _slots(self, token, coach_id):
        slots = []
        begin = datetime.now(UTC) + timedelta(days=1)
        for week in range(6):
            week_start = begin + timedelta(days=7 * week)
            params = {"from": iso(week_start), "to": iso(week_start + timedelta(days=7)), "page_size": 100}
            answer = requests.get(
                f"{self.base_url}/coaching/coaches/{coach_id}/slots", params=params, headers=self.bearer(token)
            )
            assert answer.status_code == 200, answer.text
            slots += [slot["start"] for slot in answer.json()["data"]["items"]]
        return list(dict.fromkeys(slots))

    def login(self, email):
        answer = requests.post(f"{self.base_url}/auth/login", json={"identifier": email, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        return answer.json()["data"]["access_token"]

    @staticmethod
    def bearer(token):
        return {"Authorization": f"Bearer {token}"}

    # -- what happened -----------------------------------------------------------------------

    def done_at(self, outcome):
        """When the write of ``outcome`` was saved (as the service recorded it), None when it was not:
        whatever its caller was told."""
        learner_id, target = outcome.key
        if outcome.kind == REGISTER:
            query = "SELECT registered_at FROM registrations WHERE event_id = :t AND user_id = :u"
            engine = self.engines["events"]
        elif outcome.kind == BOOK:
            query = (
                "SELECT created_at FROM coaching_sessions WHERE learner_id = :u AND start_at = :t"
                " AND status <> 'cancelled'"
            )
            engine = self.engines["coaching"]
        else:
            token = self.token_of(learner_id)
            answer = requests.get(f"{self.base_url}/training/courses/{target}/enrollment", headers=self.bearer(token))
            assert answer.status_code == 200, answer.text
            data = answer.json()["data"]
            return _moment(data["enrolled_at"]) if data["enrolled"] else None
        with engine.connect() as conn:
            moment = conn.execute(text(query), {"t": target, "u": learner_id}).scalar()
        return None if moment is None else moment.astimezone(UTC)

    def token_of(self, learner_id):
        return dict(self.cast.learners)[learner_id]

    def events_for(self, outcome, bus_events):
        """The events on the bus that announce the write of ``outcome``."""
        learner_id, target = outcome.key
        wanted = EVENT_OF[outcome.kind]
        found = []
        for event in bus_events:
            if event.get("event_type") != wanted or event.get("user_id") != learner_id:
                continue
            metadata = event.get("metadata") or {}
            if outcome.kind == REGISTER:
                about = metadata.get("event_id") == target
            elif outcome.kind == ENROLL:
                about = event.get("course_id") == target
            else:
                about = _same_moment(metadata.get("starts_at"), target)
            if about:
                found.append(event)
        return found

    def effects_of(self, learner_id):
        """``{event_type: in-app notifications}`` of a learner for the three kinds of writes."""
        token = self.token_of(learner_id)
        answer = requests.get(
            f"{self.base_url}/notifications", params={"page_size": 100}, headers=self.bearer(token), timeout=15
        )
        assert answer.status_code == 200, answer.text
        counts = {}
        for item in answer.json()["data"]["items"]:
            counts[item["event_type"]] = counts.get(item["event_type"], 0) + 1
        return counts


def _moment(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _same_moment(left, right):
    return bool(left and right) and _moment(left) == _moment(right)
