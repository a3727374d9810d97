"""The training service: courses, enrollment, progress, watch time, attendance, assessments, certificates, media.

One Nameko service; its entrypoints are grouped by area in ``training/entrypoints/``
and its rules live in the domain modules beside this one.
"""

from nameko.dependency_providers import Config

from common import service_base
from common.clock import isoformat, utcnow
from common.context import Caller
from common.events import DomainEvents
from common.roles import ADMIN
from common.rpc import RpcProxy, rpc
from common.runtime_settings import RuntimeSettings, Setting
from common.stores import MongoStore
from common.timers import ConfiguredTimer
from training import completion, keys, youtube
from training.contracts import PUBLISHED
from training.enrollments import COMPLETED

# The entrypoint classes are reached through their modules, never imported by name: `nameko run training.service`
# takes every class of this module that has entrypoints for a service of its own.
from training.entrypoints import assessments, courses, learning, media
from training.media_storage import MediaStorage
from training.store import REPOSITORIES, ensure_indexes

SETTINGS = {
    "attendance_min_seconds": Setting(1800, "Watch time in a day that counts the day as present", minimum=1),
    "video_complete_percent": Setting(
        90,
        "Percent of a video's duration a learner watches (every day together) to complete it",
        minimum=1,
        maximum=100,
    ),
}


class TrainingService(
    courses.CourseEntrypoints,
    learning.LearningEntrypoints,
    assessments.AssessmentEntrypoints,
    media.MediaEntrypoints,
    service_base.PlatformService,
):
    name = "training"

    store = MongoStore(ensure_indexes, **REPOSITORIES)
    caller = Caller()
    settings = RuntimeSettings(SETTINGS, store="mongo")
    events = DomainEvents()
    config = Config()
    certificate_key = keys.CertificateKey()
    users = RpcProxy("users")
    youtube_api = youtube.YouTubeApi()
    # Media bytes: S3 or a local directory (MEDIA in config.yaml); it also indexes the ``media`` collection.
    media_storage = MediaStorage()

    def _completion(self):
        """Completion of courses and their certificates, over this worker's database and outbox."""
        return completion.Completion(
            self.store.session,
            self.events,
            self.users.get_account,
            self.certificate_key,
            video_share=self.settings["video_complete_percent"],
        )

    @rpc
    def stats(self):
        self.caller.require_role(ADMIN)
        store = self.store
        return {
            "courses": store.courses.count(),
            "published_courses": store.courses.count(status=PUBLISHED),
            "enrollments": store.enrollments.count(),
            "completed_enrollments": store.enrollments.count(status=COMPLETED),
            "assessments": store.assessments.count(),
            "attempts": store.attempts.count(),
            "certificates": store.certificates.count(),
            "generated_at": isoformat(utcnow()),
        }

    @ConfiguredTimer.decorator("OUTBOX", "RELAY_INTERVAL", 1)
    def relay_outbox(self):
        """Publish the events the broker did not take right after their change (it was down)."""
        self.events.relay()
