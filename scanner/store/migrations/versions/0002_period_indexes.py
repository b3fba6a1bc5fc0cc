"""Indexes the audit-period report reads by: intervals by the run that began them, run
control counts by control.

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_intervals_scope_from", "intervals", ["scope_id", "from_seq"])
    op.create_index("ix_run_controls_control", "run_controls", ["control_id"])


def downgrade() -> None:
    op.drop_index("ix_run_controls_control", "run_controls")
    op.drop_index("ix_intervals_scope_from", "intervals")
