"""Examples of the main reads' ``data``, as the demo data (``python -m bootstrap --demo``, embedded mode) answers
them: Swagger UI shows them next to the schemas. Ids, tokens and times are made up; the rest is the demo's."""

from bootstrap import DEMO_ACCOUNTS, DEMO_COURSE

LEARNER_EMAIL, LEARNER_USERNAME, LEARNER_NAME, LEARNER_ROLES, _ = DEMO_ACCOUNTS[2]
LEARNER_ID = "3f1c2b9e-6d0a-4c55-9a43-1f7a2d8e5b10"
INSTRUCTOR_ID = "8b2e4d6f-1a3c-4e5f-9b7d-2c4e6f8a0b1d"
COURSE_ID = "5d7f9a1b-3c5e-4f70-8a2b-4c6e8f0a1b3d"
MODULE_ID = "0a2c4e6f-8b1d-4f3a-9c5e-7f9b1d3f5a7c"
LESSON_IDS = ("a1b3c5d7-e9f1-4a3b-8c5d-7e9f1a3b5c7d", "b2c4d6e8-f0a2-4b4c-9d6e-8f0a2b4c6d8e")
CREATED_AT = "2026-01-05T09:00:00.000Z"
PUBLISHED_AT = "2026-01-05T09:00:01.000Z"
HIDDEN_UNTIL_ENROLLED = ("content", "media_url", "youtube_id")

LEARNER = {
    "id": LEARNER_ID,
    "email": LEARNER_EMAIL,
    "username": LEARNER_USERNAME,
    "name": LEARNER_NAME,
    "provider": "local",
    "provider_id": None,
    "roles": list(LEARNER_ROLES),
    "role": LEARNER_ROLES[0],
    "status": "active",
    "bio": None,
    "avatar_url": None,
    "timezone": None,
    "locale": None,
    "created_at": CREATED_AT,
    "updated_at": CREATED_AT,
}

_lessons = [lesson for module in DEMO_COURSE["modules"] for lesson in module["lessons"]]

COURSE = {
    "id": COURSE_ID,
    "title": DEMO_COURSE["title"],
    "description": DEMO_COURSE["description"],
    "tags": DEMO_COURSE["tags"],
    "category": None,
    "level": DEMO_COURSE["level"],
    "status": "published",
    "instructor_id": INSTRUCTOR_ID,
    "module_count": len(DEMO_COURSE["modules"]),
    "lesson_count": len(_lessons),
    "duration_seconds": sum(lesson.get("duration_seconds", 0) for lesson in _lessons),
    "created_at": CREATED_AT,
    "updated_at": PUBLISHED_AT,
    "published_at": PUBLISHED_AT,
}


def _lesson(lesson, lesson_id, order):
    """A lesson as someone not enrolled sees it: the preview's content, the others' locked."""
    view = {
        "title": lesson["title"],
        "type": lesson.get("type", "text"),
        "content": lesson.get("content", ""),
        "media_url": lesson.get("media_url"),
        "youtube_id": lesson.get("youtube_id"),
        "duration_seconds": lesson.get("duration_seconds", 0),
        "preview": lesson.get("preview", False),
        "required": lesson.get("required", True),
        "id": lesson_id,
        "order": order,
        "content_locked": not lesson.get("preview", False),
    }
    if view["type"] == "youtube" and view["media_url"] is None:
        view["media_url"] = f"https://www.youtube.com/watch?v={view['youtube_id']}"
    if view["content_locked"]:
        for key in HIDDEN_UNTIL_ENROLLED:
            view.pop(key)
    return view


COURSE_DETAIL = {
    **COURSE,
    "modules": [
        {
            "id": MODULE_ID,
            "title": module["title"],
            "description": module.get("description", ""),
            "order": 1,
            "lessons": [
                _lesson(lesson, lesson_id, order)
                for order, (lesson, lesson_id) in enumerate(zip(module["lessons"], LESSON_IDS, strict=True), 1)
            ],
        }
        for module in DEMO_COURSE["modules"]
    ],
    "enrolled": False,
}

RESPONSE_EXAMPLES = {
    ("POST", "/auth/login"): {
        "access_token": "eyJhbGciOiJSUzI1NiIsImtpZCI6ImRlbW8iLCJ0eXAiOiJKV1QifQ.eyJzdWIiOiJkZW1vIn0.c2lnbmF0dXJl",
        "token_type": "bearer",
        "expires_in": 900,
        "refresh_token": "q0Zb8x3Jw1mKc7Rt5Yv2Ln9Hs4Pd6Fg0Ea1Tu3Wi5Oy",
        "user": LEARNER,
    },
    ("GET", "/training/courses"): {"items": [COURSE], "total": 1, "page": 1, "page_size": 20},
    ("GET", "/training/courses/<course_id>"): COURSE_DETAIL,
    ("GET", "/users/profile"): {**LEARNER, "followers": 0, "following": 0},
}
