"""Secret values a user's rule may not read (issue 18: raw records never carry a secret into evidence).

A raw record is the adapter's record as it came: planned values, evaluated ``.tf`` attributes, an API
item, ARM JSON.  Whatever a user's field reads becomes evidence in every report, so a value that is a
secret is given as ``Withheld``, an Unknown: a condition on it is unknown (never a pass), except
``exists``, which it answers (the secret is set; its value is not shown).

What is a secret: an attribute whose name says so (``password``, ``auth_token``, ``client_secret``,
``connection_string``, ``primary_access_key``, ...; the names providers mark sensitive), wherever it
is in a record, unless its name ends in a word that says it is about the secret, not the secret
(``password_length``, ``auth_token_enabled``, ``access_key_id``, ``secret_arn``); only text, or a
block holding text, is withheld (numbers, booleans and nulls are settings about a secret:
``max_password_age``, ``password_reuse_prevention``).  Plans mark their own sensitive values too (``sensitive_values``); the AWS
collectors list the paths of secrets whose names do not say so (aws/raw_secrets.py).
"""
from __future__ import annotations

import json
import re
from typing import Any

from .values import Unknown

REASON = "a secret value: specguard does not keep it"

# words (snake_case or camelCase, lower-cased) that make an attribute a secret, alone or as a pair
_WORDS = {"password", "passwd", "passphrase", "pwd"}
_PAIRS = {("access", "key"), ("secret", "key"), ("private", "key"), ("account", "key"), ("primary", "key"),
          ("secondary", "key"), ("api", "key"), ("master", "key"), ("shared", "key"), ("storage", "key"),
          ("auth", "token"), ("access", "token"), ("refresh", "token"), ("sas", "token"), ("bearer", "token"),
          ("session", "token"), ("security", "token"), ("connection", "string"), ("client", "secret"),
          ("shared", "secret"), ("secret", "string"), ("secret", "value"), ("secret", "binary"),
          ("key", "material"), ("private", "key", "pem")}
_SOLE = {"secret", "token", "sas", "signature"}   # the whole name
# a last word saying the attribute is about the secret: its id, its ARN, whether it is set, ...
_ABOUT = {"id", "ids", "arn", "arns", "name", "names", "enabled", "status", "type", "version", "versions",
          "length", "policy", "rotation", "ttl", "strategy", "expiry", "expiration", "expires", "date", "time",
          "timestamp", "source", "vault", "uri", "url", "reference", "ref", "label", "kind", "count",
          "required", "wo", "managed", "configuration", "config", "settings", "rules", "stages", "days",
          "hash", "fingerprint", "thumbprint"}
_SPLIT = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


def words(name: str) -> list[str]:
    return [w.lower() for w in _SPLIT.findall(name)]


def secret_name(name: Any) -> bool:
    """Whether an attribute (or key) of this name holds a secret value."""
    if not isinstance(name, str):
        return False
    ws = words(name)
    if not ws or ws[-1] in _ABOUT:
        return False
    if len(ws) == 1:
        return ws[0] in _WORDS or ws[0] in _SOLE
    if any(w in _WORDS for w in ws):
        return True
    return any(tuple(ws[i:i + len(p)]) == p for p in _PAIRS for i in range(len(ws) - len(p) + 1))


class Withheld(Unknown):
    """A secret value, set but not shown (``exists`` is true for it)."""

    __slots__ = ()


def may_hold(value: Any) -> bool:
    """A value that can be a secret: text, or a block or list that may hold text.  Providers type
    secrets as strings, so a number under a secret-sounding name is a setting about it
    (``max_password_age``, ``password_reuse_prevention``), and booleans and nulls say whether one is set."""
    return isinstance(value, (str, dict, list, tuple)) and not isinstance(value, Unknown)


def overlay(values: Any, marks: Any, origin_of) -> Any:
    """``values`` with what a plan marks sensitive (``sensitive_values``: true leaves) withheld,
    copied along the marked paths only.  ``origin_of(path)`` gives the origin of a withheld value."""
    return _overlay(values, marks, "", origin_of)


