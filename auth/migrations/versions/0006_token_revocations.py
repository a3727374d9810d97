"""Revoked access tokens, kept for gateways that start after the revocation

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 20:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "token_revocations",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("token_id", sa.String(length=64), nullable=True),
        sa.Column("revoked_before", sa.Float(precision=53), nullable=True),
        sa.Column("revoked_at", sa.Float(precision=53), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=True, unique=True),
    )
    op.create_index("ix_token_revocations_user_id", "token_revocations", ["user_id"])
    op.create_index("ix_token_revocations_revoked_at", "token_revocations", ["revoked_at"])


def downgrade():
    op.drop_table("token_revocations")
