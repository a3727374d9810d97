"""Creates the first admin (ADMIN_EMAIL / ADMIN_PASSWORD) and, on request, demo accounts and a course.

Idempotent: accounts and the demo course that exist are left as they are. Runs
over RPC like any operator: ``python -m bootstrap [--demo]`` against the broker
in AMQP_URI.
"""

import argparse

DEMO_ACCOUNTS = (
    ("instructor@example.com", "instructor", "Ingrid Instructor", ["instructor"], "instructor-demo-1"),
    ("coach@example.com", "coach", "Carl Coach", ["coach"], "coach-demo-1"),
    ("learner@example.com", "learner", "Lena Learner", ["learner"], "learner-demo-1"),
)


def accounts_to_seed(config, demo):
    admin = config.get("ADMIN") or {}
    accounts = [(admin["EMAIL"], "admin", "Platform Admin", ["admin"], admin["PASSWORD"])]
    if demo:
        accounts.extend(DEMO_ACCOUNTS)
    return accounts


def seed(users_rpc, config, demo=False):
    """Create what is missing; return ``[(email, password, roles, created)]``."""
    from common.exceptions import Conflict

    seeded = []
    for email, username, name, roles, password in accounts_to_seed(config, demo):
        try:
            users_rpc.create_user(email=email, username=username, name=name, roles=roles, password=password)
            created = True
        except Conflict:
            created = False
        seeded.append((email, password, roles, created))
    return seeded


DEMO_COURSE_TITLE = "Getting started with the platform"
DEMO_COURSE = {
    "title": DEMO_COURSE_TITLE,
    "description": "A short tour: read a lesson, watch a video, pass a quiz, get a certificate.",
    "tags": ["onboarding"],
    "level": "beginner",
    "modules": [
        {
            "title": "Welcome",
            "lessons": [
                {
                    "title": "How this platform works",
                    "type": "text",
                    "content": "Courses are made of modules and lessons. Complete every lesson and pass the quiz.",
                    "preview": True,
                },
                {
                    "title": "A first video",
                    "type": "youtube",
                    "youtube_id": "aqz-KE-bpKQ",
                    "duration_seconds": 635,
                },
            ],
        }
    ],
}
DEMO_QUIZ = {
    "title": "Check your understanding",
    "passing_score": 50,
    "max_attempts": 3,
    "show_answers": "after_each_attempt",
    "questions": [
        {
            "type": "single_choice",
            "prompt": "What is a course made of?",
            "options": [{"text": "Modules and lessons", "correct": True}, {"text": "Only videos"}],
        },
        {"type": "true_false", "prompt": "A certificate can be verified by anyone.", "correct": True},
    ],
}


def account_id(users_rpc, email):
    """The id of the account with this email (an operator call may list users)."""
    for user in users_rpc.list_users(q=email, page_size=100)["items"]:
        if user["email"].lower() == email.lower():
            return user["id"]
    return None


def seed_demo_course(training_rpc, instructor_id):
    """Publish the demo course as its instructor unless it is published already; True when this run did.

    ``training_rpc`` must carry the instructor's identity in its context data, so the course is theirs. A run
    cut short (a draft without its quiz, or unpublished) is finished by the next one, not taken for done.
    """
    found = training_rpc.list_courses(instructor_id=instructor_id, q=DEMO_COURSE_TITLE)["items"]
    course = next((course for course in found if course["title"] == DEMO_COURSE_TITLE), None)
    if course is not None and course["status"] == "published":
        return False
    if course is None:
        course = training_rpc.create_course(**DEMO_COURSE)
    if not training_rpc.list_assessments(course["id"])["total"]:
        training_rpc.create_assessment(course["id"], **DEMO_QUIZ)
    training_rpc.publish_course(course["id"])
    return True


def seed_demo(config, rpc, timeout=None):
    """Demo accounts' course, made with ``rpc`` for lookups and a proxy acting as the demo instructor."""
    from nameko.standalone.rpc import ClusterRpcProxy

    instructor_id = account_id(rpc.users, DEMO_ACCOUNTS[0][0])
    context = {"user_id": instructor_id, "roles": ",".join(DEMO_ACCOUNTS[0][3])}
    with ClusterRpcProxy(config, context_data=context, timeout=timeout) as as_instructor:
        return seed_demo_course(as_instructor.training, instructor_id)


def main(argv=None):
    import eventlet

    eventlet.monkey_patch()
    from nameko.standalone.rpc import ClusterRpcProxy

    from common.config import load_config
    from common.config_check import ready_to_start

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--demo", action="store_true", help="also create a demo instructor, coach, learner and course")
    args = parser.parse_args(argv)
    config = ready_to_start(load_config())
    with ClusterRpcProxy(config) as rpc:
        for email, _password, roles, created in seed(rpc.users, config, demo=args.demo):
            print(f"{'created' if created else 'exists '} {','.join(roles):<10} {email}")
        if args.demo:
            print(f"{'created' if seed_demo(config, rpc) else 'exists '} course     {DEMO_COURSE_TITLE}")


if __name__ == "__main__":
    main()
