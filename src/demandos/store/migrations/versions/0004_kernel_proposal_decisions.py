"""kernel: what became of each refinement proposal (accepted or rejected, by whom, when, why)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 15:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kernel_proposal_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.String(length=20), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("target", sa.String(length=300), nullable=False),
        sa.Column("change", sa.Text(), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("kernel_version", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("kernel_proposal_decisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_kernel_proposal_decisions_proposal_id"), ["proposal_id"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("kernel_proposal_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kernel_proposal_decisions_proposal_id"))
    op.drop_table("kernel_proposal_decisions")
