"""MSG-01 and SEC-02 live: dead-letter queues of SQS queues and SNS subscriptions, Secrets Manager rotation.

* SQS: ``RedrivePolicy`` / ``RedriveAllowPolicy`` come with the queue's ``GetQueueAttributes`` (collect_msg
  asks for All); only when that answer lacks them (an older caller asking for named attributes) are they read
  with one more call. Whether a queue is some queue's dead-letter target is decided once the region's queues
  are read: one queue whose policy could not be read may name any queue, so those without a DLQ are unknown.
* SNS: one ``ListSubscriptions`` per region (instead of one ``ListSubscriptionsByTopic`` per topic: the same
  records, fewer calls), then ``GetSubscriptionAttributes`` for the subscriptions whose protocol has a
  redrive policy (sqs, lambda, http, https) -- the listing does not carry it.
* Secrets Manager: ``ListSecrets`` already returns ``RotationEnabled`` and ``RotationRules`` for every
  secret, so no ``DescribeSecret`` per secret is needed.
"""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from ...model import Resource
from ...values import Origin, Unknown, Value
from ..rotation import schedule_days
from .guard import Failure
from .ops import api_name
from .scope import SOURCE, Scope, unknown, val

_REDRIVE_PROTOCOLS = ("sqs", "lambda", "http", "https")
# RDS creates the secrets of manage_master_user_password itself, with rotation every 7 days by default
_RDS_DEFAULT_DAYS = 7


def _target(policy: Any, path: str, api: str) -> Value:
    """The deadLetterTargetArn of a RedrivePolicy attribute (JSON text) as a Value (None: no DLQ)."""
    if policy in (None, ""):
        return val(None, f"{path} (none: no dead-letter queue)", api)
    try:
        doc = json.loads(policy) if isinstance(policy, str) else policy
    except ValueError:
        return Unknown(f"{path} is not a JSON document", Origin(SOURCE, path, api=api))
    arn = doc.get("deadLetterTargetArn") if isinstance(doc, dict) else None
    return val(arn if isinstance(arn, str) and arn else None, f"{path}.deadLetterTargetArn", api)


def queue_dead_letters(scope: Scope, queues: list[Resource]) -> None:
    """Set ``dead_letter`` and ``dead_letter_source`` on the region's queues (read by collect_msg.queues)."""
    api = api_name("sqs", "GetQueueAttributes")
    targets: dict[str, str] = {}
    doubt: Unknown | None = None
    for r in queues:
        if r.opaque or r.type != "aws_sqs_queue":
            continue
        attrs = r.raw if isinstance(r.raw, dict) and "CreatedTimestamp" in r.raw else None
        if attrs is None and not isinstance(r.raw, Unknown):
            url = next((k for k in r.keys if k.startswith("http")), None)
            got = scope.call("sqs", "GetQueueAttributes", QueueUrl=url,
                             AttributeNames=["RedrivePolicy", "RedriveAllowPolicy"]) if url else None
            attrs = (got.get("Attributes") or {}) if isinstance(got, dict) else got
        if attrs is None or isinstance(attrs, (Failure, Unknown)):
            why = attrs if isinstance(attrs, Unknown) else (
                unknown(attrs, "RedrivePolicy") if isinstance(attrs, Failure) else
                Unknown("the queue's attributes were not read", Origin(SOURCE, "RedrivePolicy", api=api)))
            if isinstance(r.raw, Unknown):
                why = Unknown(r.raw.reason, Origin(SOURCE, "RedrivePolicy", api=api))
            r.set("dead_letter", why)
            r.set("dead_letter_source", why)
            if doubt is None:
                doubt = Unknown(f"it may be the dead-letter queue of {r.name}, whose redrive policy could not be "
                                f"read: {why.reason}", Origin(SOURCE, "RedrivePolicy", api=api))
            continue
        dl = _target(attrs.get("RedrivePolicy"), "RedrivePolicy", api)
        r.set("dead_letter", dl)
        if dl.known and dl.value:
            targets.setdefault(dl.value, r.name)
        if attrs.get("RedriveAllowPolicy"):
            r.set("dead_letter_source", val(True, "RedriveAllowPolicy", api))
    for r in queues:
        if r.opaque or r.type != "aws_sqs_queue" or r.has("dead_letter_source"):
            continue
        src = next((targets[k] for k in r.keys if k in targets), None)
        if src is not None:
            r.set("dead_letter_source", val(True, f"{src}.RedrivePolicy.deadLetterTargetArn", api))
        elif doubt is not None:
            r.set("dead_letter_source", doubt)
        else:
            r.set("dead_letter_source", val(False, "RedrivePolicy (no queue of the region names it)", api))


