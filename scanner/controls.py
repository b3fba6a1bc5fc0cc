"""Controls: how a rule declares itself, and the helper that builds its verdict.

A rule module in ``scanner.rules`` (the ``rules/`` folder of the checkout)
declares each control once with ``@control(...)``.  The rule function gets the
normalized resource and a ``Context`` (parameters, lookups of other resources)
and returns a ``Verdict``.  Rules never see where a resource came from.
"""
from __future__ import annotations

import importlib
import os
import pkgutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from .errors import InputError
from .model import Resource
from .values import Origin, Tri, Unknown, Value, plain

STATUSES = ("pass", "fail", "unknown", "waived")
SEVERITIES = ("info", "low", "medium", "medium-high", "high", "critical")


@dataclass
class Verdict:
    """What a control says of one resource: its status, why, and the evidence."""

    status: str
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    file: str | None = None
    line: int | None = None


@dataclass
class Control:
    """A control of the catalogue: what it checks, on which kinds, with which parameters."""

    id: str
    title: str
    family: str
    severity: str
    soc2: list[str]
    kinds: tuple[str, ...]
    fields: tuple[str, ...]
    params: dict[str, Any]
    requirement: str
    func: Callable[[Resource, "Context"], Verdict]
    validate: Callable[[dict, dict], str | None] | None = None   # cross-parameter checks of a profile

    def applies(self, r: Resource) -> bool:
        if self.kinds and r.kind not in self.kinds:
            return False
        if not self.fields:
            return True
        for f in self.fields:   # a loop, not any(genexpr): asked once per control and resource
            if r.has(f):
                return True
        return False


REGISTRY: dict[str, Control] = {}


def control(id: str, *, title: str, family: str, severity: str, soc2: list[str],
            kinds: tuple[str, ...] | list[str] = (), fields: tuple[str, ...] | list[str] = (),
            params: dict[str, Any] | None = None, requirement: str = "",
            validate: Callable[[dict, dict], str | None] | None = None):
    """Register a rule function as the check of control ``id``."""

    def deco(func):
        if id in REGISTRY:
            raise RuntimeError(f"control {id} declared twice")
        REGISTRY[id] = Control(id, title, family, severity, list(soc2), tuple(kinds), tuple(fields),
                               dict(params or {}), requirement or title, func, validate)
        return func

    return deco


def load_rules() -> dict[str, Control]:
    """Import every module of scanner.rules (a no-op for those already imported)."""
    import scanner.rules as pkg
    for mod in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if not mod.name.startswith("_"):
            importlib.import_module(f"scanner.rules.{mod.name}")
    return dict(sorted(REGISTRY.items(), key=lambda kv: _sort_key(kv[0])))


def _sort_key(cid: str):
    fam, _, num = cid.partition("-")
    order = ["ENC", "TLS", "HA", "NET", "TAG", "BAK", "WAF", "LOG", "MSG", "SEC", "DR", "IAM"]
    return (order.index(fam) if fam in order else 99, fam, num)


EVALUATION_TIME = "SPECGUARD_EVALUATION_TIME"


def evaluation_time() -> datetime:
    """Now, or the RFC 3339 time ``SPECGUARD_EVALUATION_TIME`` names: a verdict measured from the
    date (an expiry at most 90 days ahead) is reproduced as of that time, and the test suite pins it
    so that its fixtures' dates do not age out of their window."""
    text = os.environ.get(EVALUATION_TIME, "").strip()
    if text:
        try:
            t = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise InputError(f"{EVALUATION_TIME}={text!r} is not an RFC 3339 date-time "
                             "(2026-12-06T00:00:00Z)") from None
        return t if t.tzinfo else t.replace(tzinfo=timezone.utc)
    return datetime.now(timezone.utc)


class Context:
    """What a rule may know beyond its resource: parameters and other resources."""

    def __init__(self, params: dict[str, Any], index: dict[str, Resource], defaults: dict[str, Any] | None = None,
                 now: datetime | None = None):
        self.params = params
        self._index = index
        self._defaults = params if defaults is None else defaults
        self.now = now or evaluation_time()   # what "days ahead" is measured from (SEC-02 expiry dates)

    def __getitem__(self, name: str) -> Any:
        return self.params[name]

    def requires(self, name: str, what: str) -> str:
        """"the specification requires <what>", or, when a profile changed parameter ``name``,
        "the profile requires <what> (the specification: 35)": a reader must not take a
        profile's value for the specification's."""
        spec = self._defaults.get(name)
        if name not in self._defaults or self.params.get(name) == spec:
            return f"the specification requires {what}"
        return f"the profile requires {what} (the specification: {spec})"

    def lookup(self, key: str) -> Resource | None:
        return self._index.get(key)


class Check:
    """Collects requirements of one rule on one resource into a Verdict.

    ``fail`` dominates ``unknown``: one definite violation is a fail even when
    another requirement could not be evaluated.  With no requirement failed or
    unknown the verdict is ``pass``.
    """

    def __init__(self):
        self.fails: list[str] = []
        self.unknowns: list[str] = []
        self.evidence: dict[str, Any] = {}
        self.apis: set[str] = set()
        self.where: Origin | None = None

    def see(self, *values: Value, name: str | None = None) -> None:
        for v in values:
            if v is None:
                continue
            key = name or v.origin.path or "value"
            self.evidence[key] = v.evidence()
            if getattr(v.origin, "api", None):
                self.apis.add(v.origin.api)

    def note(self, key: str, value: Any) -> None:
        self.evidence[key] = plain(value)

    def require(self, cond: Tri, fail: str, unknown: str | None = None, *evidence: Value) -> Tri:
        self.see(*evidence)
        if cond.is_false:
            self.fails.append(fail)
            for v in evidence:
                if v is not None and v.origin.line and self.where is None:
                    self.where = v.origin
        elif cond.is_unknown:
            why = cond.reason or "not known"
            self.unknowns.append(f"{unknown}: {why}" if unknown else why)
        return cond

    def fail(self, message: str, *evidence: Value) -> None:
        self.see(*evidence)
        self.fails.append(message)

    def unknown(self, message: str, *evidence: Value) -> None:
        self.see(*evidence)
        self.unknowns.append(message)

    def verdict(self, ok: str) -> Verdict:
        ev = dict(self.evidence)
        if self.apis:
            ev["observed_via"] = sorted(self.apis)
        file = self.where.file if self.where else None
        line = self.where.line if self.where else None
        if self.fails:
            return Verdict("fail", "; ".join(_dedupe(self.fails)), ev, file, line)
        if self.unknowns:
            return Verdict("unknown", "; ".join(_dedupe(self.unknowns)), ev, file, line)
        return Verdict("pass", ok, ev)


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))   # first occurrence kept, order kept


def unknown_reason(v: Value) -> str:
    return v.reason if isinstance(v, Unknown) else "not set"
