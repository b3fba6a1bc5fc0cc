"""``--executor dask://HOST:PORT`` (an existing Dask scheduler) and ``dask-local:N`` (a local cluster
of N worker processes): one Dask task per work unit (``units.run_unit``).

* Before anything is submitted every worker says which specguard it runs and the digests of the
  profile and rules it reads from the run's paths; a difference ends the run (exit 3), one line.
* A worker that dies mid-unit: the scheduler runs the unit again on another worker (Dask's own
  rescheduling, up to ``distributed.scheduler.allowed-failures``); a unit that raised is tried
  ``RETRIES`` more times.  A unit that still fails is kept, not dropped: ``cloud.failed`` gives its
  placeholders (every control unknown, with the reason) and a ``unit-failed`` coverage entry.
* Results are gathered as they complete (``as_completed``) and released at once, so the coordinator
  holds findings, never a unit's model.
"""
from __future__ import annotations

import importlib
import logging
import sys
import time
import uuid
from contextlib import contextmanager

from .. import __version__
from ..errors import ScanError
from ..redact import redact
from .units import UnitFailed, code_digest, code_identity, merge_user_rules, run_unit, worker_facts

CONNECT_TIMEOUT = 5    # seconds to reach the scheduler: an unreachable one ends the run in seconds
WORKERS_TIMEOUT = 30   # seconds to wait for the scheduler's first worker
RETRIES = 2            # more tries of a unit that raised (a dead worker's units are rescheduled by Dask)
# units a local worker audits at once: a unit spends most of its time waiting for the API (one account's
# calls are chains: a listing, then its resources), so one process keeps several in flight
UNITS_PER_WORKER = 4
PIP = "pip install 'specguard[dask]' (in the specguard checkout: pip install '.[dask]')"


def _distributed():
    try:
        import distributed
    except ImportError:
        raise ScanError(f"--executor dask needs Dask (distributed), which is not installed: {PIP}") from None
    return distributed


def audit(opts, run, profile, spec):
    """The findings of every unit, in one local run's order: a stream, unpacked as it is read."""
    distributed = _distributed()
    cloud = importlib.import_module(f"scanner.executor.{opts.cloud}")
    with _quiet_logs(), _client(distributed, spec) as client:
        check_workers(client, opts, profile, spec)
        plan = cloud.plan(opts, run)
        started = time.monotonic()
        outcomes = _run(distributed, client, opts, plan)
        wall = time.monotonic() - started
    results = {u: r if not isinstance(r, str) else cloud.failed(opts, plan, u, r) for u, r in outcomes.items()}
    merge_user_rules(profile, [results[u] for u in plan.units])
    in_order = cloud.merge(opts, run, plan, results)
    # for the benchmark: how long each unit took where, and the units' phase on the wall clock
    run.executor_stats = {"wall": wall, "units": [(u, results[u].seconds, results[u].where) for u in plan.units]}
    return cloud.ordered(in_order, profile)


@contextmanager
def _quiet_logs():
    """Dask logs a lost worker or a retried task as warnings; the run's own output says what matters."""
    log = logging.getLogger("distributed")
    level = log.level
    log.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        log.setLevel(level)


@contextmanager
def _client(distributed, spec):
    if spec.kind == "dask-local":
        cluster = distributed.LocalCluster(n_workers=spec.workers, threads_per_worker=UNITS_PER_WORKER, processes=True,
                                           # its HTTP endpoints on a free port (8787 may be someone else's)
                                           dashboard_address="127.0.0.1:0", silence_logs=logging.CRITICAL)
        try:
            with distributed.Client(cluster, set_as_default=False) as client:
                yield client
        finally:
            cluster.close()
        return
    try:
        client = distributed.Client(spec.address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError) as e:
        why = (str(e).strip().splitlines() or [e.__class__.__name__])[0]
        raise ScanError(f"could not reach the Dask scheduler at {spec.address} ({why}): is it running, and is "
                        "the address right?") from None
    try:
        yield client
    finally:
        client.close()


