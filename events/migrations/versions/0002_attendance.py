"""attendance check-in: registrations.attended_at and attended_by

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("registrations", sa.Column("attended_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("registrations", sa.Column("attended_by", sa.Uuid(), nullable=True))


def downgrade():
    with op.batch_alter_table("registrations") as batch:
        batch.drop_column("attended_by")
        batch.drop_column("attended_at")
