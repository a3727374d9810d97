"""Entrypoints of courses, their modules and lessons, YouTube imports and course analytics."""

from common.contracts import accepts
from common.pagination import offset_of, page_of, page_of_list
from common.roles import ADMIN, INSTRUCTOR
from common.rpc import rpc
from training import analytics, authoring, contracts, courses, learners, lesson_media, youtube

STAFF = (INSTRUCTOR, ADMIN)


class CourseEntrypoints:
    @rpc
    @accepts(contracts.NewCourse, changes="course")
    def create_course(self, course):
        self.caller.require_role(*STAFF)
        for module in course.get("modules", []):
            for lesson in module.get("lessons", []):
                lesson_media.check_attachable(self.store.media, self.caller, lesson.get("media_id"))
        created = authoring.create(self.store.session, self.events, self.caller.user_id, course)
        return courses.course_view(created, show_content=True)

    @rpc
    @accepts(contracts.CourseSearch, changes="search")
    def list_courses(self, search):
        page, size = search.pop("page"), search.pop("page_size")
        items, total = courses.listing(self.store.session, self.caller, search, offset_of(page, size), size)
        return page_of(items, total, page, size)

    @rpc
    def get_course(self, course_id):
        view = courses.reader_view(self.store.session, self.caller, course_id)
        return lesson_media.in_course(view, self.store.media, self.media_storage)

    @rpc
    @accepts(contracts.CourseChanges, changes="changes")
    def update_course(self, course_id, changes):
        course = authoring.change(self.store.session, self.events, self.caller, course_id, changes)
        return courses.course_view(course, show_content=True)

    @rpc
    def delete_course(self, course_id):
        return {"deleted": True, "id": authoring.delete(self.store.session, self.events, self.caller, course_id)}

    @rpc
    def publish_course(self, course_id):
        course = authoring.publish(self.store.session, self.events, self.caller, course_id)
        return courses.course_view(course, show_content=True)

    @rpc
    def unpublish_course(self, course_id):
        return courses.course_view(
            authoring.unpublish(self.store.session, self.events, self.caller, course_id), show_content=True
        )

    @rpc
    @accepts(contracts.ListPage)
    def list_lessons(self, course_id, page, page_size):
        lessons = page_of_list(courses.lessons_of(self.store.session, self.caller, course_id), page, page_size)
        return {**lessons, "items": lesson_media.with_links(lessons["items"], self.store.media, self.media_storage)}

    @rpc
    @accepts(contracts.ListPage)
    def course_videos(self, course_id, page, page_size):
        videos = page_of_list(courses.videos_of(self.store.session, self.caller, course_id), page, page_size)
        return {**videos, "items": lesson_media.with_links(videos["items"], self.store.media, self.media_storage)}

    # -- modules and lessons: each answers the course as its reader sees it

    @rpc
    @accepts(contracts.NewModule, changes="module")
    def add_module(self, course_id, module):
        authoring.add_module(self.store.session, self.events, self.caller, course_id, module)
        return self.get_course(course_id)

    @rpc
    @accepts(contracts.ModuleChanges, changes="changes")
    def update_module(self, course_id, module_id, changes):
        authoring.change_module(self.store.session, self.events, self.caller, course_id, module_id, changes)
        return self.get_course(course_id)

    @rpc
    def remove_module(self, course_id, module_id):
        authoring.remove_module(self.store.session, self.events, self.caller, course_id, module_id)
        return self.get_course(course_id)

    @rpc
    @accepts(contracts.Ordering)
    def reorder_modules(self, course_id, ids):
        authoring.reorder_modules(self.store.session, self.events, self.caller, course_id, ids)
        return self.get_course(course_id)

    @rpc
    @accepts(contracts.NewLesson, changes="lesson")
    def add_lesson(self, course_id, module_id, lesson):
        lesson_media.check_attachable(self.store.media, self.caller, lesson.get("media_id"))
        authoring.add_lesson(self.store.session, self.events, self.caller, course_id, module_id, lesson)
        return self.get_course(course_id)

    @rpc
    @accepts(contracts.LessonChanges, changes="changes")
    def update_lesson(self, course_id, lesson_id, changes):
        lesson_media.check_attachable(self.store.media, self.caller, changes.get("media_id"))
        authoring.change_lesson(self.store.session, self.events, self.caller, course_id, lesson_id, changes)
        return self.get_course(course_id)

    @rpc
    def remove_lesson(self, course_id, lesson_id):
        authoring.remove_lesson(self.store.session, self.events, self.caller, course_id, lesson_id)
        return self.get_course(course_id)

    @rpc
    @accepts(contracts.Ordering)
    def reorder_lessons(self, course_id, module_id, ids):
        authoring.reorder_lessons(self.store.session, self.events, self.caller, course_id, module_id, ids)
        return self.get_course(course_id)

    # -- from YouTube, and what happens in courses

    @rpc
    @accepts(contracts.PlaylistImport)
    def import_youtube_playlist(self, playlist_url, tags, title=None):
        self.caller.require_role(*STAFF)
        playlist_id = youtube.playlist_id_of(playlist_url)
        return authoring.import_playlist(
            self.store.session, self.events, self.youtube_api, self.caller.user_id, playlist_id, title, tags
        )

    @rpc
    @accepts(contracts.AnalyticsSearch)
    def analytics(self, days, course_id=None):
        self.caller.require_role(*STAFF)
        return analytics.report(self.store.session, self.caller, days, course_id)

    @rpc
    @accepts(contracts.PopularSearch)
    def popular_courses(self, days, limit):
        return analytics.popular(self.store.session, self.caller.user_id, days, limit)

    # -- a course's learners (its instructor and admins)

    def _learner_names(self, user_ids):
        return self.users.get_accounts(user_ids=list(user_ids)) if user_ids else {}

    @rpc
    @accepts(contracts.LearnerSearch)
    def course_learners(self, course_id, sort, order, page, page_size, format="json"):
        if format == "csv":
            return learners.roster_csv(self.store.session, self.caller, course_id, self._learner_names, sort, order)
        return learners.roster(
            self.store.session, self.caller, course_id, self._learner_names, sort, order, page, page_size
        )

    @rpc
    def course_learner(self, course_id, user_id):
        return learners.learner_detail(self.store.session, self.caller, course_id, user_id, self._learner_names)
