"""Input that looks like MongoDB operators, on every training route of the gateway's route table.

The test walks ``gateway.routes.ROUTES``: every training route that takes a JSON body or a query string
must have a valid example here (a new route or field without one fails the test). For each example it
puts ``{"$gt": ""}``, ``{"a.b": 1}`` and ``[{"$ne": null}]`` in place of every value at every depth,
adds ``$where`` and dotted keys to every object, and writes query keys as ``field[$gt]``: each must be a
400 whose details name the spot. Then the example itself must succeed, which shows the 400s came from
the injected operators and not from anything else wrong with the request.
"""

import copy
import json
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import pytest

from gateway.routes import ROUTES
from tests.e2e.test_account_flow import assert_error
from tests.e2e.test_training_courses import people  # noqa: F401 (fixture)
from tests.e2e.test_training_flow import data_of
from tests.support.youtube_standin import YouTubeStandIn

PLAYLIST = "PLinjection0123456789"
PDF = b"%PDF-1.4\n%%EOF\n"
VALUE_INJECTIONS = [{"$gt": ""}, {"a.b": 1}, [{"$ne": None}]]
KEY_INJECTIONS = ["$where", "a.b"]


@pytest.fixture
def youtube_api():
    standin = YouTubeStandIn()
    standin.add_playlist(PLAYLIST, "Imported", [("abcdefghijk", "One", "PT4M13S")])
    yield standin
    standin.close()


@pytest.fixture
def platform_config(platform_config, youtube_api, tmp_path):
    platform_config["TRAINING"] = {
        **platform_config.get("TRAINING", {}),
        "YOUTUBE_API_URL": youtube_api.base_url,
        "YOUTUBE_API_KEY": youtube_api.api_key,
    }
    platform_config["MEDIA"] = {
        **platform_config.get("MEDIA", {}),
        "STORAGE": "local",
        "LOCAL_DIRECTORY": str(tmp_path / "media"),
        "PUBLIC_BASE_URL": "",
    }
    return platform_config


@dataclass
class Example:
    token: str
    args: dict = field(default_factory=dict)
    body: dict = None
    query: dict = None
    data: bytes = None  # a raw upload
    headers: dict = None


PAGE = {"page": "1", "page_size": "5"}
DAYS = {"since": "2026-01-01", "until": "2026-01-31"}
LESSON = {
    "title": "Clip",
    "type": "video",
    "content": "Watch this",
    "media_url": "https://cdn.example/clip.mp4",
    "youtube_id": "dQw4w9WgXcQ",
    "duration_seconds": 120,
    "preview": False,
    "required": True,
}
QUESTIONS = [
    {
        "type": "single_choice",
        "prompt": "Pick one",
        "points": 2,
        "options": [{"text": "Right", "correct": True}, {"text": "Wrong", "correct": False}],
        "explanation": "Because",
    },
    {"type": "short_answer", "prompt": "Say yes", "accepted_answers": ["yes"]},
    {"type": "numeric", "prompt": "2 + 2", "answer": 4, "tolerance": 0.1},
    {"type": "true_false", "prompt": "True?", "correct": True},
]
ASSESSMENT = {
    "title": "Check",
    "description": "A short check",
    "questions": QUESTIONS,
    "passing_score": 50,
    "max_attempts": 3,
    "wait_seconds": 0,
    "scoring_policy": "highest",
    "time_limit_seconds": 600,
    "overdue_policy": "score",
    "shuffle_questions": False,
    "shuffle_options": False,
    "show_answers": "never",
    "required": False,
}


