"""Failed logins counted per identifier and client address

Revision ID: 0005
Revises: 0004_outbox
Create Date: 2026-12-04 20:00:00

The counters are short-lived (a window of minutes): the table is made anew rather than
migrated, so a lock in force during the upgrade is forgotten.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004_outbox"
branch_labels = None
depends_on = None


def _login_attempts(*key):
    op.create_table(
        "login_attempts",
        sa.Column("identifier", sa.String(length=320), nullable=False),
        *([sa.Column("client", sa.String(length=64), nullable=False)] if "client" in key else []),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("first_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint(*key),
    )


def upgrade():
    op.drop_table("login_attempts")
    _login_attempts("identifier", "client")


def downgrade():
    op.drop_table("login_attempts")
    _login_attempts("identifier")
