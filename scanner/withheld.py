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
