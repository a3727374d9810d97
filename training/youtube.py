"""Reading playlists from the YouTube Data API v3 (playlists, playlistItems, videos).

The base URL and API key come from config (TRAINING.YOUTUBE_API_URL,
YOUTUBE_API_KEY), so tests point the client at a stand-in on 127.0.0.1.
API errors arrive as ``{"error": {"code", "message", "errors": [{"reason"}]}}``
and become our own: a missing playlist is a 404, a refused key or exhausted
quota is a 503 (the platform cannot reach YouTube's data right now).
"""

import re
from urllib.parse import parse_qs, urlparse

import requests
from nameko.extensions import DependencyProvider

from common.exceptions import NotConfigured, NotFound, ServiceUnavailable, ValidationError

PAGE_SIZE = 50  # the API's maximum for playlistItems and for ids per videos call
MAX_PAGES = 100
PLAYLIST_ID = re.compile(r"^[A-Za-z0-9_-]{10,64}$")
DURATION = re.compile(r"^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def parse_duration(text):
    """Seconds in an ISO 8601 duration as the API writes it (PT1H2M3S, P1DT2M, P0D)."""
    match = DURATION.match(text or "")
    if not match or text in ("P", "PT"):
        return 0
    weeks, days, hours, minutes, seconds = (float(group) if group else 0 for group in match.groups())
    return int(weeks * 604800 + days * 86400 + hours * 3600 + minutes * 60 + seconds)


def playlist_id_of(url_or_id):
    text = str(url_or_id).strip()
    if PLAYLIST_ID.match(text):
        return text
    parsed = urlparse(text)
    host = (parsed.hostname or "").lower()
    if parsed.scheme in ("http", "https") and (host == "youtu.be" or host.endswith("youtube.com")):
        found = parse_qs(parsed.query).get("list", [])
        if found and PLAYLIST_ID.match(found[0]):
            return found[0]
    raise ValidationError("Not a YouTube playlist URL", {"playlist_url": ["needs a list= playlist id"]})


class YouTubeClient:
    def __init__(self, base_url, api_key, timeout=10, session=None):
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.session = session or requests.Session()

    def _get(self, resource, params):
        try:
            response = self.session.get(
                f"{self.base_url}/{resource}", params={**params, "key": self.api_key}, timeout=self.timeout
            )
        except requests.RequestException:
            raise ServiceUnavailable("YouTube did not answer") from None
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code == 200 and "error" not in body:
            return body
        error = body.get("error") if isinstance(body.get("error"), dict) else {}
        reasons = [item.get("reason") for item in error.get("errors", []) if isinstance(item, dict)]
        if response.status_code == 404 or "playlistNotFound" in reasons:
            raise NotFound("The YouTube playlist was not found", {"reasons": reasons})
        raise ServiceUnavailable("YouTube refused the request", {"status": response.status_code, "reasons": reasons})

    def playlist(self, playlist_id):
        body = self._get("playlists", {"part": "snippet", "id": playlist_id, "maxResults": 1})
        items = body.get("items") or []
        if not items:
            raise NotFound("The YouTube playlist was not found", {"reasons": ["playlistNotFound"]})
        return items[0].get("snippet", {})

    def playlist_video_ids(self, playlist_id):
        ids, token = [], None
        for _ in range(MAX_PAGES):
            params = {"part": "contentDetails,snippet", "playlistId": playlist_id, "maxResults": PAGE_SIZE}
            if token:
                params["pageToken"] = token
            body = self._get("playlistItems", params)
            for item in body.get("items", []):
                video_id = (item.get("contentDetails") or {}).get("videoId") or (
                    (item.get("snippet") or {}).get("resourceId") or {}
                ).get("videoId")
                if video_id and video_id not in ids:
                    ids.append(video_id)
            token = body.get("nextPageToken")
            if not token:
                break
        return ids

    def videos(self, video_ids):
        """{video_id: {"title", "description", "duration_seconds"}}; private or deleted videos are absent."""
        found = {}
        for start in range(0, len(video_ids), PAGE_SIZE):
            chunk = video_ids[start : start + PAGE_SIZE]
            body = self._get(
                "videos", {"part": "snippet,contentDetails", "id": ",".join(chunk), "maxResults": PAGE_SIZE}
            )
            for item in body.get("items", []):
                found[item["id"]] = {
                    "title": (item.get("snippet") or {}).get("title") or item["id"],
                    "description": (item.get("snippet") or {}).get("description") or "",
                    "duration_seconds": parse_duration((item.get("contentDetails") or {}).get("duration")),
                }
        return found

    def import_playlist(self, playlist_id):
        """The playlist's title and its videos in playlist order, with durations."""
        if not self.api_key:
            raise NotConfigured("No YouTube API key is configured (TRAINING.YOUTUBE_API_KEY)", {"provider": "youtube"})
        snippet = self.playlist(playlist_id)
        ids = self.playlist_video_ids(playlist_id)
        details = self.videos(ids)
        return {
            "title": snippet.get("title") or f"Playlist {playlist_id}",
            "description": snippet.get("description") or "",
            "videos": [dict(details[video_id], youtube_id=video_id) for video_id in ids if video_id in details],
        }


class YouTubeApi(DependencyProvider):
    """The client, configured from TRAINING in config.yaml."""

    def setup(self):
        section = self.container.config.get("TRAINING") or {}
        self.base_url = section.get("YOUTUBE_API_URL") or "https://www.googleapis.com/youtube/v3"
        self.api_key = section.get("YOUTUBE_API_KEY") or ""
        self.timeout = section.get("YOUTUBE_TIMEOUT") or 10

    def get_dependency(self, worker_ctx):
        return YouTubeClient(self.base_url, self.api_key, self.timeout)
