"""Waivers: a documented, approved, dated exception to one control.

Waivers come from a YAML file (``--waivers``) or from comments in Terraform
source.  A waiver covers a ``fail`` finding of its control whose resource
matches (exactly, or as a glob over address / ARN / resource ID: ``*`` and ``?``
are the only wildcards, brackets are literal) and turns it into ``waived``.  An expired waiver covers nothing and is reported as expired;
one that matches nothing is reported as unused.
"""
from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Any, Iterable

from .errors import InputError, shown
from .record import Record

REQUIRED = ("control", "resource", "reason", "approver", "expires")
TEXT = ("control", "resource", "reason", "approver")   # YAML turns `approver: no` into False: quote it
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class Waiver(Record):
    """An accepted exception: control, resource pattern, reason, approver, expiry.  (A record, not a
    dataclass: scanner/record.py.)"""

    __slots__ = ("control_id", "resource", "reason", "approver", "expires", "origin", "matched")

    def __init__(self, control_id: str, resource: str, reason: str, approver: str, expires: dt.date,
                 origin: str = "", matched: list[str] | None = None):
        self.control_id = control_id
        self.resource = resource
        self.reason = reason
        self.approver = approver
        self.expires = expires
        self.origin = origin                                  # "waivers.yaml:12" or "main.tf:40"
        self.matched = [] if matched is None else matched
        problem = glob_problem(self.resource)
        if problem:   # from a waivers file or a comment in .tf source: both name their line
            raise InputError(problem, self.origin or None)

    def expired(self, today: dt.date) -> bool:
        return self.expires < today

    def matches(self, control_id: str, *identities: str) -> bool:
        """True when the control is ours and any identity (address, ARN, resource ID) matches."""
        if control_id != self.control_id:
            return False
        for ident in identities:
            # ARM resource IDs are case-insensitive (Azure itself returns resourceGroups and
            # resourcegroups); everything else is compared exactly.
            azure = ident.lower().startswith("/subscriptions/")
            if self.resource == ident or _glob(self.resource, azure).fullmatch(ident):
                return True
        return False

    def status(self, today: dt.date) -> str:
        if self.expired(today):
            return "expired"
        return "applied" if self.matched else "unused"

    def as_dict(self, today: dt.date, matched: bool = True) -> dict[str, Any]:
        d = {"control_id": self.control_id, "resource": self.resource, "reason": self.reason,
             "approver": self.approver, "expires": self.expires.isoformat(), "origin": self.origin,
             "status": self.status(today)}
        if matched:
            d["matched"] = sorted(self.matched)
        return d


def parse_date(value: Any, file: str, where: str) -> dt.date:
    """A waiver is valid through the day it expires: YYYY-MM-DD, a real day.

    The text is checked as written: Python's fromisoformat alone would also take
    20991231 or the ISO week date 2099W011, which a reader of the waiver file
    would not recognise as the date it is.
    """
    text = value.strip() if isinstance(value, str) else None
    if text is None or not _DATE.fullmatch(text):
        raise InputError(f"bad date {shown(value)} (expected YYYY-MM-DD)", file, where)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"bad date {shown(value)}: there is no such day (expected YYYY-MM-DD)", file, where)


def load_waivers(path: str, control_ids: Iterable[str]) -> list[Waiver]:
    known = set(control_ids)
    from .yamlfile import read_yaml
    data, node, _ = read_yaml(path, "waivers", with_nodes=True)
    if isinstance(data, dict) and "waivers" in data:
        data = data["waivers"]
        node = _child(node, "waivers")
    if data is None:
        return []
    if not isinstance(data, list):
        raise InputError("expected a list of waivers (or a mapping with a 'waivers' list)", path)
    out = []
    for i, entry in enumerate(data):
        entry_node = node.value[i] if _is_sequence(node) and i < len(node.value) else None
        line = entry_node.start_mark.line + 1 if entry_node is not None else None
        where = f"{line}" if line else f"waivers[{i}]"
        if not isinstance(entry, dict):
            raise InputError("a waiver must be a mapping", path, where)

        def at(key: str) -> str:
            """The line of that field, where YAML can tell; else the entry's."""
            kline = _key_line(entry_node, key)
            return str(kline) if kline else where

        entry = dict(entry)
        if "control_id" in entry and "control" not in entry:
            entry["control"] = entry.pop("control_id")
        names = {k: ("control_id" if k == "control" and "control" not in _keys(entry_node) else k) for k in REQUIRED}
        missing = [k for k in REQUIRED if entry.get(k) in (None, "")]
        if missing:
            raise InputError(f"waiver is missing {', '.join(missing)}", path, where)
        extra = sorted(set(entry) - set(REQUIRED), key=str)
        if extra:
            raise InputError(f"unknown waiver field(s) {', '.join(map(str, extra))}", path, at(extra[0]))
        for k in TEXT:
            v = entry[k]
            if not isinstance(v, str):
                raise InputError(f"waiver {names[k]} must be text, not {_yaml_kind(v)} ({shown(v)})", path, at(names[k]))
            if not v.strip():
                raise InputError(f"waiver {names[k]} is blank", path, at(names[k]))
        cid = entry["control"].strip()
        if cid not in known:
            raise InputError(f"unknown control id {shown(cid)}", path, at(names["control"]))
        problem = glob_problem(entry["resource"].strip())
        if problem:
            raise InputError(problem, path, at("resource"))
        out.append(Waiver(cid, entry["resource"].strip(), entry["reason"].strip(), entry["approver"].strip(),
                          parse_date(entry["expires"], path, at("expires")), origin=f"{path}:{line or i}"))
    return out


