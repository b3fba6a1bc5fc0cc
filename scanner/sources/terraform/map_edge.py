"""WAF-01 in Terraform: which internet-facing HTTP entry points a web application firewall protects.

AWS: an application load balancer that is not ``internal`` and an API Gateway REST API stage are
protected by an ``aws_wafv2_web_acl_association`` (or the classic regional one) whose
``resource_arn`` references them; CloudFront by its own ``web_acl_id``. Azure: an Application
Gateway of the WAF tier with a firewall policy (its ``policy_settings.mode``) or an enabled
``waf_configuration``; a Front Door endpoint by an ``azurerm_cdn_frontdoor_security_policy``
whose firewall association names it (the firewall policy's ``mode``).
"""
from __future__ import annotations

from ...model import Resource
from ...values import Origin, Unknown, Value
from .join_targets import attached, found, is_missing, managed_target, none_found, reference
from .map_data import setting
from .normalize import adds, managed_of_types, maps
from .tfmodel import MISSING, Refs, TfResource

_ASSOC = ("aws_wafv2_web_acl_association", "aws_wafregional_web_acl_association")


def _acl_of(a: TfResource):
    attr = "web_acl_arn" if a.type == "aws_wafv2_web_acl_association" else "web_acl_id"
    return reference(a, attr) or a.address


def _associated(tf: TfResource, data_types: set[str]) -> Value:
    certain, pending = attached(tf, _ASSOC, "resource_arn", data_types)
    if certain:
        a = certain[0]
        return found(a, "resource_arn", _acl_of(a))
    if pending:
        return Unknown(f"a web ACL association may name it: {pending.why}", tf.origin("web ACL association"))
    return none_found(tf, "aws_wafv2_web_acl_association naming it")


@maps("aws_lb", "aws_alb", kind="web_entry")
def aws_lb(tf: TfResource, r: Resource) -> None:
    kind = setting(tf, "load_balancer_type", "application", "application load balancer")
    if kind is not None and kind.known and str(kind.value).lower() != "application":
        return   # network and gateway load balancers carry no HTTP: WAF-01 does not apply
    internal = setting(tf, "internal", False, "internet-facing")
    if internal is not None and internal.known and internal.truthy().is_true:
        return   # internal: not internet-facing, not applicable
    if internal is not None and not internal.known:
        r.set("internet_facing", internal)
    elif kind is not None and not kind.known:
        r.set("internet_facing", Unknown(f"whether it is an application load balancer is not known: {kind.reason}",
                                         kind.origin))
    r.set("web_acl", _associated(tf, {"aws_lb", "aws_alb"}))


@maps("aws_api_gateway_stage", kind="web_entry")
def aws_api_gateway_stage(tf: TfResource, r: Resource) -> None:
    r.set("web_acl", _associated(tf, {"aws_api_gateway_stage", "aws_api_gateway_rest_api"}))


@adds("aws_cloudfront_distribution")
def cloudfront_waf(tf: TfResource, r: Resource) -> None:
    raw = tf.raw("web_acl_id")
    o = tf.origin("web_acl_id")
    if isinstance(raw, str) and raw:
        r.set("web_acl", Value(raw, o))
        return
    if isinstance(raw, Unknown):
        refs = tf.refs("web_acl_id") or []
        doubt = refs.doubt() if isinstance(refs, Refs) else None
        if doubt:
            r.set("web_acl", Unknown(f"whether web_acl_id names a web ACL is not settled: {doubt}", o))
        elif refs:
            # set from a web ACL's ARN/id: never null once applied
            r.set("web_acl", Value(refs[0], Origin(o.source, "web_acl_id (set from a reference)", o.file, o.line)))
        elif tf.project is not None and tf.project.declares(tf, "web_acl_id") is False:
            r.set("web_acl", Value(None, Origin(o.source, "web_acl_id (unset)", o.file, o.line)))
        else:
            r.set("web_acl", Unknown(raw.reason, o))
        return
    r.set("web_acl", Value(None, Origin(o.source, "web_acl_id (unset)", o.file, o.line)))