class World:
    """A course with a module, a text and a video lesson, two assessments (one attempted), an enrolled
    learner with an open attempt and a play, and two media items (one pending, one uploaded)."""

    def __init__(self, api, users):
        self.api = api
        self.instructor, self.learner = users["instructor"], users["learner"]
        course = data_of(
            api.post(
                "/training/courses",
                token=self.instructor,
                json={"title": "Python", "modules": [{"title": "Basics", "lessons": [{"title": "Intro"}, LESSON]}]},
            ),
            201,
        )
        self.course_id = course["id"]
        self.module_id = course["modules"][0]["id"]
        self.lesson_id, self.video_id = (lesson["id"] for lesson in course["modules"][0]["lessons"])
        data_of(api.post(f"/training/courses/{self.course_id}/publish", token=self.instructor))
        path = f"/training/courses/{self.course_id}/assessments"
        self.attempted = data_of(api.post(path, token=self.instructor, json=ASSESSMENT), 201)
        self.fresh = data_of(api.post(path, token=self.instructor, json=dict(ASSESSMENT, title="Fresh")), 201)
        data_of(api.post(f"/training/courses/{self.course_id}/enroll", token=self.learner), 201)
        data_of(api.post(f"/training/assessments/{self.attempted['id']}/start", token=self.learner))
        self.pending = self.upload_request()
        uploaded = self.upload_request()
        stored = api.put(uploaded["upload"]["url"], data=PDF, headers=uploaded["upload"]["headers"])
        assert stored.status_code == 200, stored.text
        self.uploaded_id = uploaded["media"]["id"]
        self.admin, self.learner_id = users["admin"], users["learner_id"]
        self.certificate_id = self.certified()

    def certified(self):
        """The learner's certificate of a one-lesson course (revoked, then reissued, by the examples)."""
        body = {"title": "Certified", "modules": [{"title": "Only", "lessons": [{"title": "Hi", "content": "Hi"}]}]}
        course = data_of(self.api.post("/training/courses", token=self.instructor, json=body), 201)
        data_of(self.api.post(f"/training/courses/{course['id']}/publish", token=self.instructor))
        data_of(self.api.post(f"/training/courses/{course['id']}/enroll", token=self.learner), 201)
        lesson_id = course["modules"][0]["lessons"][0]["id"]
        data_of(self.api.post(f"/training/lessons/{lesson_id}/complete", token=self.learner))
        return data_of(self.api.get("/training/certificates/me", token=self.learner))["items"][0]["id"]

    def upload_request(self):
        body = {"filename": "notes.pdf", "content_type": "application/pdf", "size": len(PDF)}
        return data_of(self.api.post("/training/media/upload", token=self.instructor, json=body), 201)

    def course(self):
        return data_of(self.api.get(f"/training/courses/{self.course_id}", token=self.instructor))

    def token_of(self, url):
        return parse_qs(urlsplit(url).query)["token"][0]


