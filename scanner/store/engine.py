"""Opening a history store: the URL, the SQLAlchemy engine, the schema revision.

A plain path or ``sqlite:///path`` is an embedded SQLite file; ``postgresql://...`` a
PostgreSQL server reached with psycopg 3.  The store is opened and checked before a scan
starts, so a bad URL (exit 2) or an unreachable server (exit 3) is known in seconds.
A password in the URL is never shown: every message names the store with
``URL.render_as_string(hide_password=True)``.
"""
from __future__ import annotations

import os
import re

from ..errors import InputError, ScanError

CONNECT_TIMEOUT = 5        # seconds to reach a PostgreSQL server before exit 3
BUSY_TIMEOUT = 60          # seconds an SQLite writer waits for another writer's transaction
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def parse_url(text: str):
    """The SQLAlchemy URL of a store given as a path or URL; InputError when it is neither."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    if not text or not text.strip():
        raise InputError("--store is empty (a path, sqlite:///path or postgresql://user@host:port/db)")
    if not _SCHEME.match(text):
        return make_url("sqlite://").set(database=os.path.abspath(text))
    try:
        url = make_url(text)
    except (ArgumentError, ValueError) as e:
        raise InputError(f"--store: not a store URL ({_first_line(e)})")
    backend = url.get_backend_name()
    if backend == "sqlite":
        if url.drivername not in ("sqlite", "sqlite+pysqlite"):
            raise InputError(f"--store {shown(url)}: SQLite stores use sqlite:///path")
        if not url.database or url.database == ":memory:":
            raise InputError(f"--store {shown(url)}: an SQLite store needs a file (sqlite:///path)")
        return url.set(drivername="sqlite", database=os.path.abspath(url.database))
    if backend in ("postgresql", "postgres"):
        if url.drivername not in ("postgresql", "postgres", "postgresql+psycopg"):
            raise InputError(f"--store {shown(url)}: PostgreSQL stores use postgresql://user@host:port/db (psycopg 3)")
        if not url.database:
            raise InputError(f"--store {shown(url)}: name the database (postgresql://user@host:port/db)")
        try:
            url.port   # noqa: B018 - make_url parses the port lazily in some versions
        except ValueError as e:
            raise InputError(f"--store: {_first_line(e)}")
        return url.set(drivername="postgresql+psycopg")
    raise InputError(f"--store {shown(url)}: unsupported store kind {url.drivername!r} "
                     "(a path, sqlite:///path or postgresql://user@host:port/db)")


def shown(url) -> str:
    """The URL as it may be printed: never its password (and the scheme as users write it)."""
    if url.drivername == "postgresql+psycopg":
        url = url.set(drivername="postgresql")
    return url.render_as_string(hide_password=True)


def _first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [e.__class__.__name__])[0]


def hide(text: str, url) -> str:
    """``text`` with the URL's password taken out, wherever a driver quoted it."""
    pw = url.password
    if pw:
        text = text.replace(str(pw), "***")
    return text


def create(url):
    """An engine for the store: SQLite in WAL mode with a busy timeout, transactions that take
    the write lock when they begin (BEGIN IMMEDIATE) so two writers queue instead of failing;
    PostgreSQL with a connect timeout."""
    from sqlalchemy import create_engine, event

    if url.get_backend_name() == "sqlite":
        eng = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT, "isolation_level": None})

        @event.listens_for(eng, "connect")
        def _pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT * 1000}")
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = NORMAL")
            cur.execute("PRAGMA foreign_keys = ON")
            cur.close()

        @event.listens_for(eng, "begin")
        def _begin(conn):
            # pysqlite's own transaction handling is off (isolation_level=None): we say BEGIN.
            # A reader needs no lock in WAL mode; a writer takes it up front.
            readonly = conn.get_execution_options().get("readonly")
            conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")
        return eng
    return create_engine(url, connect_args={"connect_timeout": CONNECT_TIMEOUT}, pool_pre_ping=True)


def connect_check(eng, url) -> None:
    """Reach the store now: an SQLite file that is not a database is bad input (exit 2), a
    server that cannot be reached is exit 3."""
    from sqlalchemy import exc

    if url.get_backend_name() == "sqlite":
        folder = os.path.dirname(url.database)
        if not os.path.isdir(folder):
            raise InputError(f"--store {shown(url)}: the folder {folder} does not exist")
        if os.path.isdir(url.database):
            raise InputError(f"--store {shown(url)}: a folder, not a store file")
    try:
        with eng.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
            if url.get_backend_name() == "sqlite":
                conn.exec_driver_sql("SELECT count(*) FROM sqlite_master")
    except exc.DBAPIError as e:
        msg = hide(_first_line(e.orig if e.orig is not None else e), url)
        if url.get_backend_name() == "sqlite":
            if "not a database" in msg or "malformed" in msg:
                raise InputError(f"--store {shown(url)}: not a specguard store ({msg})")
            raise InputError(f"--store {shown(url)}: cannot open the store ({msg})")
        if "authentication" in msg or "does not exist" in msg or "password" in msg:
            raise InputError(f"--store {shown(url)}: {msg}")
        raise ScanError(f"--store {shown(url)}: cannot reach the store ({msg})")
