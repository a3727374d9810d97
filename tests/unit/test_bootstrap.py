"""bootstrap's demo course against a stand-in of the training RPCs it calls (the e2e test runs the real ones)."""

import bootstrap


class TrainingStandIn:
    def __init__(self, courses=(), assessments=()):
        self.courses = [dict(course) for course in courses]
        self.assessments = list(assessments)
        self.calls = []

    def list_courses(self, instructor_id, q):
        return {"items": [course for course in self.courses if q in course["title"]]}

    def create_course(self, **course):
        self.calls.append("create_course")
        self.courses.append({"id": "c-new", "title": course["title"], "status": "draft"})
        return self.courses[-1]

    def list_assessments(self, course_id):
        items = [quiz for quiz in self.assessments if quiz["course_id"] == course_id]
        return {"items": items, "total": len(items), "page": 1, "page_size": 20}

    def create_assessment(self, course_id, **quiz):
        self.calls.append("create_assessment")
        self.assessments.append({"course_id": course_id, "title": quiz["title"]})

    def publish_course(self, course_id):
        self.calls.append("publish_course")
        next(course for course in self.courses if course["id"] == course_id)["status"] = "published"


def test_a_first_run_creates_the_course_and_its_quiz_and_publishes_it():
    training = TrainingStandIn()
    assert bootstrap.seed_demo_course(training, "inst-1") is True
    assert training.calls == ["create_course", "create_assessment", "publish_course"]
    assert bootstrap.seed_demo_course(training, "inst-1") is False
    assert len(training.calls) == 3


def test_a_run_cut_short_is_finished_not_taken_for_done():
    draft = {"id": "c-1", "title": bootstrap.DEMO_COURSE_TITLE, "status": "draft"}
    training = TrainingStandIn(courses=[draft])
    assert bootstrap.seed_demo_course(training, "inst-1") is True
    assert training.calls == ["create_assessment", "publish_course"]

    with_quiz = TrainingStandIn(courses=[draft], assessments=[{"course_id": "c-1", "title": "Quiz"}])
    assert bootstrap.seed_demo_course(with_quiz, "inst-1") is True
    assert with_quiz.calls == ["publish_course"]
