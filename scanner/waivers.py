"""Waivers: a documented, approved, dated exception to one control.

Waivers come from a YAML file (``--waivers``) or from comments in Terraform
source.  A waiver covers a ``fail`` finding of its control whose resource
matches (exactly, or as a glob over address / ARN / resource ID) and turns it
into ``waived``.  An expired waiver covers nothing and is reported as expired;
one that matches nothing is reported as unused.
"""
from __future__ import annotations

import datetime as dt
import fnmatch
from dataclasses import dataclass, field
from typing import Any, Iterable

import yaml

from .errors import InputError

REQUIRED = ("control", "resource", "reason", "approver", "expires")


@dataclass
class Waiver:
    control_id: str
    resource: str
    reason: str
    approver: str
    expires: dt.date
    origin: str = ""                  # "waivers.yaml:12" or "main.tf:40"
    matched: list[str] = field(default_factory=list)

    def expired(self, today: dt.date) -> bool:
        return self.expires < today

    def matches(self, control_id: str, address: str) -> bool:
        if control_id != self.control_id:
            return False
        if self.resource == address:
            return True
        return any(ch in self.resource for ch in "*?[") and fnmatch.fnmatchcase(address, self.resource)

    def status(self, today: dt.date) -> str:
        if self.expired(today):
            return "expired"
        return "applied" if self.matched else "unused"

    def as_dict(self, today: dt.date) -> dict[str, Any]:
        return {"control_id": self.control_id, "resource": self.resource, "reason": self.reason,
                "approver": self.approver, "expires": self.expires.isoformat(), "origin": self.origin,
                "status": self.status(today), "matched": sorted(self.matched)}


def parse_date(value: Any, file: str, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise InputError(f"bad date {value!r} (expected YYYY-MM-DD)", file, where)


def load_waivers(path: str, control_ids: Iterable[str]) -> list[Waiver]:
    known = set(control_ids)
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        raise InputError("waivers file not found", path)
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read waivers file: {e.__class__.__name__}", path)
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise InputError(f"not valid YAML: {getattr(e, 'problem', None) or e}", path,
                         f"{mark.line + 1}:{mark.column + 1}" if mark else None)
    if isinstance(data, dict) and "waivers" in data:
        data = data["waivers"]
        node = _child(node, "waivers")
    if data is None:
        return []
    if not isinstance(data, list):
        raise InputError("expected a list of waivers (or a mapping with a 'waivers' list)", path)
    out = []
    for i, entry in enumerate(data):
        line = _line_of(node, i)
        where = f"{line}" if line else f"waivers[{i}]"
        if not isinstance(entry, dict):
            raise InputError("a waiver must be a mapping", path, where)
        entry = dict(entry)
        if "control_id" in entry and "control" not in entry:
            entry["control"] = entry.pop("control_id")
        missing = [k for k in REQUIRED if entry.get(k) in (None, "")]
        if missing:
            raise InputError(f"waiver is missing {', '.join(missing)}", path, where)
        extra = set(entry) - set(REQUIRED)
        if extra:
            raise InputError(f"unknown waiver field(s) {', '.join(sorted(extra))}", path, where)
        cid = str(entry["control"])
        if cid not in known:
            raise InputError(f"unknown control id {cid!r}", path, where)
        out.append(Waiver(cid, str(entry["resource"]), str(entry["reason"]), str(entry["approver"]),
                          parse_date(entry["expires"], path, where), origin=f"{path}:{line or i}"))
    return out


def _child(node, key):
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if getattr(k, "value", None) == key:
                return v
    return None


def _line_of(node, i):
    if isinstance(node, yaml.SequenceNode) and i < len(node.value):
        return node.value[i].start_mark.line + 1
    return None


def apply_waivers(findings: list, waivers: list[Waiver], today: dt.date | None = None) -> None:
    """Turn covered fails into waived, in place; record what each waiver matched."""
    today = today or dt.datetime.now(dt.timezone.utc).date()
    live = [w for w in waivers if not w.expired(today)]
    for f in findings:
        if f.status != "fail":
            continue
        for w in live:
            if w.matches(f.control_id, f.resource.address):
                f.status = "waived"
                f.waiver = w
                w.matched.append(f.resource.address)
                break
