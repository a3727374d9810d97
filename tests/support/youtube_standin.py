"""A local stand-in for the YouTube Data API v3, on 127.0.0.1, started by the test.

It answers GET /playlists, /playlistItems (paged with pageToken/nextPageToken,
at most maxResults items a page) and /videos (contentDetails.duration in ISO
8601) as the API does, and its errors in the API's shape:
``{"error": {"code", "message", "errors": [{"message", "domain", "reason"}]}}``
(400 keyInvalid for a wrong key, 404 playlistNotFound, 403 quotaExceeded when
scripted with ``exhaust_quota()``).
"""

import json

import eventlet
import eventlet.wsgi
from werkzeug.wrappers import Request, Response


def _error(status, reason, message, domain="youtube.api"):
    body = {
        "error": {
            "code": status,
            "message": message,
            "errors": [{"message": message, "domain": domain, "reason": reason}],
        }
    }
    return Response(json.dumps(body), status=status, content_type="application/json")


def _ok(body):
    return Response(json.dumps(body), status=200, content_type="application/json")


class YouTubeStandIn:
    def __init__(self, api_key="yt-test-key"):
        self.api_key = api_key
        self.playlists = {}  # playlist id -> {"title", "description", "video_ids"}
        self.videos = {}  # video id -> {"title", "duration"}
        self.requests = []  # (resource, params), in order
        self.quota_exhausted = False
        self._socket = eventlet.listen(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}/youtube/v3"
        self._server = eventlet.spawn(eventlet.wsgi.server, self._socket, self._app, log_output=False, socket_timeout=5)

    def add_playlist(self, playlist_id, title, videos, description=""):
        """``videos``: [(video_id, title, iso_duration or None for a private/deleted video)]."""
        self.playlists[playlist_id] = {"title": title, "description": description, "video_ids": []}
        for video_id, video_title, duration in videos:
            self.playlists[playlist_id]["video_ids"].append(video_id)
            if duration is not None:
                self.videos[video_id] = {"title": video_title, "duration": duration}

    def exhaust_quota(self):
        self.quota_exhausted = True

    def close(self):
        self._server.kill()
        self._socket.close()

    def _app(self, environ, start_response):
        return self._answer(Request(environ))(environ, start_response)

    def _answer(self, request):
        resource = request.path.rsplit("/", 1)[-1]
        params = request.args.to_dict()
        self.requests.append((resource, params))
        if params.get("key") != self.api_key:
            return _error(400, "keyInvalid", "API key not valid. Please pass a valid API key.", "usageLimits")
        if self.quota_exhausted:
            return _error(403, "quotaExceeded", "The request cannot be completed because you have exceeded your quota.")
        if resource == "playlists":
            found = self.playlists.get(params.get("id"))
            items = [] if found is None else [{"kind": "youtube#playlist", "id": params["id"], "snippet": found}]
            return _ok(
                {"kind": "youtube#playlistListResponse", "items": items, "pageInfo": {"totalResults": len(items)}}
            )
        if resource == "playlistItems":
            return self._playlist_items(params)
        if resource == "videos":
            ids = [video_id for video_id in params.get("id", "").split(",") if video_id]
            if len(ids) > 50:
                return _error(400, "invalidParameter", "Too many ids")
            items = [
                {
                    "kind": "youtube#video",
                    "id": video_id,
                    "snippet": {"title": self.videos[video_id]["title"], "description": f"About {video_id}"},
                    "contentDetails": {"duration": self.videos[video_id]["duration"]},
                }
                for video_id in ids
                if video_id in self.videos
            ]
            return _ok({"kind": "youtube#videoListResponse", "items": items})
        return _error(404, "notFound", "Not Found", "global")

    def _playlist_items(self, params):
        playlist = self.playlists.get(params.get("playlistId"))
        if playlist is None:
            message = "The playlist identified with the request's <code>playlistId</code> parameter cannot be found."
            return _error(404, "playlistNotFound", message, "youtube.playlistItem")
        size = min(int(params.get("maxResults", 5)), 50)
        start = int(params.get("pageToken", "0") or 0)
        ids = playlist["video_ids"]
        page = ids[start : start + size]
        body = {
            "kind": "youtube#playlistItemListResponse",
            "items": [
                {
                    "kind": "youtube#playlistItem",
                    "snippet": {
                        "title": self.videos.get(video_id, {}).get("title", "Private video"),
                        "position": start + offset,
                        "resourceId": {"kind": "youtube#video", "videoId": video_id},
                    },
                    "contentDetails": {"videoId": video_id},
                }
                for offset, video_id in enumerate(page)
            ],
            "pageInfo": {"totalResults": len(ids), "resultsPerPage": size},
        }
        if start + size < len(ids):
            body["nextPageToken"] = str(start + size)
        return _ok(body)
