"""The JSON results document (INTERFACE.md), built once and shared by every renderer.

Renderers take this document (a plain dict), never the engine's objects, so
``specguard report RESULTS.json`` renders saved results exactly like a scan.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable

from . import __version__
from .engine import Finding
from .profile import Profile

SCHEMA_VERSION = "1"
COUNT_KEYS = ("pass", "fail", "unknown", "waived")
LIVE_SOURCES = ("aws", "azure")


@dataclass
class Run:
    """What a scan or audit observed besides its findings."""

    started_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))
    sources: list[dict[str, Any]] = field(default_factory=list)
    coverage: list[dict[str, Any]] = field(default_factory=list)   # API failures, modules not followed, ...
    scope: dict[str, list[str]] = field(default_factory=dict)      # accounts, regions, subscriptions
    command: str = ""

    def add_coverage(self, kind: str, message: str, **details: Any) -> None:
        entry = {"kind": kind, "message": message}
        entry.update({k: v for k, v in details.items() if v is not None})
        self.coverage.append(entry)

    def add_scope(self, key: str, value: str) -> None:
        vals = self.scope.setdefault(key, [])
        if value not in vals:
            vals.append(value)


def utc(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def sha256_file(path: str) -> str:
    import hashlib   # OpenSSL's, faster on a large plan; a .tf scan does not need it (scanner/digest.py)
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def dumps(obj: Any, **kw: Any) -> str:
    """Strict JSON (RFC 8259): NaN and Infinity are refused, never written (strict parsers, and
    the HTML report's tables in Chromium, reject them). Every writer of a results document or
    a format derived from it serialises through here or with ``allow_nan=False``."""
    return json.dumps(obj, allow_nan=False, **kw)


def finite(v: Any) -> Any:
    """``v`` with every non-finite float replaced by its name as a string ("Infinity", "NaN").

    The adapters refuse non-finite numbers (a plan's are input errors, a .tf value's are
    unknown), but evidence, profile parameters and coverage details also come from YAML
    (``.inf``) and live APIs: what a report shows of them is text, never a bare NaN."""
    cls = v.__class__
    if cls in _PLAIN:
        return v
    if isinstance(v, float):
        _NOT_PLAIN[0] = True
        return v if math.isfinite(v) else ("NaN" if v != v else ("Infinity" if v > 0 else "-Infinity"))
    if isinstance(v, dict):
        for x in v.values():   # a loop, not all(genexpr): tens of thousands of findings' evidence
            if x.__class__ not in _PLAIN:
                if cls is not dict or any(k.__class__ is not str for k in v):
                    _NOT_PLAIN[0] = True
                return {k: finite(x) for k, x in v.items()}
        return v
    if isinstance(v, (list, tuple)):
        if cls is not list and cls is not tuple:
            _NOT_PLAIN[0] = True
        for x in v:
            if x.__class__ not in _PLAIN:
                return [finite(x) for x in v]
        return v
    _NOT_PLAIN[0] = True   # a type JSON has no form for: the stdlib encoder decides (scanner/canonical.py)
    return v


# set by finite() when it passes a float, a value of another type than JSON's, or a dict subclass or
# a non-str key on its slower path: build_document then leaves the document to the stdlib encoder
_NOT_PLAIN = [False]


_PLAIN = frozenset((str, int, bool, type(None)))


def finding_dict(f: Finding, today: dt.date, refs: dict[int, dict] | None = None) -> dict[str, Any]:
    """``refs``: id(resource) -> its ref_dict(), made once for a resource's several findings (copied)."""
    if refs is None:
        res = f.resource.ref_dict()
    else:
        res = refs.get(id(f.resource))
        if res is None:
            res = refs[id(f.resource)] = f.resource.ref_dict()
        res = dict(res)
    if f.file:
        res["file"] = f.file
    if f.line:
        res["line"] = f.line
    evidence = f.evidence
    if f.resource.source in LIVE_SOURCES and f.resource.context:
        # A live finding's evidence says where it was observed (account/region, subscription/...).
        evidence = {k: v for k, v in f.resource.context.items() if v is not None and isinstance(v, (str, int))}
        evidence.update(f.evidence)
    d = {"control_id": f.control_id, "status": f.status, "severity": f.severity, "resource": res,
         "message": f.message, "evidence": finite(evidence), "fingerprint": f.fingerprint}
    if f.waiver is not None:
        # what the waiver matched is said once, in the run's `waivers`: in every finding it covers, a
        # broad waiver's list would make the document grow with the square of the findings it waives
        d["waiver"] = f.waiver.as_dict(today, matched=False)
    return d


def control_status(counts: dict[str, int]) -> str:
    if counts["fail"]:
        return "fail"
    if counts["unknown"]:
        return "unknown"
    if counts["pass"] or counts["waived"]:
        return "pass" if not counts["waived"] else "waived"
    return "not_applicable"


def build_document(findings: Iterable[Finding], profile: Profile, run: Run, waivers: list | None = None,
                   finished_at: dt.datetime | None = None, extra: dict[str, Any] | None = None,
                   hold: bool = False) -> dict[str, Any]:
    """``findings`` are read once (a list, or a stream); ``hold``: the document's findings are a
    ``held.HeldFindings`` (compressed as they are made: a live audit's many findings), else a list."""
    finished = finished_at or dt.datetime.now(dt.timezone.utc)
    today = finished.date()
    summary = {k: 0 for k in COUNT_KEYS}
    per_control: dict[str, dict[str, int]] = {cs.control.id: {k: 0 for k in COUNT_KEYS} for cs in profile.enabled}
    if hold:
        from .held import HeldFindings
        dicts: Any = HeldFindings()
    else:
        dicts = []
    _NOT_PLAIN[0] = False
    # a list holds its findings' resources alive, so their ids name them (a stream's may be freed and reused)
    refs: dict[int, dict] | None = {} if isinstance(findings, list) else None
    for f in findings:
        summary[f.status] += 1
        per_control.setdefault(f.control_id, {k: 0 for k in COUNT_KEYS})[f.status] += 1
        dicts.append(finding_dict(f, today, refs))
    del refs
    controls = []
    for cs in profile.enabled:
        c = cs.control
        counts = per_control[c.id]
        controls.append({"id": c.id, "title": c.title, "family": c.family, "severity": cs.severity,
                         "soc2": c.soc2, "requirement": c.requirement, "params": finite(cs.params),
                         "status": control_status(counts), "counts": counts,
                         **({"origin": c.origin} if getattr(c, "origin", None) else {})})
    overrides, disabled = profile_changes(profile)
    doc = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "specguard", "version": __version__},
        "run": {"id": str(uuid.uuid4()), "started_at": utc(run.started_at), "finished_at": utc(finished),
                "profile": profile.name, "profile_sha256": profile.sha256,
                "organisation": profile.organisation, "system": profile.system, "command": run.command,
                "profile_overrides": finite(overrides),
                **({"profile_file": profile.path, "profile_file_sha256": profile.file_sha256}
                   if profile.file_sha256 else {})},
        "sources": run.sources,
        "scope": run.scope,
        "summary": dict(summary, total=len(dicts)),
        "controls": controls,
        "disabled_controls": disabled,
        "findings": dicts,
        "coverage": finite(run.coverage),
        "waivers": [w.as_dict(today) for w in (waivers or [])],
    }
    if profile.rules:   # users' rules files (sha256) and packages (version) that judged this run
        doc["rules"] = profile.rules
    if extra:
        doc.update(extra)
    if not hold and not profile.rules and not _NOT_PLAIN[0] and len(dicts) >= FAST_ENCODE_FROM:
        # the built-in controls' findings, with evidence of JSON's own types and no float (finite()
        # passed every value): its canonical JSON may come from the faster encoder (scanner/canonical.py)
        from .canonical import mark_plain
        mark_plain(doc)
    return doc


# from this many findings on a document's canonical JSON may come from msgspec (see mark_plain):
# below, importing it costs more than its faster encoding saves
FAST_ENCODE_FROM = 5000


def profile_changes(profile: Profile) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """What the active profile changed from the spec defaults, for reports to show.

    A weakened parameter or a switched-off control must be visible to whoever reads the
    report, not only as a different profile hash.
    """
    overrides: list[dict[str, Any]] = []
    disabled: list[dict[str, str]] = []
    for cid, cs in profile.controls.items():
        c = cs.control
        if not cs.enabled:
            disabled.append({"id": cid, "title": c.title})
            continue
        if cs.severity != c.severity:
            overrides.append({"control_id": cid, "setting": "severity", "spec": c.severity, "profile": cs.severity})
        for k, default in c.params.items():
            if cs.params.get(k) != default:
                overrides.append({"control_id": cid, "setting": f"params.{k}", "spec": default,
                                  "profile": cs.params.get(k)})
    return overrides, disabled


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    from importlib import resources as ires
    return json.loads(ires.files("scanner").joinpath("data/results.schema.json").read_text("utf-8"))


def validate(doc: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError when the document breaks the shipped schema."""
    import jsonschema
    jsonschema.validate(doc, schema())
