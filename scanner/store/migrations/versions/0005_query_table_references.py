"""The query tables ``findings`` and ``intervals`` no longer carry foreign keys (findings.scope_id,
intervals.scope_id, intervals.finding_id): ``store verify`` checks those references instead.  And
``intervals`` keeps two indexes instead of three: by scope and end (the open intervals, every run),
and by scope and start of its *failing* intervals only (history and the period report count and
list failures; ``ix_intervals_scope_from`` held every interval), the period report reading a
finding's other intervals in one pass over its scope's (``ix_intervals_finding`` is gone).

Why: PostgreSQL checks a foreign key row by row (a query per row, and a row lock on each finding
an interval names), and a scope's first run writes a row into each table per finding: for the
10,000-resource plan's 21,000 findings those checks were 0.27 s of the 0.42 s the server spent on
the two tables, more than the rest of storing the run.  The references are written by specguard
alone, in the run's one transaction; a reference broken afterwards (a row deleted by hand: an
SQLite shell does not enforce foreign keys anyway) is named by ``store verify``, which the keys
never did.  The evidence itself, runs and their documents, keeps its foreign keys and the hash
chain.

SQLite cannot drop a foreign key: both tables are copied into tables declared without them (no
other table refers to either), with the same rows and ids.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_DROPPED = (("findings", "scope_id", "scopes"), ("intervals", "scope_id", "scopes"),
            ("intervals", "finding_id", "findings"))


def _findings(md: sa.MetaData, name: str, keys: bool) -> sa.Table:
    return sa.Table(
        name, md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("scope_id", sa.Integer, *([sa.ForeignKey("scopes.id")] if keys else []), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("control_id", sa.String(64), nullable=False),
        sa.Column("address", sa.Text, nullable=False),
        sa.Column("resource_type", sa.Text, nullable=False),
        sa.UniqueConstraint("scope_id", "fingerprint", name="uq_findings_scope_fp"),
    )


def _intervals(md: sa.MetaData, name: str, keys: bool, findings: str) -> sa.Table:
    return sa.Table(
        name, md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("scope_id", sa.Integer, *([sa.ForeignKey("scopes.id")] if keys else []), nullable=False),
        sa.Column("finding_id", sa.Integer, *([sa.ForeignKey(f"{findings}.id")] if keys else []), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("from_seq", sa.Integer, nullable=False),
        sa.Column("to_seq", sa.Integer),
    )


_OLD_INDEXES = (("ix_intervals_finding", ["finding_id"]), ("ix_intervals_scope_from", ["scope_id", "from_seq"]))
_FAILING = "status = 'fail'"
_COLUMNS = {"findings": "id, scope_id, fingerprint, control_id, address, resource_type",
            "intervals": "id, scope_id, finding_id, status, severity, from_seq, to_seq"}


def _copy_sqlite(keys: bool) -> None:
    """Each table copied into one declared with (``keys``) or without the foreign keys, then put
    in its place.  The new intervals refer to the new findings, whose renaming SQLite carries
    into the reference, so the old tables are dropped with nothing referring to them."""
    bind = op.get_bind()
    md = sa.MetaData()
    sa.Table("scopes", md, sa.Column("id", sa.Integer, primary_key=True))     # referred to, not created
    _findings(md, "findings_0005", keys).create(bind)
    _intervals(md, "intervals_0005", keys, "findings_0005").create(bind)
    for name in ("findings", "intervals"):
        op.execute(f"INSERT INTO {name}_0005 ({_COLUMNS[name]}) SELECT {_COLUMNS[name]} FROM {name}")
    op.drop_table("intervals")
    op.drop_table("findings")
    op.rename_table("findings_0005", "findings")
    op.rename_table("intervals_0005", "intervals")
    op.create_index("ix_intervals_scope_open", "intervals", ["scope_id", "to_seq"])
    _indexes(old=keys)


def _indexes(old: bool) -> None:
    """The indexes of intervals by finding and by start (``old``), or by start of the failing ones."""
    if old:
        for index, columns in _OLD_INDEXES:
            op.create_index(index, "intervals", columns)
    else:
        op.create_index("ix_intervals_scope_fail", "intervals", ["scope_id", "from_seq"],
                        sqlite_where=sa.text(_FAILING), postgresql_where=sa.text(_FAILING))


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _copy_sqlite(keys=False)
        return
    inspector = sa.inspect(bind)
    for table, column, target in _DROPPED:
        for fk in inspector.get_foreign_keys(table):
            if fk["constrained_columns"] == [column] and fk["referred_table"] == target:
                op.drop_constraint(fk["name"], table, type_="foreignkey")
    for index, _ in _OLD_INDEXES:
        op.drop_index(index, "intervals")
    _indexes(old=False)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _copy_sqlite(keys=True)
        return
    for table, column, target in _DROPPED:
        op.create_foreign_key(f"{table}_{column}_fkey", table, target, [column], ["id"])
    op.drop_index("ix_intervals_scope_fail", "intervals")
    _indexes(old=True)
