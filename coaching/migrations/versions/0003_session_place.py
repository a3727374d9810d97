"""Where sessions take place: a meeting link or a location on each session, and the coach's defaults

Revision ID: 0003_session_place
Revises: 0002_outbox
Create Date: 2026-12-04 23:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_session_place"
down_revision = "0002_outbox"
branch_labels = None
depends_on = None


def upgrade():
    # Existing sessions and coaches were online with no link: server_default fills the new NOT NULL columns.
    for table, kind in (("coach_profiles", "session_kind"), ("coaching_sessions", "kind")):
        op.add_column(table, sa.Column(kind, sa.String(length=20), server_default="online", nullable=False))
        op.add_column(table, sa.Column("meeting_url", sa.String(length=2048), nullable=True))
        op.add_column(table, sa.Column("location", sa.String(length=500), nullable=True))


def downgrade():
    for table, kind in (("coaching_sessions", "kind"), ("coach_profiles", "session_kind")):
        op.drop_column(table, "location")
        op.drop_column(table, "meeting_url")
        op.drop_column(table, kind)