def examples(w):
    """(method, path) -> a function giving its valid examples, made when used (the world changes)."""
    instructor, learner = w.instructor, w.learner
    course = {"course_id": w.course_id}
    return {
        ("POST", "/training/courses"): lambda: [
            Example(
                instructor,
                body={
                    "title": "New",
                    "description": "About",
                    "tags": ["python"],
                    "category": "code",
                    "level": "beginner",
                    "modules": [{"title": "M", "description": "D", "lessons": [LESSON]}],
                },
            )
        ],
        ("PUT", "/training/courses/<course_id>"): lambda: [
            Example(
                instructor,
                course,
                body={"title": "T", "description": "D", "tags": ["x"], "category": "c", "level": "advanced"},
            )
        ],
        ("POST", "/training/courses/<course_id>/modules"): lambda: [
            Example(instructor, course, body={"title": "More", "description": "D", "lessons": [LESSON]})
        ],
        ("PUT", "/training/courses/<course_id>/modules/order"): lambda: [
            Example(instructor, course, body={"ids": [module["id"] for module in w.course()["modules"]][::-1]})
        ],
        ("PUT", "/training/courses/<course_id>/modules/<module_id>"): lambda: [
            Example(instructor, dict(course, module_id=w.module_id), body={"title": "Renamed", "description": "D"})
        ],
        ("POST", "/training/courses/<course_id>/modules/<module_id>/lessons"): lambda: [
            Example(instructor, dict(course, module_id=w.module_id), body=dict(LESSON, media_id=w.uploaded_id))
        ],
        ("PUT", "/training/courses/<course_id>/modules/<module_id>/lessons/order"): lambda: [
            Example(
                instructor,
                dict(course, module_id=w.module_id),
                body={
                    "ids": [
                        lesson["id"]
                        for module in w.course()["modules"]
                        if module["id"] == w.module_id
                        for lesson in module["lessons"]
                    ][::-1]
                },
            )
        ],
        ("PUT", "/training/courses/<course_id>/lessons/<lesson_id>"): lambda: [
            Example(
                instructor, dict(course, lesson_id=w.lesson_id), body=dict(LESSON, type="text", media_id=w.uploaded_id)
            )
        ],
        ("POST", "/training/progress"): lambda: [
            Example(learner, body={"video_id": w.video_id, "start_time": "10:00:00"}),
            # A pause right after its play: a few seconds (more would be longer than the time since the play).
            Example(learner, body={"video_id": w.video_id, "end_time": "10:00:03", "watchtime_seconds": 3}),
        ],
        ("POST", "/training/videos/youtube-playlist"): lambda: [
            Example(instructor, body={"playlist_url": PLAYLIST, "title": "Imported", "tags": ["yt"]})
        ],
        ("POST", "/training/courses/<course_id>/assessments"): lambda: [Example(instructor, course, body=ASSESSMENT)],
        ("PUT", "/training/assessments/<assessment_id>"): lambda: [
            Example(instructor, {"assessment_id": w.fresh["id"]}, body=ASSESSMENT)
        ],
        ("POST", "/training/assessments/<assessment_id>/submit"): lambda: [
            Example(
                learner,
                {"assessment_id": w.attempted["id"]},
                body={"answers": [{"question_id": w.attempted["questions"][3]["id"], "answer": True}]},
            )
        ],
        ("POST", "/training/media/upload"): lambda: [
            Example(
                instructor, body={"filename": "a.pdf", "content_type": "application/pdf", "size": 10, "public": False}
            )
        ],
        ("PUT", "/training/media/<media_id>"): lambda: [
            Example(instructor, {"media_id": w.uploaded_id}, body={"filename": "b.pdf", "public": True})
        ],
        ("GET", "/training/courses"): lambda: [
            Example(
                learner,
                query={
                    "q": "python",
                    "tag": "python",
                    "category": "code",
                    "level": "beginner",
                    "instructor_id": "someone",
                    "status": "published",
                    "mine": "false",
                    "page": "1",
                    "page_size": "5",
                },
            )
        ],
        ("GET", "/training/enrollments/me"): lambda: [Example(learner, query={"page": "1", "page_size": "5"})],
        ("GET", "/training/courses/<course_id>/lessons"): lambda: [Example(learner, course, query=PAGE)],
        ("GET", "/training/videos/course/<course_id>"): lambda: [Example(learner, course, query=PAGE)],
        ("GET", "/training/courses/<course_id>/assessments"): lambda: [Example(learner, course, query=PAGE)],
        ("GET", "/training/progress/video/<video_id>"): lambda: [
            Example(learner, {"video_id": w.video_id}, query=PAGE)
        ],
        ("GET", "/training/certificates/me"): lambda: [Example(learner, query=PAGE)],
        ("GET", "/training/attendance/me"): lambda: [Example(learner, query=dict(PAGE, **DAYS))],
        ("GET", "/training/attendance/user/<user_id>"): lambda: [
            Example(w.admin, {"user_id": w.learner_id}, query=dict(PAGE, **DAYS))
        ],
        ("GET", "/training/attendance/date/<date>"): lambda: [Example(w.admin, {"date": "2026-01-31"}, query=PAGE)],
        ("POST", "/training/certificates/<certificate_id>/revoke"): lambda: [
            Example(instructor, {"certificate_id": w.certificate_id}, body={"reason": "Granted by mistake"})
        ],
        ("POST", "/training/certificates/<certificate_id>/reissue"): lambda: [
            Example(instructor, {"certificate_id": w.certificate_id}, body={"reason": "Appeal upheld"})
        ],
        ("GET", "/training/analytics"): lambda: [Example(instructor, query={"days": "30", "course_id": w.course_id})],
        ("GET", "/training/courses/popular"): lambda: [Example(learner, query={"days": "30", "limit": "5"})],
        ("GET", "/training/courses/<course_id>/learners"): lambda: [
            Example(instructor, course, query={"page": "1", "page_size": "5", "sort": "name", "order": "asc"}),
            Example(instructor, course, query={"format": "csv"}),
        ],
        ("GET", "/training/media"): lambda: [
            Example(instructor, query={"page": "1", "page_size": "5", "owner_id": "someone"})
        ],
        ("PUT", "/training/media/<media_id>/content"): lambda: [
            Example(
                None,
                {"media_id": w.pending["media"]["id"]},
                query={"token": w.token_of(w.pending["upload"]["url"])},
                data=PDF,
                headers=w.pending["upload"]["headers"],
            )
        ],
        ("GET", "/training/media/<media_id>/content"): lambda: [
            Example(
                None,
                {"media_id": w.uploaded_id},
                query={
                    "token": w.token_of(
                        data_of(w.api.get(f"/training/media/{w.uploaded_id}/url", token=instructor))["url"]
                    )
                },
            )
        ],
    }


