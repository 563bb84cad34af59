"""sync cursors: how far each API sync (system, object) has read

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_cursors",
        sa.Column("system", sa.String(length=50), nullable=False),
        sa.Column("object", sa.String(length=100), nullable=False),
        sa.Column("cursor", sa.String(length=40), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("system", "object"),
    )


def downgrade() -> None:
    op.drop_table("sync_cursors")
