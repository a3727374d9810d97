"""Entrypoints of assessments: authoring (the course's instructors), attempts and results (its learners)."""

from common.contracts import accepts
from common.pagination import page_of_list
from common.rpc import rpc
from training import assessments, contracts, courses


class AssessmentEntrypoints:
    @rpc
    @accepts(contracts.NewAssessment, changes="assessment")
    def create_assessment(self, course_id, assessment):
        course = courses.editable(self.store.session, self.caller, course_id)
        created = assessments.add(self.store.session, self.events, course, self.caller.user_id, assessment)
        return assessments.view(created, with_answers=True)

    @rpc
    @accepts(contracts.ListPage)
    def list_assessments(self, course_id, page, page_size):
        course = courses.visible(self.store.session, self.caller, course_id)
        rows = [assessments.view(row) for row in self.store.assessments.of_course(course["_id"])]
        return page_of_list(rows, page, page_size)

    @rpc
    def get_assessment(self, assessment_id):
        assessment = assessments.find(self.store.session, assessment_id)
        courses.visible(self.store.session, self.caller, assessment["course_id"])
        return assessments.view(assessment)

    def _editable(self, assessment_id):
        """The assessment and its course, if the caller may change them."""
        assessment = assessments.find(self.store.session, assessment_id)
        return assessment, courses.editable(self.store.session, self.caller, assessment["course_id"])

    @rpc
    @accepts(contracts.AssessmentChanges, changes="changes")
    def update_assessment(self, assessment_id, changes):
        assessment, course = self._editable(assessment_id)
        changed = assessments.edit(self.store.session, self.events, course, assessment, changes)
        return assessments.view(changed, with_answers=True)

    @rpc
    def delete_assessment(self, assessment_id):
        assessment, course = self._editable(assessment_id)
        assessments.remove(self.store.session, self.events, course, assessment)
        return {"deleted": True, "id": assessment["_id"]}

    @rpc
    def start_assessment(self, assessment_id):
        user_id, assessment, _ = assessments.for_learner(self.store.session, self.caller, assessment_id)
        return assessments.attempt_view(assessment, assessments.start(self.store.session, assessment, user_id))

    @rpc
    @accepts(contracts.Submission)
    def submit_assessment(self, assessment_id, answers):
        return self._completion().submit_assessment(self.caller, assessment_id, answers)

    @rpc
    def assessment_result(self, assessment_id):
        user_id, assessment, _ = assessments.for_learner(self.store.session, self.caller, assessment_id)
        return assessments.result(self.store.session, assessment, user_id)
