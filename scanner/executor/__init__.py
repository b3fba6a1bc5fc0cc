"""Where a live audit's work units run (``--executor``): ``local`` (this process, the default),
``dask://HOST:PORT`` (an existing Dask scheduler) or ``dask-local:N`` (a local cluster of N worker
processes).  A work unit is one AWS account (all its regions) or one Azure subscription.

An executor moves work units, never rule logic: each unit is collected, linked and evaluated by the
same code wherever it runs (``units.py``), and the coordinator applies waivers once and writes the one
results document (``pipeline.audit``).  Nothing here imports Dask: ``dask.py`` is loaded only when a
Dask executor is asked for.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_DASK = re.compile(r"^dask://(?P<host>\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+):(?P<port>\d{1,5})$")
_LOCAL = re.compile(r"^dask-local:(?P<n>\d{1,4})$")


@dataclass(frozen=True)
class Spec:
    kind: str                   # local | dask | dask-local
    address: str | None = None  # tcp://HOST:PORT of the scheduler (dask)
    workers: int = 0            # worker processes (dask-local)


def parse(text: str) -> Spec:
    """``--executor``'s value; a ValueError says what is wrong (a usage error, exit 2)."""
    t = (text or "").strip()
    if t == "local":
        return Spec("local")
    m = _DASK.match(t)
    if m:
        port = int(m.group("port"))
        if not 0 < port < 65536:
            raise ValueError(f"{text!r}: the port must be 1-65535")
        return Spec("dask", f"tcp://{m.group('host')}:{port}")
    m = _LOCAL.match(t)
    if m:
        n = int(m.group("n"))
        if n < 1:
            raise ValueError(f"{text!r}: a local cluster needs at least 1 worker")
        return Spec("dask-local", workers=n)
    raise ValueError(f"{text!r} is not an executor: local, dask://HOST:PORT or dask-local:N")


def check(text: str) -> str:
    """For the command line's option type: the text, once it parses."""
    parse(text)
    return text.strip()


def run_audit(opts, run, profile):
    """The findings of every unit of the audit, evaluated with ``profile`` (waivers not applied): a
    list (local), or a stream read once (Dask: unpacked unit by unit as the results document is made)."""
    spec = parse(opts.executor)
    if spec.kind == "local":
        from .local import audit
        return audit(opts, run, profile)
    from .dask import audit
    return audit(opts, run, profile, spec)
