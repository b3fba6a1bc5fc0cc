"""The hash chain follows the order runs were stored in, kept apart from their order in time.

``runs.seq`` stays a run's place in its scope by ``started_at`` (what diff, history and the period
report read); ``runs.chain_pos`` is its place in the scope's chain: the order it was stored in.
Until now the two were one (a run older than the scope's latest was refused), so every stored
run's ``chain_pos`` is its ``seq`` and every recorded chain hash stays valid.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


# plain ALTER TABLE (SQLite >= 3.35 drops columns too): a batch copy of ``runs`` would trip the
# foreign keys of the rows that name it
def upgrade() -> None:
    op.add_column("runs", sa.Column("chain_pos", sa.Integer))
    op.execute("UPDATE runs SET chain_pos = seq")
    op.create_index("ux_runs_scope_chain", "runs", ["scope_id", "chain_pos"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_runs_scope_chain", "runs")
    op.drop_column("runs", "chain_pos")
