"""Sign-in states without a PKCE verifier (Cognito's /logout -> sign-in again cannot carry a challenge)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("sign_in_states") as batch:
        batch.alter_column("code_verifier", existing_type=sa.String(length=128), nullable=True)


def downgrade():
    op.execute("DELETE FROM sign_in_states WHERE code_verifier IS NULL")
    with op.batch_alter_table("sign_in_states") as batch:
        batch.alter_column("code_verifier", existing_type=sa.String(length=128), nullable=False)