# ----------------------------------------------------------------------------- Azure
def _policy_mode(holder: TfResource, attr: str, ptype: str, mode_path: str, enabled_path: str,
                 mode_default) -> Value:
    """The mode of the firewall policy ``attr`` names: "Prevention" | "Detection" | "Disabled"."""
    target = managed_target(holder, attr, (ptype,))
    if isinstance(target, Unknown):
        return target
    if target is None:
        return Unknown(f"{attr} names a firewall policy outside this configuration; its mode cannot be seen",
                       holder.origin(attr))
    enabled = setting(target, enabled_path, True, "policy enabled")
    if enabled is not None and enabled.known and enabled.truthy().is_false:
        return found(target, enabled_path, "Disabled")
    if enabled is not None and not enabled.known:
        return Unknown(f"whether {target.address} is enabled is not known: {enabled.reason}", enabled.origin)
    mode = setting(target, mode_path, MISSING if mode_default is None else mode_default, "provider default")
    if mode is None:
        return Unknown(f"{target.address} has no mode", target.origin(mode_path))
    if not mode.known:
        return mode
    return Value(mode.value, Origin(mode.origin.source, f"{target.address}.{mode.origin.path}",
                                    mode.origin.file, mode.origin.line))


@adds("azurerm_application_gateway")
def application_gateway_waf(tf: TfResource, r: Resource) -> None:
    tier = tf.get("sku.0.tier")
    if not tier.known:
        r.set("web_acl", tier)
        return
    if str(tier.value) not in ("WAF_v2", "WAF"):
        r.set("web_acl", Value(None, Origin(tf.source, f"sku.tier = {tier.value} (not a WAF tier)", tf.file,
                                            tier.origin.line)))
        return
    pol = tf.raw("firewall_policy_id")
    refs = tf.refs("firewall_policy_id") or []
    if (isinstance(pol, str) and pol) or (isinstance(pol, Unknown) and refs):
        r.set("web_acl", Value(refs[0] if refs else pol, tf.origin("firewall_policy_id")))
        r.set("waf_mode", _policy_mode(tf, "firewall_policy_id", "azurerm_web_application_firewall_policy",
                                       "policy_settings.0.mode", "policy_settings.0.enabled", "Prevention"))
        return
    if isinstance(pol, Unknown):
        r.set("web_acl", Unknown(pol.reason, tf.origin("firewall_policy_id")))
        return
    waf = tf.raw("waf_configuration")
    if isinstance(waf, Unknown):
        r.set("web_acl", Unknown(waf.reason, tf.origin("waf_configuration")))
        return
    if is_missing(waf):
        r.set("web_acl", Value(None, Origin(tf.source, "firewall_policy_id, waf_configuration (neither set)",
                                            tf.file, tf.line)))
        return
    enabled = tf.get("waf_configuration.0.enabled")
    if not enabled.known:
        r.set("web_acl", enabled)
        return
    if enabled.truthy().is_false:
        r.set("web_acl", Value(None, tf.origin("waf_configuration.0.enabled")))
        return
    r.set("web_acl", Value("waf_configuration", tf.origin("waf_configuration")))
    r.set("waf_mode", tf.get("waf_configuration.0.firewall_mode"))


_SECURITY_POLICY = "azurerm_cdn_frontdoor_security_policy"
_FD_FIREWALL = "security_policies.0.firewall.0"


@maps("azurerm_cdn_frontdoor_endpoint", kind="web_entry")
def frontdoor_endpoint(tf: TfResource, r: Resource) -> None:
    project = tf.project
    policies = managed_of_types(project, (_SECURITY_POLICY,)) if project is not None else []
    most = 1
    for sp in policies:
        doms = sp.raw(f"{_FD_FIREWALL}.association.0.domain")
        if isinstance(doms, list):
            most = max(most, len(doms))
    pending = None
    for i in range(most):
        certain, maybe = attached(tf, (_SECURITY_POLICY,),
                                  f"{_FD_FIREWALL}.association.0.domain.{i}.cdn_frontdoor_domain_id",
                                  {"azurerm_cdn_frontdoor_endpoint"})
        if certain:
            sp = certain[0]
            r.set("web_acl", found(sp, f"{_FD_FIREWALL}.association.domain.cdn_frontdoor_domain_id",
                                   reference(sp, f"{_FD_FIREWALL}.cdn_frontdoor_firewall_policy_id") or sp.address))
            r.set("waf_mode", _policy_mode(sp, f"{_FD_FIREWALL}.cdn_frontdoor_firewall_policy_id",
                                           "azurerm_cdn_frontdoor_firewall_policy", "mode", "enabled", None))
            return
        pending = pending or (maybe or None)
    if pending:
        r.set("web_acl", Unknown(f"a security policy may cover it: {pending.why}", tf.origin("security policy")))
        return
    r.set("web_acl", none_found(tf, "azurerm_cdn_frontdoor_security_policy covering it"))
