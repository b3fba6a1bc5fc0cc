"""A work unit's result, and what is the same for every cloud: evaluating a unit where it was
collected, shrinking its findings to what the results document and the waivers read, and putting
the units' findings back in the order one local run gives them.

A unit returns findings, coverage and counts, never its model: each finding keeps a slim copy of its
resource (address, type, name, context and the identities a waiver may name; no fields, no raw API
record), so the coordinator's memory grows with the findings, not with the organisation's inventory.
"""
from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass, field
from typing import Any

from ..engine import Finding, evaluate
from ..link import link
from ..model import Resource
from ..profile import Profile, load_profile


@dataclass
class UnitResult:
    cloud: str
    unit: str                                   # the account id or subscription id
    findings: list[Finding]
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


def evaluate_unit(resources: list[Resource], profile: Profile) -> tuple[list[Finding], dict]:
    link(resources)
    findings = evaluate(resources, profile)
    slim: dict[int, Resource] = {}
    for f in findings:
        r = f.resource
        s = slim.get(id(r))
        if s is None:
            s = slim[id(r)] = shrink(r)
        f.resource = s
    return findings, user_rule_state(profile)


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


def in_run_order(findings: list[Finding], profile: Profile, sort_key) -> list[Finding]:
    """Control by control (the profile's order), resources in ``sort_key`` order: as ``evaluate``
    orders the findings of one model (stable, so a unit's own order is kept between equals)."""
    rank = {cs.control.id: i for i, cs in enumerate(profile.enabled)}
    return sorted(findings, key=lambda f: (rank.get(f.control_id, len(rank)), sort_key(f.resource)))


def stamp(res: UnitResult, started: float) -> UnitResult:
    res.seconds = time.monotonic() - started
    res.where = f"{socket.gethostname()}:{os.getpid()}"
    return res


def worker_facts(expect: dict) -> dict:
    """Run on every worker before the units: the specguard it runs, and the digests of the profile
    and rules it reads from the run's paths (``expect``: the options), so a worker that would judge
    with other rules is refused before it judges anything."""
    from .. import __version__
    facts: dict[str, Any] = {"version": __version__, "where": f"{socket.gethostname()}:{os.getpid()}"}
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
    """A Dask task: one unit of ``cloud`` (``scanner.executor.aws|azure.unit``)."""
    import importlib

    from .. import __version__
    from ..errors import SpecguardError
    from ..redact import redact
    if version != __version__:   # a worker that joined after the check
        raise UnitFailed(f"this worker runs specguard {__version__}, the coordinator {version}")
    mod = importlib.import_module(f"scanner.executor.{cloud}")
    try:
        return mod.unit(opts, item)
    except SpecguardError as e:
        raise UnitFailed(redact(e.message)[:300]) from None
    except Exception as e:   # noqa: BLE001 - any failure is the unit's, said in one line
        text = (str(redact(e)).strip().splitlines() or [""])[0][:300]
        raise UnitFailed(f"{e.__class__.__name__}: {text}" if text else e.__class__.__name__) from None
