"""Evaluate the enabled controls of a profile over normalized resources."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .controls import Context, Control, Verdict, evaluation_time
from .digest import sha256
from .model import LINK_KINDS, Resource
from .profile import Profile


@dataclass
class Finding:
    control_id: str
    status: str
    severity: str
    resource: Resource
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    file: str | None = None
    line: int | None = None
    waiver: Any = None
    salt: str = ""   # the input a finding came from, when one run scans several

    @property
    def fingerprint(self) -> str:
        key = f"{self.control_id}|{self.resource.address}" + (f"|{self.salt}" if self.salt else "")
        return sha256(key.encode()).hexdigest()[:32]


def build_index(resources: list[Resource]) -> dict[str, Resource]:
    index: dict[str, Resource] = {}
    for r in resources:
        for k in r.keys:
            index.setdefault(k, r)
    return index


def evaluate(resources: list[Resource], profile: Profile) -> list[Finding]:
    index = build_index(resources)
    by_kind: dict[str, list[Resource]] = {}   # each control looks only at its kinds
    for r in resources:
        by_kind.setdefault(r.kind, []).append(r)
    pos = {id(r): i for i, r in enumerate(resources)}
    findings: list[Finding] = []
    now = evaluation_time()   # one time for the whole evaluation
    for cs in profile.enabled:
        ctl = cs.control
        ctx = Context(cs.params, index, ctl.params, now)
        if ctl.kinds:
            present = [k for k in ctl.kinds if k in by_kind]
            candidates = [r for k in present for r in by_kind[k]]
            if len(present) > 1:   # one kind's list is in the sources' order already
                if len(candidates) * 4 > len(resources):   # most resources (TAG-01): one pass, no sort
                    wanted = set(present)
                    candidates = [r for r in resources if r.kind in wanted]
                else:
                    candidates.sort(key=lambda r: pos[id(r)])   # findings keep the sources' order
        else:
            candidates = resources
        # looked up once per control, not once per resource (tens of thousands of pairs)
        applies, judge, add = ctl.applies, ctl.func, findings.append
        # Control.applies itself, inline: the candidates are of the control's kinds already, so only
        # its fields are asked (a control class of its own, a user's, keeps its applies)
        fields = ctl.fields if type(ctl).applies is Control.applies and ctl.kinds else None
        link_kinds = LINK_KINDS if not ctl.kinds else ()   # a kind the control names is never left out
        for r in candidates:
            if link_kinds and r.kind in link_kinds:
                continue
            if fields is not None:
                if fields:
                    has = r.fields
                    for f in fields:
                        if f in has:
                            break
                    else:
                        continue
            elif not applies(r):
                continue
            if r.opaque:
                add(Finding(ctl.id, "unknown", cs.severity, r, r.opaque, {}, r.file, r.line))
                continue
            try:
                v = judge(r, ctx)
            except Exception as e:  # a rule bug must not become a pass
                from .terminal import say   # the address is scanned data: shown escaped
                say(f"internal error in {ctl.id} on {r.address}: {e!r}")
                v = Verdict("unknown", f"the rule could not be evaluated (internal error: {e.__class__.__name__})")
            if v is None:
                continue  # the rule decided it does not apply to this resource
            add(Finding(ctl.id, v.status, cs.severity, r, v.message, v.evidence, v.file or r.file, v.line or r.line))
    return findings