def _overlay(values: Any, marks: Any, path: str, origin_of) -> Any:
    if marks is True:
        return values if values is None or isinstance(values, Unknown) else Withheld(REASON, origin_of(path))
    if isinstance(marks, dict) and isinstance(values, dict):
        out = None
        for k, m in marks.items():
            if m and k in values:
                new = _overlay(values[k], m, f"{path}.{k}" if path else str(k), origin_of)
                if new is not values[k]:
                    out = out if out is not None else dict(values)
                    out[k] = new
        return values if out is None else out
    if isinstance(marks, list) and isinstance(values, list):
        new = [_overlay(v, m, f"{path}[{i}]", origin_of) if m else v
               for i, (v, m) in enumerate(zip(values, marks))] + values[len(marks):]
        return values if all(a is b for a, b in zip(new, values)) else new
    return values


# ----------------------------------------------------------------------------- in reports
SHOWN = "(sensitive)"


def secret_values(values: Any, marks: Any) -> frozenset:
    """The values a plan marks sensitive (``sensitive_values``: true leaves), as they would be shown:
    text and numbers (booleans and nulls say too little to hide)."""
    out: set = set()
    stack = [(values, marks)]
    while stack:
        v, m = stack.pop()
        if not m:
            continue
        if m is True:
            add_secret(out, v)
        elif isinstance(m, dict) and isinstance(v, dict):
            stack.extend((v[k], mk) for k, mk in m.items() if k in v)
        elif isinstance(m, list) and isinstance(v, list):
            stack.extend(zip(v, m))
    return frozenset(out)


def add_secret(out: set, value: Any) -> None:
    """Add the text and numbers of a secret value to ``out``: everything under a block, and a map's
    keys too (the whole value is secret)."""
    leaves = [value]
    while leaves:
        x = leaves.pop()
        if isinstance(x, dict):
            leaves.extend(x.values())
            out.update(k for k in x if isinstance(k, str) and k)
        elif isinstance(x, (list, tuple)):
            leaves.extend(x)
        elif isinstance(x, str) and x and not isinstance(x, Unknown):
            out.add(x)
        elif isinstance(x, (int, float)) and not isinstance(x, bool):
            out.add(x)


def scrub_findings(findings: list, secrets: set) -> None:
    """Hide ``secrets`` (the values of every resource of the input that its source marks sensitive)
    in the findings' messages and evidence, in place.  The verdicts were made with the values; the
    reports say "(sensitive)" where a value was.  Over every finding of the input, not only the
    resource's own: a rule may show a linked resource's value (a key's, a group's).  A text that
    holds a secret of four or more characters anywhere is hidden; a shorter one only as a whole
    word, so "(sensitive)" does not eat the letters of unrelated words."""
    forms: set[str] = set()
    for t in secrets:   # as rules write them: plain, in repr() and in JSON text
        if isinstance(t, str):
            forms.update((t, repr(t)[1:-1], json.dumps(t)[1:-1], json.dumps(t, ensure_ascii=False)[1:-1]))
        else:
            forms.add(repr(t))
    long = [f for f in forms if len(f) >= 4]
    short = [f for f in forms if 0 < len(f) < 4]
    parts = [re.escape(f) for f in sorted(long, key=len, reverse=True)]
    parts += [rf"(?<![A-Za-z0-9_]){re.escape(f)}(?![A-Za-z0-9_])" for f in sorted(short, key=len, reverse=True)]
    if not parts:
        return
    pattern = re.compile("|".join(parts))

    def text(s: str) -> str:
        return pattern.sub(SHOWN, s)

    def value(v: Any) -> Any:
        if isinstance(v, str):
            return SHOWN if v in secrets else text(v)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return SHOWN if v in secrets else v
        if isinstance(v, dict):
            return {text(k) if isinstance(k, str) else k: value(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [value(x) for x in v]
        return v

    for f in findings:
        f.message = text(f.message)
        if f.evidence:
            f.evidence = value(f.evidence)