def _shown(endpoint: str) -> str:
    """An http(s) endpoint as a name: scheme, host and path (a URL may carry a password or a token in its
    user part or query, which must never reach a report); an e-mail address or number as it is."""
    if not endpoint.lower().startswith(("http://", "https://")):
        return endpoint
    try:
        u = urlsplit(endpoint)
        port = f":{u.port}" if u.port else ""
    except ValueError:
        return "(an endpoint URL that cannot be read)"
    return f"{u.scheme}://{u.hostname or ''}{port}{u.path}"


def subscriptions(scope: Scope) -> list[Resource]:
    items, fail = scope.pages("sns", "ListSubscriptions", "Subscriptions")
    api = api_name("sns", "GetSubscriptionAttributes")
    listed = api_name("sns", "ListSubscriptions")

    def one(s: dict) -> Resource:
        arn = s.get("SubscriptionArn") or ""
        topic = (s.get("TopicArn") or "").rsplit(":", 1)[-1]
        endpoint = str(s.get("Endpoint") or "")
        target = endpoint.rsplit(":", 1)[-1] if endpoint.startswith("arn:") else _shown(endpoint)
        proto = str(s.get("Protocol") or "")
        pending = not arn.startswith("arn:")
        address = arn if not pending else f"{s.get('TopicArn')}:pending:{proto}:{_shown(endpoint)}"
        r = scope.resource("subscription", "aws_sns_topic_subscription", address, f"{topic}->{target}",
                           (address,), raw=s, raw_api=listed)
        r.set("protocol", val(proto, "Protocol", listed))
        if proto.lower() not in _REDRIVE_PROTOCOLS:
            r.set("dead_letter", val(None, "RedrivePolicy (the protocol has none)", listed))
        elif pending:
            r.set("dead_letter", Unknown("the subscription is pending confirmation: its attributes cannot be read",
                                         Origin(SOURCE, "RedrivePolicy", api=listed)))
        else:
            a = scope.call("sns", "GetSubscriptionAttributes", SubscriptionArn=arn)
            r.set("dead_letter", unknown(a, "RedrivePolicy") if isinstance(a, Failure) else
                  _target((a.get("Attributes") or {}).get("RedrivePolicy"), "RedrivePolicy", api))
        return r

    out = scope.each(one, items)
    if fail:
        out.append(scope.placeholder("subscription", "aws_sns_topic_subscription", "sns", "*:subscriptions", fail,
                                     "SNS subscriptions"))
    return out


def rotation(secret: dict, api: str) -> Value:
    """How often a secret listed by ListSecrets rotates (``rotation_days``; None: it does not)."""
    rules = secret.get("RotationRules") or {}
    if secret.get("RotationEnabled"):
        days = rules.get("AutomaticallyAfterDays")
        expr = rules.get("ScheduleExpression")
        if isinstance(expr, str) and expr:
            got = schedule_days(expr)
            return Unknown(got, Origin(SOURCE, "RotationRules.ScheduleExpression", api=api)) if isinstance(got, str) \
                else val(got, f"RotationRules.ScheduleExpression = {expr}", api)
        if isinstance(days, int) and days > 0:
            return val(days, "RotationRules.AutomaticallyAfterDays", api)
        return Unknown("rotation is enabled but its rules were not returned", Origin(SOURCE, "RotationRules", api=api))
    if str(secret.get("OwningService") or "").lower() == "rds" and "RotationEnabled" not in secret:
        return val(_RDS_DEFAULT_DAYS, "OwningService rds (RDS rotates the secrets it manages every 7 days by "
                                      "default)", api)
    return val(None, "RotationEnabled (false: the secret does not rotate)", api)
