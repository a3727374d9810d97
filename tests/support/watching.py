"""Watch time in tests: a pause may not report more seconds than passed since the server saw the play, so a
test that pauses after "ten minutes" first moves its open plays that far back in training's database."""

from datetime import timedelta

from common.clock import utcnow
from common.mongo import client_for


def plays_started_ago(platform_config, seconds):
    """Every open play in training's database started ``seconds`` ago (as if the learner had watched since)."""
    watch = client_for(platform_config["MONGO_URI"])[platform_config["MONGO_DB_PREFIX"] + "training"]["watch_time"]
    watch.update_many({"playing": True}, {"$set": {"play_started_at": utcnow() - timedelta(seconds=seconds)}})
