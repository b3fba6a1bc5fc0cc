"""IAM policy documents as the model's ``statements`` (IAM-01), from every source.

A document is JSON (a string in Terraform, a dict or URL-encoded string from the IAM API);
its ``Statement`` is one object or a list, and ``Action`` / ``NotAction`` / ``Resource`` /
``NotResource`` are a string or a list of strings. ``statements()`` gives each statement as

    {"effect": "Allow" | "Deny", "actions": [...] | None, "not_actions": [...] | None,
     "resources": [...] | None, "not_resources": [...] | None, "sid": str | None}

(None: the statement does not have that element). A value that is not known (a Terraform
Unknown) stays an Unknown, as the whole list or as an element: the rule decides with it.
The merge of ``aws_iam_policy_document`` (source, own, override statements by Sid) is here too,
so the plan and the .tf source read a data source's statements the same way.
"""
from __future__ import annotations

import json
from typing import Any

from .values import Unknown

ELEMENTS = (("Action", "actions"), ("NotAction", "not_actions"), ("Resource", "resources"),
            ("NotResource", "not_resources"))


class NotAPolicy(ValueError):
    """The text is not a policy document (not JSON, or not the shape IAM accepts)."""


def parse(doc: Any) -> dict:
    """A policy document (JSON text, URL-encoded JSON as the IAM API returns it, or a dict)."""
    if isinstance(doc, dict):
        return doc
    if not isinstance(doc, str):
        raise NotAPolicy(f"a policy document is JSON text, not {type(doc).__name__}")
    text = doc.strip()
    if text.startswith("%7B") or text.startswith("%7b"):
        from urllib.parse import unquote   # here: ~2 ms of imports a .tf scan would pay at every start
        text = unquote(text)
    try:
        out = json.loads(text)
    except ValueError as e:
        raise NotAPolicy(f"not JSON ({e.msg} at character {e.pos})") from None
    if not isinstance(out, dict):
        raise NotAPolicy("not a JSON object")
    return out


def statements(doc: Any) -> list[dict]:
    """The normalized statements of a document (see the module's docstring)."""
    body = parse(doc)
    if "Statement" not in body:   # IAM refuses it (MalformedPolicyDocument): it is not a policy that allows nothing
        raise NotAPolicy("it has no Statement")
    raw = body["Statement"]
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list):
        raise NotAPolicy("Statement is neither an object nor a list")
    out = []
    for st in raw:
        if not isinstance(st, dict):
            raise NotAPolicy("a statement is not an object")
        out.append(statement(st))
    return out


def statement(st: dict) -> dict:
    """One statement in the JSON spelling (Effect, Action, ...)."""
    effect = st.get("Effect")
    out: dict[str, Any] = {"effect": effect if isinstance(effect, Unknown) else str(effect or ""),
                           "sid": st.get("Sid") if isinstance(st.get("Sid"), str) else None}
    for key, name in ELEMENTS:
        out[name] = strings(st.get(key)) if key in st else None
    return out


def strings(v: Any) -> list | Unknown | None:
    """A string or a list of strings as a list (elements may be Unknown); None for null."""
    if v is None:
        return None
    if isinstance(v, Unknown):
        return v
    if isinstance(v, str):
        return [v]
    if isinstance(v, (list, tuple, set, frozenset)):
        return [x if isinstance(x, (str, Unknown)) else str(x) for x in v]
    return [str(v)]


# ------------------------------------------------------------------ aws_iam_policy_document
def block_statement(block: Any) -> dict | Unknown:
    """A ``statement`` block of an aws_iam_policy_document data source (snake_case attributes,
    effect defaulting to Allow, unset or empty lists meaning "not in the statement")."""
    if isinstance(block, Unknown):
        return block
    if not isinstance(block, dict):
        return Unknown("a statement block is not an object")
    effect = block.get("effect")
    out: dict[str, Any] = {"effect": effect if isinstance(effect, Unknown) else str(effect or "Allow"),
                           "sid": block.get("sid") if isinstance(block.get("sid"), str) and block.get("sid")
                           else None}
    for _key, name in ELEMENTS:
        v = strings(block.get(name))
        out[name] = None if v == [] else v
    return out


def merge(source: list[list[dict]], own: list, override: list[list[dict]]) -> list:
    """The statements an aws_iam_policy_document renders: every source document's, then its own
    (replacing a source statement of the same Sid), then every override document's (replacing
    any statement of the same Sid). Statements without a Sid are always added."""
    out: list = []

    def put(st) -> None:
        sid = st.get("sid") if isinstance(st, dict) else None
        if sid:
            for i, old in enumerate(out):
                if isinstance(old, dict) and old.get("sid") == sid:
                    out[i] = st
                    return
        out.append(st)

    for doc in source:
        for st in doc:
            put(st)
    for st in own:
        put(st)
    for doc in override:
        for st in doc:
            put(st)
    return out