def spots(value, path=()):
    """Every position in a JSON value (its own included), as paths of keys and indexes."""
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from spots(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from spots(item, (*path, index))


def at(value, path):
    for step in path:
        value = value[step]
    return value


def replaced(body, path, new):
    changed = copy.deepcopy(body)
    at(changed, path[:-1])[path[-1]] = new
    return changed


def with_key(body, path, key):
    changed = copy.deepcopy(body)
    at(changed, path)[key] = 1
    return changed


def injected_bodies(body):
    """(body with one injection, the name the error must mention)."""
    for path in spots(body):
        names = [step for step in path if isinstance(step, str)]
        if path:
            for injection in VALUE_INJECTIONS:
                yield replaced(body, path, injection), names[-1]
        if isinstance(at(body, path), dict):
            for key in KEY_INJECTIONS:
                yield with_key(body, path, key), key


def injected_queries(query):
    for name, value in query.items():
        rest = {key: item for key, item in query.items() if key != name}
        for operator in ("$gt", "$ne", "$regex"):
            yield dict(rest, **{f"{name}[{operator}]": value}), f"{name}[{operator}]"
    for key in KEY_INJECTIONS:
        yield dict(query, **{key: "1"}), key


def send(api, route, example, body=None, query=None):
    path = route.path
    for name, value in example.args.items():
        path = path.replace(f"<{name}>", value)
    kwargs = {"params": query}
    if example.data is not None:
        kwargs.update(data=example.data, headers=example.headers)
    elif body is not None:
        kwargs["json"] = body
    return api.request(route.method, path, token=example.token, **kwargs)


def test_every_training_route_refuses_mongodb_operators_in_its_body_and_query(api, people):  # noqa: F811
    world = World(api, people)
    table = {(route.method, route.path): route for route in ROUTES if route.service == "training"}
    taking_input = {key: route for key, route in table.items() if route.body is not None or route.query is not None}
    known = examples(world)
    assert set(known) == set(taking_input), "every training route with a body or query needs an example here"
    assert len(taking_input) >= 20

    for key, route in taking_input.items():
        made = known[key]()
        # The examples use every field the route's schemas declare, so every field gets the operators.
        if route.body is not None:
            assert set(route.body().fields) == {name for example in made for name in example.body}, key
        if route.query is not None:
            assert set(route.query().fields) == {name for example in made for name in example.query}, key
        for example in made:
            attempts = []
            if example.body is not None:
                attempts += [(body, example.query, name) for body, name in injected_bodies(example.body)]
            if example.query is not None:
                attempts += [(example.body, query, name) for query, name in injected_queries(example.query)]
            for body, query, name in attempts:
                response = send(api, route, example, body=body, query=query)
                assert_error(response, 400, "VALIDATION_ERROR")
                details = json.dumps(response.json()["error"]["details"])
                assert name in details, (key, body, query, details)
            # The example as it is gets through: the 400s above were the operators' doing.
            accepted = send(api, route, example, body=example.body, query=example.query)
            assert accepted.status_code == route.status, (key, accepted.text)

    # Nothing refused changed anything: one course made by the valid example (plus the world's and the
    # import's), and the attempt was submitted once, by the valid example.
    courses = data_of(api.get("/training/courses", token=world.instructor, params={"page_size": 100}))
    assert sorted(item["title"] for item in courses["items"]) == ["Certified", "Imported", "New", "T"]
    result = data_of(api.get(f"/training/assessments/{world.attempted['id']}/result", token=world.learner))
    assert [attempt["status"] for attempt in result["attempts"]] == ["submitted"]
    assert result["attempts"][0]["points"] == 1.0
