"""IAM-01 in Terraform: the statements of customer-written IAM policies and Azure custom roles.

``policy`` of ``aws_iam_policy`` / ``aws_iam_role_policy`` / ``aws_iam_user_policy`` /
``aws_iam_group_policy`` is a JSON document: a string, a ``jsonencode(...)`` (a string once the
plan or the .tf evaluator has it), or ``data.aws_iam_policy_document.X.json``. A data source read
during plan gives the policy as a known string; one read at apply time (or any data source in .tf
source) is followed to its ``statement`` blocks (planned values, else configuration), merged with
its source and override documents as the provider merges them. A document that cannot be read that
way (a variable, a template, a data source of another type, a reference Terraform settles only at
apply) is Unknown, never a pass. IAM-02 has no Terraform column: nothing here.
"""
from __future__ import annotations

import re

from ...model import Resource
from ...policy_doc import NotAPolicy, block_statement, merge, statements
from ...values import Origin, Unknown, Value
from .normalize import _address_map, maps
from .tfmodel import MISSING, Refs, TfResource

_DOC = re.compile(r"(?:^|\.)data\.aws_iam_policy_document\.[A-Za-z0-9_-]+(\[[^\]]*\])?$")
_DEPTH = 8   # source/override documents that are themselves policy documents, followed this deep


@maps("aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy", kind="iam_policy")
def aws_iam_policy(tf: TfResource, r: Resource) -> None:
    r.set("statements", document(tf, "policy"))


def document(tf: TfResource, attr: str, depth: int = 0, project=None) -> Value:
    """The statements of the policy document attribute ``attr`` holds (Value) or Unknown.
    ``project``: where data sources are looked up when ``tf`` is a nested block (which has none)."""
    o = tf.origin(attr)
    raw = tf.raw(attr)
    if isinstance(raw, list) and len(raw) == 1 and isinstance(raw[0], dict):
        raw = raw[0]   # Checkov's plan parser decodes a policy's JSON into an object, kept as a one-element block
    if isinstance(raw, (str, dict)):
        try:
            return Value(statements(raw), o)
        except NotAPolicy as e:
            return Unknown(f"{attr} is not a policy document: {e}", o)
    if raw is MISSING or raw is None:
        return Unknown(f"{attr} is not set", o)
    if not isinstance(raw, Unknown):
        return Unknown(f"{attr} is not a JSON policy document", o)
    refs = tf.refs(attr) or []
    doubt = refs.doubt() if isinstance(refs, Refs) else None
    if doubt:
        return Unknown(f"which document {attr} is is not settled: {doubt}", o)
    docs = sorted({a for a in refs if _DOC.search(a)})
    others = [a for a in refs if not _DOC.search(a)]
    if len(docs) != 1 or others:
        return Unknown(f"{attr} is {raw.reason}", o)
    return data_document(tf, docs[0], o, depth, project)


def data_document(tf: TfResource, address: str, o: Origin, depth: int = 0, project=None) -> Value:
    """The statements an aws_iam_policy_document data source renders, from its configuration."""
    project = project or tf.project
    ds = _address_map(project).get(address) if project is not None else None
    if ds is None or ds.mode != "data":
        return Unknown(f"the policy is read from an aws_iam_policy_document, {address}, whose statements are not "
                       f"known here", o)
    if ds.existence:
        return Unknown(f"{address} may not be read: {ds.existence}", o)
    where = Origin(o.source, f"{o.path} -> {address}", ds.file or o.file, ds.line or o.line)
    blocks = ds.raw("statement")
    if isinstance(blocks, Unknown):
        written = project.config_blocks(ds, "statement")
        if written is None:
            return Unknown(f"the statements of {address} are not known: {blocks.reason}", where)
        blocks = [b.values for b in written]
    own = [block_statement(b) for b in (blocks if isinstance(blocks, list) else [])]
    parts = {}
    for attr, legacy in (("source_policy_documents", "source_json"), ("override_policy_documents", "override_json")):
        got = []
        for name in (attr, legacy):
            v = _documents(ds, name, address, where, depth)
            if isinstance(v, Unknown):
                return v
            got += v
        parts[attr] = got
    if not isinstance(blocks, list) and not parts["source_policy_documents"] and not parts["override_policy_documents"]:
        # nothing at all: not an empty policy (IAM refuses one) but a data source whose values are not here
        # (a Checkov resource check's stub of the referenced data source)
        return Unknown(f"the policy is read from an aws_iam_policy_document, {address}, whose statements are not "
                       f"known here", where)
    return Value(merge(parts["source_policy_documents"], own, parts["override_policy_documents"]), where)


