"""workflows: each run's steps, their checklist ticks and when each was done, and who started it

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 17:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("workflow_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("started_by", sa.String(length=100), nullable=True))
    op.create_table(
        "workflow_run_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("checked", sa.JSON(), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.Column("done_by", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["workflow_runs.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "step_id"),
    )
    with op.batch_alter_table("workflow_run_steps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_workflow_run_steps_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("workflow_run_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workflow_run_steps_run_id"))
    op.drop_table("workflow_run_steps")
    with op.batch_alter_table("workflow_runs", schema=None) as batch_op:
        batch_op.drop_column("started_by")
