"""Videos over HTTP: course videos, and the YouTube playlist import against a local API stand-in."""

import pytest

from tests.e2e.test_account_flow import ADMIN, assert_error, create_admin
from tests.e2e.test_training_flow import data_of
from tests.e2e.test_users import make_user
from tests.support.youtube_standin import YouTubeStandIn

PLAYLIST = "PLtest0123456789abcdef"


@pytest.fixture
def youtube_api():
    standin = YouTubeStandIn()
    yield standin
    standin.close()


@pytest.fixture
def youtube_key(youtube_api):
    """The key the platform is configured with (a test may parametrize it away)."""
    return youtube_api.api_key


@pytest.fixture
def platform_config(platform_config, youtube_api, youtube_key):
    platform_config["TRAINING"] = {
        **platform_config.get("TRAINING", {}),
        "YOUTUBE_API_URL": youtube_api.base_url,
        "YOUTUBE_API_KEY": youtube_key,
    }
    return platform_config


def test_playlist_import_pages_reads_durations_and_creates_a_draft_course(api, platform, youtube_api):
    # 120 items: three pages of playlistItems and three videos calls; one private video is left out.
    videos = [(f"vid{index:05d}xx", f"Part {index}", f"PT{index % 3}H{index % 60}M5S") for index in range(119)]
    videos.insert(5, ("private0001", "Private video", None))
    youtube_api.add_playlist(PLAYLIST, "Data Science in 120 parts", videos, description="A long series")
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    _, instructor = make_user(api, admin, "ivy@example.com", "Ivy Instructor", roles=["instructor"])
    _, learner = make_user(api, admin, "lee@example.com", "Lee Learner")

    url = f"https://www.youtube.com/playlist?list={PLAYLIST}"
    assert_error(
        api.post("/training/videos/youtube-playlist", token=learner, json={"playlist_url": url}), 403, "FORBIDDEN"
    )
    course = data_of(api.post("/training/videos/youtube-playlist", token=instructor, json={"playlist_url": url}), 201)
    assert course["status"] == "draft" and course["course_title"] == "Data Science in 120 parts"
    lessons = course["modules"][0]["lessons"]
    assert len(lessons) == 119 and lessons[0]["youtube_id"] == "vid00000xx" and lessons[5]["youtube_id"] == "vid00005xx"
    assert lessons[1]["duration_seconds"] == 1 * 3600 + 1 * 60 + 5
    assert lessons[-1]["order"] == 119 and all(lesson["type"] == "youtube" for lesson in lessons)
    pages = [params for resource, params in youtube_api.requests if resource == "playlistItems"]
    assert [params.get("pageToken") for params in pages] == [None, "50", "100"]
    assert sum(1 for resource, _ in youtube_api.requests if resource == "videos") == 3

    # GET /training/videos/course/{id}: the course's videos with their video_link and an HH:MM:SS duration.
    # Paginated like every list: 119 videos are a page of 100 and a page of 19.
    first = data_of(api.get(f"/training/videos/course/{course['id']}", token=instructor, params={"page_size": 100}))
    assert first["total"] == 119 and len(first["items"]) == 100
    second = data_of(
        api.get(f"/training/videos/course/{course['id']}", token=instructor, params={"page_size": 100, "page": 2})
    )
    assert len(second["items"]) == 19 and second["items"][-1]["order"] == 119
    listed = first["items"]
    assert listed[1]["duration"] == "01:01:05"
    assert listed[0]["video_link"] == "https://www.youtube.com/watch?v=vid00000xx"
    # A draft is not visible to learners.
    assert_error(api.get(f"/training/videos/course/{course['id']}", token=learner), 404, "NOT_FOUND")


def test_playlist_import_errors_in_the_api_shape_become_clear_answers(api, platform, youtube_api):
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    missing = api.post(
        "/training/videos/youtube-playlist",
        token=admin,
        json={"playlist_url": "https://www.youtube.com/playlist?list=PLdoesnotexist123"},
    )
    assert_error(missing, 404, "NOT_FOUND")
    not_a_playlist = api.post("/training/videos/youtube-playlist", token=admin, json={"playlist_url": "https://x.y/z"})
    assert_error(not_a_playlist, 400, "VALIDATION_ERROR")
    youtube_api.add_playlist(PLAYLIST, "Short", [("abcdefghijk", "One", "PT4M13S")])
    youtube_api.exhaust_quota()
    quota = api.post("/training/videos/youtube-playlist", token=admin, json={"playlist_url": PLAYLIST})
    assert_error(quota, 503, "SERVICE_UNAVAILABLE")
    assert "quotaExceeded" in quota.json()["error"]["details"]["reasons"]
    youtube_api.quota_exhausted = False
    youtube_api.api_key = "another-key"  # the platform's key is now refused
    refused = api.post("/training/videos/youtube-playlist", token=admin, json={"playlist_url": PLAYLIST})
    assert_error(refused, 503, "SERVICE_UNAVAILABLE")
    assert refused.json()["error"]["details"]["reasons"] == ["keyInvalid"]


@pytest.mark.parametrize("youtube_key", [""])
def test_playlist_import_without_a_configured_key_is_not_configured_without_calling_out(api, platform, youtube_api):
    youtube_api.add_playlist(PLAYLIST, "Short", [("abcdefghijk", "One", "PT4M13S")])
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    response = api.post("/training/videos/youtube-playlist", token=admin, json={"playlist_url": PLAYLIST})
    assert_error(response, 404, "NOT_CONFIGURED")  # the deployment's state, not a server fault
    assert youtube_api.requests == []
    assert data_of(api.get("/training/courses", token=admin))["total"] == 0
