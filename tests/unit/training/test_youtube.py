"""YouTube helpers: ISO 8601 durations and playlist URLs."""

import pytest

from common.exceptions import NotConfigured, ValidationError
from training import youtube


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("PT4M13S", 253), ("PT1H", 3600), ("PT1H2M3S", 3723), ("P1DT2M", 86520), ("P0D", 0), ("PT15.5S", 15), ("", 0)],
)
def test_parse_duration(text, seconds):
    assert youtube.parse_duration(text) == seconds


@pytest.mark.parametrize(
    "url",
    [
        "https://www.youtube.com/playlist?list=PLabcdefghij12",
        "https://youtube.com/watch?v=dQw4w9WgXcQ&list=PLabcdefghij12",
        "https://m.youtube.com/playlist?list=PLabcdefghij12&si=x",
        "PLabcdefghij12",
    ],
)
def test_playlist_ids(url):
    assert youtube.playlist_id_of(url) == "PLabcdefghij12"


@pytest.mark.parametrize(
    "url", ["https://evil.example/playlist?list=PLabcdefghij12", "not a url", "https://youtube.com/x"]
)
def test_not_playlists(url):
    with pytest.raises(ValidationError):
        youtube.playlist_id_of(url)


def test_no_key_means_no_call():
    with pytest.raises(NotConfigured):
        youtube.YouTubeClient("http://127.0.0.1:9", "").import_playlist("PLabcdefghij12")
