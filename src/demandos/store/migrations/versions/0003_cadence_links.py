"""cadence: reviews keep attendees and notes; decisions and actions link to a metric and a ritual
instance; decisions keep the metric's value when they were made

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 14:00:00.000000
"""

import sqlalchemy as sa
from alembic import op
from alembic.operations import BatchOperations

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _links(batch_op: BatchOperations) -> None:
    batch_op.add_column(sa.Column("metric_id", sa.String(length=100), nullable=True))
    batch_op.add_column(sa.Column("ritual_id", sa.String(length=100), nullable=True))
    batch_op.add_column(sa.Column("period", sa.String(length=20), nullable=True))


def upgrade() -> None:
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attendees", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("notes", sa.Text(), nullable=True))

    with op.batch_alter_table("decisions", schema=None) as batch_op:
        _links(batch_op)
        batch_op.add_column(sa.Column("metric_period", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("metric_value", sa.Float(), nullable=True))
        batch_op.create_index(batch_op.f("ix_decisions_metric_id"), ["metric_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_decisions_ritual_id"), ["ritual_id"], unique=False)

    with op.batch_alter_table("actions", schema=None) as batch_op:
        _links(batch_op)
        batch_op.create_index(batch_op.f("ix_actions_metric_id"), ["metric_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_actions_ritual_id"), ["ritual_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_actions_ritual_id"))
        batch_op.drop_index(batch_op.f("ix_actions_metric_id"))
        for column in ("period", "ritual_id", "metric_id"):
            batch_op.drop_column(column)

    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decisions_ritual_id"))
        batch_op.drop_index(batch_op.f("ix_decisions_metric_id"))
        for column in ("metric_value", "metric_period", "period", "ritual_id", "metric_id"):
            batch_op.drop_column(column)

    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_column("notes")
        batch_op.drop_column("attendees")
