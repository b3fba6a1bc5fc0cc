"""MSG-01 in Terraform: dead-letter queues of SQS queues and SNS subscriptions, Service Bus dead-lettering.

A redrive policy is a JSON string (``redrive_policy = jsonencode({deadLetterTargetArn = aws_sqs_queue.dlq.arn,
...})``). When its value is known it is parsed; when it is known only after apply (the DLQ's ARN is new), the
queue it references in configuration (the plan's ``configuration`` references, the .tf evaluator's) is the
target. A policy that references no queue, or only possibly one, is unknown, never a pass.

A queue is not applicable when it is itself a dead-letter target (of a queue's redrive policy or a separate
``aws_sqs_queue_redrive_policy``) or names a redrive_allow_policy. Whether a queue is a
target is decided over the whole project once (``_targets``); a policy whose target cannot be resolved makes the
queues it may name without a DLQ unknown (it may be their target), never a fail: the queues it references, or
every queue when it is built from something else (a variable, a template); a queue read by a data source whose
name is known and is none of this configuration's queues cannot be one of them.
"""
from __future__ import annotations

import json
import re

from ...model import Resource
from ...values import Origin, Unknown, Value
from .joins import related, related_unknown
from .map_data import _declared, setting
from .normalize import _address_map, adds, managed_of_types, maps
from .tfmodel import MISSING, Refs, TfResource

_QUEUE = "aws_sqs_queue"
_POLICY = "aws_sqs_queue_redrive_policy"
_ALLOW = "aws_sqs_queue_redrive_allow_policy"
_SUB = "aws_sns_topic_subscription"
_INDEX = re.compile(r"\[[^\]]*\]$")


def _empty(raw) -> bool:
    return raw is MISSING or raw is None or raw == ""


def policy_target(tf: TfResource, attr: str = "redrive_policy") -> Value | None:
    """The dead-letter target a redrive policy attribute names: Value(ARN or address), Value(None) when the
    policy names none, Unknown when it cannot be resolved; None when the attribute is not set at all."""
    raw = tf.raw(attr)
    if _empty(raw) or (isinstance(raw, Unknown) and _declared(tf, attr) is False):
        return None
    o = tf.origin(attr)
    if isinstance(raw, str):
        try:
            doc = json.loads(raw)
        except ValueError:
            return Unknown(f"{attr} is not a JSON document", o)
        target = doc.get("deadLetterTargetArn") if isinstance(doc, dict) else None
        if isinstance(target, str) and target:
            return Value(target, Origin(o.source, f"{attr}.deadLetterTargetArn", o.file, o.line))
        return Value(None, Origin(o.source, f"{attr} (no deadLetterTargetArn)", o.file, o.line))
    if not isinstance(raw, Unknown):
        return Unknown(f"{attr} is not a JSON string", o)
    refs = tf.refs(attr) or []
    doubt = refs.doubt() if isinstance(refs, Refs) else None
    if doubt:
        return Unknown(f"which queue {attr} names is not settled: {doubt}", o)
    addrs = _address_map(tf.project) if tf.project is not None else {}
    for a in refs:
        t = addrs.get(a)
        if t is None or t.type != _QUEUE:
            continue
        if t.mode != "managed":
            # a queue read by a data source after apply: which queue, and its ARN, are not known yet
            return Unknown(f"{attr} names {a}, which is read only after apply", o)
        if t.existence:
            return Unknown(f"{attr} names {a}, which may not be created ({t.existence})", o)
        return Value(a, Origin(o.source, f"{attr}.deadLetterTargetArn -> {a}", o.file, o.line))
    named = f" (it references {', '.join(refs)}, none of them a queue)" if refs else ""
    return Unknown(f"{attr} is {raw.reason}{named}", o)


def _could_name(tf: TfResource, attr: str = "redrive_policy") -> set[str] | None:
    """The managed queues an unresolved redrive policy may name: the queues it references (None: any queue).

    A policy that references only queues read by data sources whose names are known and are none of this
    configuration's queues' names cannot name one of them."""
    refs = tf.refs(attr) or []
    project = tf.project
    if project is None or not refs:
        return None
    addrs = _address_map(project)
    queues = managed_of_types(project, (_QUEUE,))
    names = {q.raw("name") for q in queues}
    if any(not isinstance(n, str) for n in names):
        names = None   # a queue of ours whose name is not known may be the one a data source reads
    out: set[str] = set()
    for a in refs:
        t = addrs.get(a)
        if t is None or t.type != _QUEUE:
            continue
        if t.mode == "managed":
            out.add(a)
            continue
        name = t.raw("name")
        if names is None or not isinstance(name, str) or name in names:
            return None
    if not out and not any((addrs.get(a) is not None and addrs[a].type == _QUEUE) for a in refs):
        return None   # built from something else (a variable, a string template): it may name any queue
    return out