def _yaml_kind(v: Any) -> str:
    return {list: "a list", dict: "a mapping", bool: "a boolean", int: "a number", float: "a number",
            type(None): "empty"}.get(type(v), type(v).__name__)


def _is_mapping(node) -> bool:
    from .yamlfile import MappingNode
    return isinstance(node, MappingNode)


def _is_sequence(node) -> bool:
    from .yamlfile import SequenceNode
    return isinstance(node, SequenceNode)


def _child(node, key):
    if _is_mapping(node):
        for k, v in node.value:
            if getattr(k, "value", None) == key:
                return v
    return None


def _keys(node) -> set:
    if _is_mapping(node):
        return {getattr(k, "value", None) for k, _v in node.value}
    return set()


def _key_line(node, key: str) -> int | None:
    if _is_mapping(node):
        for k, _v in node.value:
            if getattr(k, "value", None) == key:
                return k.start_mark.line + 1
    return None


def apply_waivers(findings: list, waivers: list[Waiver], today: dt.date | None = None) -> None:
    """Turn covered fails into waived, in place; record what each waiver matched."""
    today = today or dt.datetime.now(dt.timezone.utc).date()
    live = [w for w in waivers if not w.expired(today)]
    for f in findings:
        if f.status != "fail":
            continue
        idents = identities(f.resource)
        for w in live:
            if w.matches(f.control_id, *idents):
                if f.waiver is None:   # the first in file order is the one the finding shows
                    f.status = "waived"
                    f.waiver = w
                # every waiver that covers the finding is in use: calling the second "unused"
                # would invite deleting it, and the finding with it once the first expires
                w.matched.append(f.resource.address)


# A part of a glob between two `*` that holds a `?` is searched position by position, so its
# cost is its length times the identity's; real waivers use a `?` for a digit or two (a GUID
# written as ????????-????-... is 36).
MAX_WILD_PART = 64


def glob_problem(pattern: str) -> str | None:
    """Why a waiver's resource pattern cannot be used, or None."""
    for part in pattern.split("*"):
        if "?" in part and len(part) > MAX_WILD_PART:
            return (f"a part of the resource glob between two '*' that holds a '?' is {len(part)} characters "
                    f"(at most {MAX_WILD_PART}): use '*' there")
    return None


class Glob:
    """``*`` is any run of characters and ``?`` any one; everything else is literal, brackets
    included, so ``aws_db_instance.db[*]`` means every index of that resource (an fnmatch
    character class would have made it match a literal ``*``).

    Matched without backtracking: the pattern is split at each ``*``; the first part must
    match at the start, the last at the end, and each part between is taken at its leftmost
    place after the previous one (the leftmost place leaves the most room for the rest, so
    nothing is ever retried).  A part without ``?`` is found with ``str.find``, which is
    linear; one with ``?`` is a fixed-length regular expression.  A translation to one
    regular expression (``.*a.*a.*c``) backtracks: ``*a*a*a...*c`` against a long address
    took minutes.  Case-insensitive matching (ARM resource IDs) folds both sides character
    by character first."""

    def __init__(self, pattern: str, ignore_case: bool):
        self.ignore_case = ignore_case
        self.parts = [_fold(p) if ignore_case else p for p in pattern.split("*")]
        self.rx = [re.compile("".join("." if ch == "?" else re.escape(ch) for ch in p), re.DOTALL)
                   if "?" in p else None for p in self.parts]
        self.least = sum(len(p) for p in self.parts)   # every part is of fixed length

    def _at(self, i: int, text: str, pos: int) -> bool:
        rx = self.rx[i]
        return text.startswith(self.parts[i], pos) if rx is None else rx.match(text, pos) is not None

    def _find(self, i: int, text: str, pos: int, end: int) -> int:
        rx = self.rx[i]
        if rx is None:
            return text.find(self.parts[i], pos, end)
        m = rx.search(text, pos, end)
        return m.start() if m else -1

    def fullmatch(self, text: str) -> bool:
        if self.ignore_case:
            text = _fold(text)
        n, parts = len(text), self.parts
        if len(parts) == 1:
            return n == len(parts[0]) and self._at(0, text, 0)
        if n < self.least or not self._at(0, text, 0):
            return False
        pos, end = len(parts[0]), n - len(parts[-1])
        if not self._at(len(parts) - 1, text, end):
            return False
        for i in range(1, len(parts) - 1):
            at = self._find(i, text, pos, end)
            if at < 0:
                return False
            pos = at + len(parts[i])
        return pos <= end


def _fold(text: str) -> str:
    """Lower case, one character for one (so positions agree between pattern and text)."""
    if text.isascii():
        return text.lower()
    return "".join(low if len(low := ch.lower()) == 1 else ch for ch in text)


@lru_cache(maxsize=4096)
def _glob(pattern: str, ignore_case: bool) -> Glob:
    return Glob(pattern, ignore_case)


def identities(resource) -> list[str]:
    """What a waiver's resource may name: the address first, then any ARN or ARM resource ID
    the resource is known by (so one waiver file serves plan, .tf and live scans)."""
    out = [resource.address]
    for k in sorted(getattr(resource, "keys", ()) or ()):
        if k != resource.address and (k.startswith("arn:") or k.lower().startswith("/subscriptions/")):
            out.append(k)
    return out
