"""The store's schema revision, run through Alembic programmatically (no alembic.ini).

A new store is created at the head revision; an older one is upgraded on first use (the
caller prints a one-line notice); a store whose revision this specguard does not know was
written by a newer one and is refused: upgrading specguard is the only safe answer.
"""
from __future__ import annotations

from typing import Callable

from ..errors import InputError, ScanError

SCRIPT_LOCATION = "scanner.store:migrations"
# the newest revision under migrations/versions/: a store already at it is opened without
# importing Alembic (a third of a second at every `scan --store`); a test checks they agree
HEAD = "0005"
_PG_LOCK = 0x5EC6A4D   # advisory lock: two first uses of one PostgreSQL store migrate one at a time


def _config():
    from alembic.config import Config
    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory
    return ScriptDirectory.from_config(_config()).get_current_head()


def upgrade(conn, target: str = "head") -> None:
    """Upgrade on this connection, inside the caller's transaction."""
    from alembic import command
    cfg = _config()
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, target)


def current_revision(conn) -> str | None:
    from alembic.runtime.migration import MigrationContext
    return MigrationContext.configure(conn).get_current_revision()


def _stored_revision(conn) -> str | None:
    """The store's revision read with one query (Alembic's own table), None when it has none."""
    from sqlalchemy import exc
    try:
        with conn.begin():
            rows = conn.exec_driver_sql("SELECT version_num FROM alembic_version").all()
    except exc.DBAPIError:     # no such table: a new store (or not a store: the full check says)
        return None
    return rows[0][0] if len(rows) == 1 else None


def migrate(eng, url, notice: Callable[[str], None]) -> None:
    from sqlalchemy import exc, inspect

    from .engine import hide, shown

    try:
        with eng.connect() as conn:   # a quick look that takes no write lock, and no Alembic
            if _stored_revision(conn.execution_options(readonly=True)) == HEAD:
                return
    except exc.DBAPIError as e:
        msg = hide(str(e.orig if e.orig is not None else e).strip().splitlines()[0], url)
        raise ScanError(f"--store {shown(url)}: could not prepare the store ({msg})")
    from alembic.script import ScriptDirectory
    script = ScriptDirectory.from_config(_config())
    head = script.get_current_head()
    known = {s.revision for s in script.walk_revisions()}
    try:
        with eng.begin() as conn:     # SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory lock
            if url.get_backend_name() == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK})")
            current = current_revision(conn)
            if current == head:
                return
            if current is not None and current not in known:
                raise InputError(f"--store {shown(url)}: the store was written by a newer specguard "
                                 f"(schema revision {current}): upgrade specguard")
            if current is None:
                others = [t for t in inspect(conn).get_table_names() if t != "alembic_version"]
                if others:
                    raise InputError(f"--store {shown(url)}: not a specguard store (it holds other tables: "
                                     f"{', '.join(sorted(others)[:5])})")
            upgrade(conn)
    except exc.DBAPIError as e:
        msg = hide(str(e.orig if e.orig is not None else e).strip().splitlines()[0], url)
        raise ScanError(f"--store {shown(url)}: could not prepare the store ({msg})")
    if current is not None:
        notice(f"the store {shown(url)} was upgraded from schema revision {current} to {head}")
