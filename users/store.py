"""users' counts for the admin dashboard, over the worker's one session (common/stores.py). The other queries
live in a module per aggregate: accounts.py, directory.py, relationships.py, preferences.py."""

from sqlalchemy import func, select

from users.models import User, UserRole


class Counts:
    def __init__(self, session):
        self.session = session

    def by_status(self):
        return dict(self.session.execute(select(User.status, func.count()).group_by(User.status)).all())

    def by_role(self):
        return dict(self.session.execute(select(UserRole.role, func.count()).group_by(UserRole.role)).all())
