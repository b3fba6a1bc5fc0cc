"""Secret values in the API items the collectors keep as raw records (users' fields read them).

A raw record is shown to users' rules, and what a rule reads becomes evidence in every report,
so an item that can hold a secret value is kept with that value replaced by an Unknown that says
so.  Names stay (a rule may ask whether an environment variable is set), values go.  The record
is copied along the listed paths only; the rest is still the API's own object.

A collector of a new type whose API item may carry a secret adds its paths here: ``a.b`` steps
into a mapping, ``[*]`` into every list entry, ``*`` into every value of a mapping.
"""
from __future__ import annotations

import re
from typing import Any

from ...values import Origin, Unknown
from ...withheld import REASON as WITHHELD, Withheld

SECRET_PATHS: dict[str, tuple[str, ...]] = {
    # lambda:ListFunctions: environment variables are where functions are given credentials
    "aws_lambda_function": ("Environment.Variables.*",),
    # cloudfront:ListDistributions: custom origin headers are the usual shared secret with the origin
    "aws_cloudfront_distribution": ("Origins.Items[*].CustomHeaders.Items[*].HeaderValue",),
    # apigateway:GetStages: stage variables hold what the integrations are configured with
    "aws_api_gateway_stage": ("variables.*",),
    # elbv2:DescribeListeners: an authenticate-oidc action's client secret
    "aws_lb_listener": ("DefaultActions[*].AuthenticateOidcConfig.ClientSecret",),
    # sns:ListSubscriptions: an http(s) endpoint may carry a password or a token in its URL
    "aws_sns_topic_subscription": ("Endpoint",),
}

_STEP = re.compile(r"\[\*\]|[^.\[\]]+")


def withhold(type_: str, raw: Any, source: str, api: str | None) -> Any:
    """``raw`` with the secret values of ``type_`` replaced (the same object when it holds none)."""
    paths = SECRET_PATHS.get(type_)
    if not paths or not isinstance(raw, (dict, list)):
        return raw
    for path in paths:
        raw = _replace(raw, _STEP.findall(path), path, source, api)
    return raw


def _replace(node: Any, steps: list[str], path: str, source: str, api: str | None) -> Any:
    if not steps:
        if node is None or isinstance(node, Unknown):
            return node   # nothing set: nothing to hide, and "not set" stays readable
        return Withheld(WITHHELD, Origin(source, path, api=api))
    step, rest = steps[0], steps[1:]
    if step == "[*]":
        if not isinstance(node, list):
            return node
        new = [_replace(x, rest, path, source, api) for x in node]
        return node if all(a is b for a, b in zip(new, node)) else new
    if not isinstance(node, dict):
        return node
    keys = list(node) if step == "*" else [step] if step in node else []
    changed = {k: _replace(node[k], rest, path, source, api) for k in keys}
    if all(changed[k] is node[k] for k in keys):
        return node
    return {**node, **changed}
