"""SSO: linked identities and sign-in states

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 20:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "linked_identities",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("provider", sa.String(length=30), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["credentials.user_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("provider", "subject", name="uq_linked_identities_provider_subject"),
    )
    op.create_index(op.f("ix_linked_identities_user_id"), "linked_identities", ["user_id"], unique=False)
    op.create_table(
        "sign_in_states",
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("provider", sa.String(length=30), nullable=False),
        sa.Column("code_verifier", sa.String(length=128), nullable=False),
        sa.Column("redirect_uri", sa.String(length=2000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("state_hash"),
    )
    op.create_index(op.f("ix_sign_in_states_expires_at"), "sign_in_states", ["expires_at"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_sign_in_states_expires_at"), table_name="sign_in_states")
    op.drop_table("sign_in_states")
    op.drop_index(op.f("ix_linked_identities_user_id"), table_name="linked_identities")
    op.drop_table("linked_identities")
