"""The store's tables (SQLAlchemy Core).  Alembic's migrations (migrations/versions/) create
and change them; this module is what the code reads and writes through.

* ``scopes``: one row per scope ("the same audit"), with the head of its hash chain.
* ``runs``: one row per stored run: its place in the scope by start time (``seq`` 1, 2, ...), its
  place in the scope's hash chain, which is the order runs were stored in (``chain_pos``: the
  same as ``seq`` unless an older run was imported later), times, counts, the SHA-256 of its
  canonical results document and the chain hashes.
* ``documents``: the canonical results JSON, compressed, given back byte for byte.
* ``findings``: a finding's identity in a scope (fingerprint, control, address).
* ``intervals``: status intervals: a finding had ``status`` from run ``from_seq`` up to, not
  including, ``to_seq`` (NULL: still at the scope's latest run).  A night where nothing changed
  adds no row, so the store grows with change, not with the number of nights.
* ``run_controls``: per run and control, the counts by status (history's trend, the period report).
* ``waivers``: each distinct waiver of a scope, with the first and last run that listed it.
"""
from __future__ import annotations

from sqlalchemy import (Column, ForeignKey, Index, Integer, LargeBinary, MetaData, String, Table, Text,
                        UniqueConstraint, text)

metadata = MetaData()

scopes = Table(
    "scopes", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False, unique=True),
    Column("runs", Integer, nullable=False, default=0),
    Column("head_run_id", String(64)),
    Column("head_hash", String(64)),
)

runs = Table(
    "runs", metadata,
    Column("id", String(64), primary_key=True),
    Column("scope_id", Integer, ForeignKey("scopes.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("started_at", String(20), nullable=False),
    Column("finished_at", String(20), nullable=False),
    Column("stored_at", String(20), nullable=False),
    Column("command", Text, nullable=False, default=""),
    Column("profile", Text, nullable=False, default=""),
    Column("profile_sha256", String(64), nullable=False, default=""),
    Column("tool_version", Text, nullable=False, default=""),
    Column("n_pass", Integer, nullable=False),
    Column("n_fail", Integer, nullable=False),
    Column("n_unknown", Integer, nullable=False),
    Column("n_waived", Integer, nullable=False),
    Column("results_sha256", String(64), nullable=False, unique=True),
    Column("stored_sha256", String(64), nullable=False),   # of the compressed bytes in documents
    Column("prev_run_id", String(64)),
    Column("prev_hash", String(64)),
    Column("chain_hash", String(64), nullable=False),
    Column("chain_pos", Integer),
    UniqueConstraint("scope_id", "seq", name="uq_runs_scope_seq"),
    Index("ux_runs_scope_chain", "scope_id", "chain_pos", unique=True),
    Index("ix_runs_scope_started", "scope_id", "started_at"),
)

documents = Table(
    "documents", metadata,
    Column("run_id", String(64), ForeignKey("runs.id"), primary_key=True),
    Column("codec", String(16), nullable=False),
    Column("size", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
)

# findings and intervals carry no foreign keys (revision 0005): a scope's first run writes a row into
# each per finding, which PostgreSQL checked one by one; ``Store.verify`` checks the references
findings = Table(
    "findings", metadata,
    Column("id", Integer, primary_key=True),
    Column("scope_id", Integer, nullable=False),       # scopes.id
    Column("fingerprint", String(64), nullable=False),
    Column("control_id", String(64), nullable=False),
    Column("address", Text, nullable=False),
    Column("resource_type", Text, nullable=False, default=""),
    UniqueConstraint("scope_id", "fingerprint", name="uq_findings_scope_fp"),
)

intervals = Table(
    "intervals", metadata,
    Column("id", Integer, primary_key=True),
    Column("scope_id", Integer, nullable=False),       # scopes.id, the finding's scope
    Column("finding_id", Integer, nullable=False),     # findings.id
    Column("status", String(16), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("from_seq", Integer, nullable=False),
    Column("to_seq", Integer),
    Index("ix_intervals_scope_open", "scope_id", "to_seq"),
    # failures by the run that began them (history, the period report): failing intervals only (0005)
    Index("ix_intervals_scope_fail", "scope_id", "from_seq", sqlite_where=text("status = 'fail'"),
          postgresql_where=text("status = 'fail'")),
)

run_controls = Table(
    "run_controls", metadata,
    Column("run_id", String(64), ForeignKey("runs.id"), primary_key=True),
    Column("control_id", String(64), primary_key=True),
    Column("severity", String(16), nullable=False, default=""),
    Column("n_pass", Integer, nullable=False),
    Column("n_fail", Integer, nullable=False),
    Column("n_unknown", Integer, nullable=False),
    Column("n_waived", Integer, nullable=False),
    Index("ix_run_controls_control", "control_id"),
)

waivers = Table(
    "waivers", metadata,
    Column("id", Integer, primary_key=True),
    Column("scope_id", Integer, ForeignKey("scopes.id"), nullable=False),
    Column("key", String(64), nullable=False),
    Column("body", Text, nullable=False),
    Column("first_seq", Integer, nullable=False),
    Column("last_seq", Integer, nullable=False),
    UniqueConstraint("scope_id", "key", name="uq_waivers_scope_key"),
)