def check_workers(client, opts, profile, spec) -> None:
    """Every worker runs this specguard and reads the same profile and rules, or the run ends here."""
    where = spec.address or "the local cluster"
    try:
        client.wait_for_workers(1, timeout=WORKERS_TIMEOUT)
    except Exception:   # noqa: BLE001 - distributed raises TimeoutError (asyncio's or the builtin)
        raise ScanError(f"the Dask scheduler at {where} has no worker (waited {WORKERS_TIMEOUT} s)") from None
    try:
        facts = client.run(worker_facts, {"profile": opts.profile, "rules": list(opts.rules)})
    except Exception as e:   # noqa: BLE001 - e.g. no scanner package on a worker
        text = (redact(e).strip().splitlines() or [""])[0][:200]
        raise ScanError(f"a Dask worker at {where} cannot run specguard ({e.__class__.__name__}: {text}): "
                        f"install specguard {__version__} on the workers") from None
    rules = sorted(r.get("sha256", r.get("version", "")) for r in profile.rules or [])
    for addr, f in sorted(facts.items()):
        if f.get("version") != __version__:
            raise ScanError(f"the Dask worker {addr} runs specguard {f.get('version')}, this coordinator runs "
                            f"specguard {__version__}: install the same version on both")
    code = code_digest()
    for addr, f in sorted(facts.items()):
        if f.get("code") != code:
            raise ScanError(f"the Dask worker {addr} runs specguard {__version__} with other code than this "
                            f"coordinator (code {str(f.get('code'))[:12]}, here {code[:12]}: a checkout changed "
                            "since the workers started?): restart the workers on the same specguard")
    for addr, f in sorted(facts.items()):
        if f.get("profile_error"):
            raise ScanError(f"the Dask worker {addr} cannot read the run's profile or rules ({f['profile_error']}): "
                            "give the workers the same files at the same paths")
        if f.get("profile_sha256") != profile.sha256 or f.get("rules") != rules:
            raise ScanError(f"the Dask worker {addr} reads another profile or other rules at the run's paths: "
                            "give the workers the same files")


def _run(distributed, client, opts, plan) -> dict:
    """Submit one task per unit; each unit's result, or why it failed for good (a string)."""
    token = uuid.uuid4().hex[:8]
    futures = {}
    identity = code_identity()
    for u in plan.units:
        item = plan.items[u] if hasattr(plan, "items") else u
        fut = client.submit(run_unit, opts.cloud, opts, item, identity, key=f"specguard-{opts.cloud}-{u}-{token}",
                            retries=RETRIES, pure=False)
        futures[fut] = u
    out: dict = {}
    progress = _Progress(opts.quiet, len(futures), "accounts" if opts.cloud == "aws" else "subscriptions")
    try:
        for fut in distributed.as_completed(list(futures), loop=client.loop):
            u = futures.pop(fut)
            try:
                out[u] = fut.result()
                progress.advance(ok=True)
            except Exception as e:   # noqa: BLE001 - the unit failed for good: kept as such
                out[u] = reason(e)
                progress.advance(ok=False)
            fut.release()
    except BaseException:
        client.cancel(list(futures))
        raise
    finally:
        progress.close()
    return out


def reason(e: BaseException) -> str:
    """Why a unit failed for good, in a few words a person reads."""
    name = e.__class__.__name__
    if name == "KilledWorker":
        return "the worker processes that ran it died each time (Dask gave up: KilledWorker)"
    if name == "CancelledError":
        return "its task was cancelled by the Dask scheduler"
    if isinstance(e, UnitFailed):
        return str(e)
    text = (redact(e).strip().splitlines() or [""])[0][:300]
    return f"{name}: {text}" if text else name


class _Progress:
    """Units done / failed / left, on a terminal (stderr) only."""

    def __init__(self, quiet: bool, total: int, what: str):
        self.bar = None
        self.ok = self.bad = 0
        self.total = total
        if quiet or not sys.stderr.isatty() or not total:
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
        self.bar = Progress(TextColumn(f"{what} (Dask)"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("{task.fields[state]}"), TimeElapsedColumn(), transient=True,
                            console=Console(stderr=True))
        self.task = self.bar.add_task("units", total=total, state=self._state())
        self.bar.start()

    def _state(self) -> str:
        return f"done {self.ok} · failed {self.bad} · running or queued {self.total - self.ok - self.bad}"

    def advance(self, ok: bool) -> None:
        if ok:
            self.ok += 1
        else:
            self.bad += 1
        if self.bar is not None:
            self.bar.update(self.task, advance=1, state=self._state())

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
