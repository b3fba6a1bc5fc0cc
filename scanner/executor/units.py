"""A work unit's result, and what is the same for every cloud: evaluating a unit where it was
collected, shrinking its findings to what the results document and the waivers read, and putting
the units' findings back in the order one local run gives them.

A unit returns findings, coverage and counts, never its model: each finding keeps a slim copy of its
resource (address, type, name, context and the identities a waiver may name; no fields, no raw API
record), so the coordinator's memory grows with the findings, not with the organisation's inventory.
The findings travel and wait at the coordinator packed (``Packed``: one control's findings of one
unit, pickled and compressed, ~60 bytes a finding), and are unpacked one unit and control at a time
while the results document is written (``in_run_order``, a lazy merge).
"""
from __future__ import annotations

import heapq
import itertools
import os
import pickle
import socket
import time
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from ..engine import Finding, evaluate
from ..link import link
from ..model import Resource
from ..profile import Profile, load_profile


@dataclass(frozen=True)
class Packed:
    """One unit's findings of one control, in the unit's run order (``sort_key``, then evaluation
    order), pickled and compressed; ``first`` is the sort key of the first (the least)."""
    first: tuple
    count: int
    blob: bytes

    def findings(self) -> list[Finding]:
        return pickle.loads(zlib.decompress(self.blob))


def pack(findings: list[Finding], sort_key: Callable) -> dict[str, Packed]:
    by_control: dict[str, list[Finding]] = {}
    for f in findings:
        by_control.setdefault(f.control_id, []).append(f)
    out = {}
    for cid, found in by_control.items():
        found.sort(key=lambda f: sort_key(f.resource))   # stable: evaluation order between equals
        out[cid] = Packed(sort_key(found[0].resource), len(found),
                          zlib.compress(pickle.dumps(found, protocol=pickle.HIGHEST_PROTOCOL), 1))
    return out


@dataclass
class UnitResult:
    cloud: str
    unit: str                                   # the account id or subscription id
    findings: dict[str, Packed]                 # control id -> its findings in this unit (pack)
    coverage: list[dict] = field(default_factory=list)   # entries the unit's run recorded
    detail: dict[str, Any] = field(default_factory=dict)  # the cloud's own (regions, failed calls, ...)
    user_rules: dict[str, tuple[dict, list]] = field(default_factory=dict)  # control id -> (no_path, errors)
    resources: int = 0
    seconds: float = 0.0
    where: str = ""                             # host:pid of the process that ran it


def profile_for(opts) -> Profile:
    """The run's profile and rules, read from the same paths the coordinator read (checked by digest
    before any unit is submitted: ``worker_facts``).  Read for each unit: users' controls keep what
    they could not look at on the control objects, which must not mix two units."""
    return load_profile(opts.profile, list(opts.rules or ()))


def evaluate_unit(resources: list[Resource], profile: Profile, sort_key: Callable) -> tuple[dict[str, Packed], dict]:
    link(resources)
    findings = evaluate(resources, profile)
    slim: dict[int, Resource] = {}
    for f in findings:
        r = f.resource
        s = slim.get(id(r))
        if s is None:
            s = slim[id(r)] = shrink(r)
        f.resource = s
    return pack(findings, sort_key), user_rule_state(profile)


def shrink(r: Resource) -> Resource:
    """What a finding needs of its resource: the document's resource entry and evidence context,
    and the identities a waiver may name (waivers.identities)."""
    keys = {k for k in r.keys if k == r.address or k.startswith("arn:") or k.lower().startswith("/subscriptions/")}
    return Resource(r.kind, r.type, r.address, r.provider, r.source, r.name, {}, keys, r.file, r.line,
                    dict(r.context), r.opaque, r.existence)


def user_rule_state(profile: Profile) -> dict[str, tuple[dict, list]]:
    out = {}
    for cs in profile.enabled:
        c = cs.control
        no_path, errors = getattr(c, "no_path", None), getattr(c, "errors", None)
        if no_path or errors:
            out[c.id] = (dict(no_path or {}), list(errors or []))
    return out


def merge_user_rules(profile: Profile, results: list[UnitResult]) -> None:
    """Users' controls' coverage, as one run over every unit would have left it (first seen wins)."""
    controls = {cs.control.id: cs.control for cs in profile.enabled}
    for res in results:
        for cid, (no_path, errors) in res.user_rules.items():
            c = controls.get(cid)
            if c is None:
                continue
            if no_path and hasattr(c, "no_path"):
                for k, v in no_path.items():
                    c.no_path.setdefault(k, v)
            if errors and hasattr(c, "errors"):
                c.errors.extend(errors)


class in_run_order:   # noqa: N801 - called like a function; its result can be read more than once
    """Every unit's findings (``results`` in the merge's order), control by control (the profile's
    order), resources in ``sort_key`` order: as ``evaluate`` orders the findings of one model, and as a
    stable sort of the units' findings one after another would (between equal keys: the earlier unit,
    then the unit's own order).  Lazy: a unit's findings of a control are unpacked only when one of
    them may come next (the least key of each is known without unpacking), so the coordinator holds
    the packed findings and a unit or two of one control unpacked, never every finding at once.  Each
    reading unpacks them again (the waivers read the findings twice: held.waived)."""

    def __init__(self, results: list[UnitResult], profile: Profile, sort_key: Callable):
        self.results, self.sort_key = results, sort_key
        controls = [cs.control.id for cs in profile.enabled]
        known = set(controls)
        self.controls = controls + list(dict.fromkeys(c for res in results for c in res.findings if c not in known))

    def __iter__(self) -> Iterator[Finding]:
        for cid in self.controls:
            parts = [(p.first, i, p) for i, res in enumerate(self.results) if (p := res.findings.get(cid))]
            yield from _merge(parts, self.sort_key)

    def __len__(self) -> int:
        return sum(p.count for res in self.results for p in res.findings.values())


