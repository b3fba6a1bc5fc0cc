"""The first store schema: scopes, runs, documents, findings as status intervals, per-run
control counts, waivers.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scopes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, nullable=False, unique=True),
        sa.Column("runs", sa.Integer, nullable=False),
        sa.Column("head_run_id", sa.String(64)),
        sa.Column("head_hash", sa.String(64)),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("scope_id", sa.Integer, sa.ForeignKey("scopes.id"), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("started_at", sa.String(20), nullable=False),
        sa.Column("finished_at", sa.String(20), nullable=False),
        sa.Column("stored_at", sa.String(20), nullable=False),
        sa.Column("command", sa.Text, nullable=False),
        sa.Column("profile", sa.Text, nullable=False),
        sa.Column("profile_sha256", sa.String(64), nullable=False),
        sa.Column("tool_version", sa.Text, nullable=False),
        sa.Column("n_pass", sa.Integer, nullable=False),
        sa.Column("n_fail", sa.Integer, nullable=False),
        sa.Column("n_unknown", sa.Integer, nullable=False),
        sa.Column("n_waived", sa.Integer, nullable=False),
        sa.Column("results_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("stored_sha256", sa.String(64), nullable=False),
        sa.Column("prev_run_id", sa.String(64)),
        sa.Column("prev_hash", sa.String(64)),
        sa.Column("chain_hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("scope_id", "seq", name="uq_runs_scope_seq"),
    )
    op.create_index("ix_runs_scope_started", "runs", ["scope_id", "started_at"])
    op.create_table(
        "documents",
        sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.id"), primary_key=True),
        sa.Column("codec", sa.String(16), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("scope_id", sa.Integer, sa.ForeignKey("scopes.id"), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("control_id", sa.String(64), nullable=False),
        sa.Column("address", sa.Text, nullable=False),
        sa.Column("resource_type", sa.Text, nullable=False),
        sa.UniqueConstraint("scope_id", "fingerprint", name="uq_findings_scope_fp"),
    )
    op.create_table(
        "intervals",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("scope_id", sa.Integer, sa.ForeignKey("scopes.id"), nullable=False),
        sa.Column("finding_id", sa.Integer, sa.ForeignKey("findings.id"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("from_seq", sa.Integer, nullable=False),
        sa.Column("to_seq", sa.Integer),
    )
    op.create_index("ix_intervals_scope_open", "intervals", ["scope_id", "to_seq"])
    op.create_index("ix_intervals_finding", "intervals", ["finding_id"])
    op.create_table(
        "run_controls",
        sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.id"), primary_key=True),
        sa.Column("control_id", sa.String(64), primary_key=True),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("n_pass", sa.Integer, nullable=False),
        sa.Column("n_fail", sa.Integer, nullable=False),
        sa.Column("n_unknown", sa.Integer, nullable=False),
        sa.Column("n_waived", sa.Integer, nullable=False),
    )
    op.create_table(
        "waivers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("scope_id", sa.Integer, sa.ForeignKey("scopes.id"), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("first_seq", sa.Integer, nullable=False),
        sa.Column("last_seq", sa.Integer, nullable=False),
        sa.UniqueConstraint("scope_id", "key", name="uq_waivers_scope_key"),
    )


def downgrade() -> None:
    for name in ("waivers", "run_controls", "intervals", "findings", "documents", "runs", "scopes"):
        op.drop_table(name)
