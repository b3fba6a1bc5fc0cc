"""The history store (issue 15): every run kept, what changed, the audit-period report.

The store reads and writes results documents; it never evaluates a rule.  Nothing here is
imported unless a store option or command is used (SQLAlchemy and Alembic are the ``store``
extra).  ``open_store(text)`` parses, connects and migrates, raising InputError (exit 2) or
ScanError (exit 3) before any scan starts.
"""
from __future__ import annotations

import os
from typing import Callable

from ..errors import InputError, ScanError

ENV = "SPECGUARD_STORE"


def store_url_text(option: str | None) -> str | None:
    """The store a command uses: --store, else $SPECGUARD_STORE, else none."""
    if option is not None:
        return option
    return os.environ.get(ENV) or None


def open_store(text: str, notice: Callable[[str], None] | None = None, create: bool = True):
    """Open (and on first use create or upgrade) the store named by a path or URL."""
    from importlib.util import find_spec
    try:
        import sqlalchemy  # noqa: F401
        for name in ("alembic", "zstandard"):     # imported when a store is upgraded, a run stored or read
            if find_spec(name) is None:
                raise ModuleNotFoundError(name)
    except ModuleNotFoundError:
        raise ScanError("the history store needs SQLAlchemy, Alembic, psycopg and zstandard, which are not "
                        "installed: in the specguard checkout, pip install '.[store]'")
    from . import engine as eng_mod
    from .migrate import migrate
    from .runs import Store

    url = eng_mod.parse_url(text)
    if (not create and url.get_backend_name() == "sqlite" and not os.path.exists(url.database)):
        raise InputError(f"--store {eng_mod.shown(url)}: no such store")
    eng = eng_mod.create(url)
    eng_mod.connect_check(eng, url)
    migrate(eng, url, notice or (lambda _m: None))
    return Store(eng, url)