def _documents(ds: TfResource, name: str, address: str, where: Origin, depth: int):
    """The statements of each document in a source/override attribute (a list, or one string)."""
    raw = ds.raw(name)
    if raw is MISSING or raw is None or raw == [] or raw == "":
        return []
    if isinstance(raw, Unknown) or (isinstance(raw, list) and any(isinstance(x, Unknown) for x in raw)):
        refs = ds.refs(name) or []
        docs = sorted({a for a in refs if _DOC.search(a)})
        if depth < _DEPTH and docs and not (isinstance(refs, Refs) and refs.doubt()) and \
                all(_DOC.search(a) for a in refs) and (not isinstance(raw, list) or
                                                         all(isinstance(x, Unknown) for x in raw)):
            out = []
            for a in docs:
                v = data_document(ds, a, where, depth + 1)
                if not v.known:
                    return v
                out.append(v.value)
            return out
        reason = raw.reason if isinstance(raw, Unknown) else next(x.reason for x in raw if isinstance(x, Unknown))
        return Unknown(f"{address}.{name} is not known: {reason}", where)
    out = []
    for text in (raw if isinstance(raw, list) else [raw]):
        try:
            out.append(statements(text))
        except NotAPolicy as e:
            return Unknown(f"{address}.{name} holds something that is not a policy document: {e}", where)
    return out


@maps("aws_iam_role", kind="iam_policy")
def aws_iam_role(tf: TfResource, r: Resource) -> None:
    """A role's ``inline_policy`` blocks are customer-written policies too (live, they are the role's
    inline policies): their statements together. A role without them gets no ``statements`` (IAM-01
    does not apply; it stays a taggable resource for TAG-01)."""
    project = tf.project
    planned = tf.raw("inline_policy")
    if planned is MISSING or planned is None or planned == []:
        return
    if isinstance(planned, Unknown) and project is not None and project.declares(tf, "inline_policy") is False:
        return   # Optional+Computed: a plan shows it unknown when configuration leaves it out
    written = project.config_blocks(tf, "inline_policy") if project is not None else None
    o = tf.origin("inline_policy")
    if isinstance(planned, Unknown) and written is None:
        r.set("statements", Unknown(f"inline_policy is {planned.reason}", o))
        return
    out: list = []
    count = len(planned) if isinstance(planned, list) else len(written)
    for i in range(count):
        block = planned[i] if isinstance(planned, list) else None
        text = block.get("policy") if isinstance(block, dict) else None
        if isinstance(text, list) and len(text) == 1 and isinstance(text[0], dict):
            text = text[0]   # Checkov's plan parser: the decoded JSON as a one-element block
        if isinstance(block, dict) and (text is None or text == ""):
            continue   # `inline_policy {}`: no inline policy (Terraform removes them all)
        if isinstance(text, (str, dict)):
            doc = _text(text, Origin(o.source, f"inline_policy.{i}.policy", o.file, o.line))
        elif written is not None and i < len(written):
            if isinstance(planned, Unknown) and written[i].raw("policy") in (None, "", MISSING):
                continue
            doc = document(written[i], "policy", project=project)
        else:
            doc = Unknown(f"inline_policy.{i}.policy is not known", o)
        out += doc.value if doc.known else [doc]
    if out:
        r.set("statements", Value(out, o))


def _text(text, o: Origin) -> Value:
    try:
        return Value(statements(text), o)
    except NotAPolicy as e:
        return Unknown(f"{o.path} is not a policy document: {e}", o)


# ----------------------------------------------------------------------------- Azure
@maps("azurerm_role_definition", kind="iam_policy")
def azurerm_role_definition(tf: TfResource, r: Resource) -> None:
    """A custom role: each ``permissions`` block's ``actions`` on every resource it is assigned to.
    (``not_actions`` take actions away from ``actions``; CONTROLS.md fails ``*`` in actions whatever
    they take away, so they are not read.)"""
    perms = tf.raw("permissions")
    o = tf.origin("permissions")
    if isinstance(perms, Unknown):
        written = tf.project.config_blocks(tf, "permissions") if tf.project is not None else None
        if written is None:
            r.set("statements", Unknown(f"permissions are {perms.reason}", o))
            return
        perms = [b.values for b in written]
    if perms is MISSING or perms is None:
        perms = []
    out = []
    for p in perms if isinstance(perms, list) else []:
        actions = p.get("actions") if isinstance(p, dict) else Unknown("a permissions block is not known")
        out.append({"effect": "Allow", "sid": None, "not_actions": None, "not_resources": None,
                    "actions": actions if isinstance(actions, (list, Unknown)) else [] if actions is None
                    else [actions], "resources": ["*"]})
    r.set("statements", Value(out, o))