def _merge(parts: list[tuple[tuple, int, Packed]], sort_key: Callable) -> Iterator[Finding]:
    pending = sorted(parts, key=lambda t: (t[0], t[1]))
    heap: list = []
    tie = itertools.count()   # a unit's own order between equal keys (and never a Finding compared)
    j = 0
    while True:
        # unpack every part whose least finding may come before (or, from an earlier unit, with) the next
        while j < len(pending) and (not heap or (pending[j][0], pending[j][1]) <= heap[0][:2]):
            _, i, packed = pending[j]
            j += 1
            it = iter(packed.findings())
            f = next(it)
            heapq.heappush(heap, (sort_key(f.resource), i, next(tie), f, it))
        if not heap:
            return
        _, i, _, f, it = heap[0]
        yield f
        nxt = next(it, None)
        if nxt is None:
            heapq.heappop(heap)
        else:
            heapq.heapreplace(heap, (sort_key(nxt.resource), i, next(tie), nxt, it))


def stamp(res: UnitResult, started: float) -> UnitResult:
    res.seconds = time.monotonic() - started
    res.where = f"{socket.gethostname()}:{os.getpid()}"
    return res


_CODE: list[str] = []   # code_digest(), once per process


def code_digest() -> str:
    """The SHA-256 of the specguard code this process runs: every module and data file of the
    ``scanner`` package and its rules, by path and content.  Two processes of the same version can
    run different code (a checkout changed under a running cluster, a worker installed from another
    branch); their findings would differ, or their units' results not unpickle, so a worker is
    compared by this too.  Read once per process (a worker is long-lived), about 10 ms."""
    if not _CODE:
        import hashlib

        import scanner
        import scanner.rules
        h = hashlib.sha256()
        for pkg in (scanner, scanner.rules):
            for base in pkg.__path__:
                for dirpath, dirnames, filenames in os.walk(base):
                    dirnames[:] = sorted(d for d in dirnames if d != "__pycache__" and not d.startswith("."))
                    if pkg is scanner and os.path.samefile(dirpath, base):
                        dirnames[:] = [d for d in dirnames if d != "rules"]   # its own package, below
                    for name in sorted(filenames):
                        if name.endswith((".py", ".json", ".yaml")):
                            path = os.path.join(dirpath, name)
                            with open(path, "rb") as fh:
                                body = fh.read()
                            rel = os.path.relpath(path, base).replace(os.sep, "/")
                            h.update(f"{pkg.__name__}/{rel}\0{len(body)}\0".encode())
                            h.update(body)
        _CODE.append(h.hexdigest())
    return _CODE[0]


def code_identity() -> str:
    """What a unit's task is checked against on its worker: the version and the code."""
    from .. import __version__
    return f"{__version__} (code {code_digest()[:12]})"


def worker_facts(expect: dict) -> dict:
    """Run on every worker before the units: the specguard it runs, and the digests of the profile
    and rules it reads from the run's paths (``expect``: the options), so a worker that would judge
    with other rules is refused before it judges anything."""
    from .. import __version__
    facts: dict[str, Any] = {"version": __version__, "where": f"{socket.gethostname()}:{os.getpid()}",
                             "code": code_digest()}
    try:
        prof = load_profile(expect.get("profile"), list(expect.get("rules") or ()))
        facts["profile_sha256"] = prof.sha256
        facts["rules"] = sorted(r.get("sha256", r.get("version", "")) for r in prof.rules or [])
    except Exception as e:   # reported by the coordinator in one line
        facts["profile_error"] = f"{e.__class__.__name__}: {getattr(e, 'message', e)}"
    return facts


class UnitFailed(Exception):
    """What a unit's task raises: one line, already redacted on the worker (whose secrets the
    coordinator does not know)."""


def run_unit(cloud: str, opts, item, version: str) -> UnitResult:
    """A Dask task: one unit of ``cloud`` (``scanner.executor.aws|azure.unit``); ``version``: the
    coordinator's ``code_identity()``."""
    import importlib

    from ..errors import SpecguardError
    from ..redact import redact
    mine = code_identity()
    if version != mine:   # a worker that joined after the check
        raise UnitFailed(f"this worker runs specguard {mine}, the coordinator {version}")
    mod = importlib.import_module(f"scanner.executor.{cloud}")
    try:
        return mod.unit(opts, item)
    except SpecguardError as e:
        raise UnitFailed(redact(e.message)[:300]) from None
    except Exception as e:   # noqa: BLE001 - any failure is the unit's, said in one line
        text = (str(redact(e)).strip().splitlines() or [""])[0][:300]
        raise UnitFailed(f"{e.__class__.__name__}: {text}" if text else e.__class__.__name__) from None