def _queue_policy(tf: TfResource) -> Value:
    """The queue's dead-letter target: its own redrive_policy, else a separate aws_sqs_queue_redrive_policy."""
    own = policy_target(tf)
    if own is not None:
        return own
    for p in related(tf, (_POLICY,), "queue_url"):
        got = policy_target(p)
        if got is not None:
            o = got.origin
            via = Origin(o.source, f"{p.address}.{o.path}", o.file, o.line)
            return Unknown(got.reason, via) if isinstance(got, Unknown) else Value(got.value, via)
    # related_unknown reads every queue's address on each call: asked only when a separate policy exists
    pending = related_unknown(tf, (_POLICY,), "queue_url") if _any(tf, _POLICY) else None
    if pending:
        return Unknown(f"a redrive policy may name this queue: {pending.why}", tf.origin(_POLICY))
    return Value(None, Origin(tf.source, "redrive_policy (none: no dead-letter queue)", tf.file, tf.line))


@adds(_QUEUE)
def sqs_dead_letter(tf: TfResource, r: Resource) -> None:
    r.set("dead_letter", _queue_policy(tf))
    r.set("dead_letter_source", _is_target(tf))


def _any(tf: TfResource, type_: str) -> bool:
    return tf.project is not None and bool(managed_of_types(tf.project, (type_,)))


def _is_target(tf: TfResource) -> Value:
    allow = tf.raw("redrive_allow_policy")
    if not _empty(allow) and not (isinstance(allow, Unknown) and _declared(tf, "redrive_allow_policy") is False):
        return Value(True, tf.origin("redrive_allow_policy"))
    for a in related(tf, (_ALLOW,), "queue_url"):
        return Value(True, Origin(a.source, f"{a.address}.redrive_allow_policy", a.file, a.line))
    named, maybe, doubt = _targets(tf)
    base = _INDEX.sub("", tf.address)
    for ident in (tf.address, base, tf.raw("arn"), tf.raw("url"), tf.raw("id")):
        if isinstance(ident, str) and ident in named:
            src = named[ident]
            return Value(True, Origin(src.source, f"{src.address}.redrive_policy.deadLetterTargetArn -> {tf.address}",
                                      src.file, src.line))
    for ident in (tf.address, base):
        if ident in maybe:
            return maybe[ident]
    if doubt is not None:
        return doubt
    return Value(False, Origin(tf.source, "dead-letter target (no redrive policy names this queue)", tf.file, tf.line))


def _targets(tf: TfResource) -> tuple[dict[str, TfResource], Unknown | None]:
    """Every dead-letter target the project's redrive policies name (target -> the policy's resource), and the
    first policy whose target cannot be resolved; built once per project."""
    project = tf.project
    if project is None:
        return {}, None
    cache = project.__dict__.setdefault("_dead_letter_targets", {})
    key = len(project.resources)
    if key in cache:
        return cache[key]
    named: dict[str, TfResource] = {}
    maybe: dict[str, Unknown] = {}
    doubt = None
    # queues' redrive policies only: the catalogue makes "some queue's dead-letter target" not applicable (an
    # SNS subscription's DLQ is not), and the live audit decides it from the region's queues alike
    for o in managed_of_types(project, (_QUEUE, _POLICY)):
        got = policy_target(o)
        if got is None:
            continue
        if isinstance(got, Unknown):
            why = Unknown(f"it may be the dead-letter queue of {o.address}, whose redrive policy is not resolved: "
                          f"{got.reason}", got.origin)
            could = _could_name(o)
            if could is None and doubt is None:
                doubt = why
            for a in could or ():
                maybe.setdefault(a, why)
        elif isinstance(got.value, str):
            named.setdefault(got.value, o)
            named.setdefault(_INDEX.sub("", got.value), o)
    cache.clear()
    cache[key] = (named, maybe, doubt)
    return cache[key]


@maps(_SUB, kind="subscription")
def sns_subscription(tf: TfResource, r: Resource) -> None:
    r.set("protocol", tf.get("protocol"))
    got = policy_target(tf)
    r.set("dead_letter", got if got is not None else
          Value(None, Origin(tf.source, "redrive_policy (none: no dead-letter queue)", tf.file, tf.line)))


def _service_bus(tf: TfResource, r: Resource) -> None:
    v = setting(tf, "dead_lettering_on_message_expiration", False, "expired messages are dropped")
    if v is None:
        v = Value(False, tf.origin("dead_lettering_on_message_expiration"))
    r.set("dead_letter", v.map(lambda x: x is True or str(x).strip().lower() == "true") if v.known else v)


@maps("azurerm_servicebus_queue", kind="data_store")
def servicebus_queue(tf: TfResource, r: Resource) -> None:
    _service_bus(tf, r)


@maps("azurerm_servicebus_subscription", kind="subscription")
def servicebus_subscription(tf: TfResource, r: Resource) -> None:
    _service_bus(tf, r)
