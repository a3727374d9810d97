"""users.profile_visibility: the preference as a column, so that searches can filter on it

Revision ID: 0003_profile_visibility
Revises: 0002_outbox
Create Date: 2026-12-05 03:00:00
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0003_profile_visibility"
down_revision = "0002_outbox"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "users", sa.Column("profile_visibility", sa.String(length=20), server_default="public", nullable=False)
    )
    # Preferences are JSON text: copy what users chose before this column existed.
    bind = op.get_bind()
    for user_id, data in bind.execute(sa.text("SELECT user_id, data FROM preferences")).all():
        chosen = (json.loads(data or "{}") or {}).get("profile_visibility")
        if chosen and chosen != "public":
            bind.execute(
                sa.text("UPDATE users SET profile_visibility = :chosen WHERE id = :user_id"),
                {"chosen": chosen, "user_id": user_id},
            )


def downgrade():
    op.drop_column("users", "profile_visibility")
