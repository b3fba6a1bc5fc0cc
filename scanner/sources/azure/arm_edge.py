"""WAF-01, LOG-01 and NET-05 from Azure Resource Manager JSON (the fields of map_edge.py,
map_logs.py and map_public.py, with the same meaning).

* Application Gateways: the WAF tier with a firewall policy (its ``policySettings``, read by
  ID) or an enabled ``webApplicationFirewallConfiguration``.
* Front Door endpoints: a security policy of the profile whose WAF association names the
  endpoint, and that firewall policy's mode (read by ID).
* Virtual networks: an enabled flow log (``Microsoft.Network/networkWatchers/flowLogs``, read
  under each region's network watcher) whose ``targetResourceId`` is the network, or one on each
  NSG of its subnets.
* PostgreSQL flexible servers (VNet-integrated, or ``network.publicNetworkAccess``), SQL servers and
  Redis caches (``publicNetworkAccess``).

Joins across resources run once every listing has finished (``finish``); a read that failed leaves
the fields it feeds Unknown, naming the call.
"""
from __future__ import annotations

from typing import Any

from ...model import Resource
from ...values import Origin, Unknown, Value

SOURCE = "azure"


def _o(path: str, api: str | None) -> Origin:
    return Origin(SOURCE, path, api=api)


def _failure_unknown(f, path: str) -> Unknown:
    return Unknown(f.reason, _o(path, f.api))


# ----------------------------------------------------------------------------- NET-05
def public_access(arm_type: str, body: dict, api: str, r: Resource) -> None:
    props = body.get("properties") or {}
    if arm_type == "Microsoft.DBforPostgreSQL/flexibleServers":
        net = props.get("network") or {}
        if net.get("delegatedSubnetResourceId"):
            r.set("publicly_accessible", Value(False, _o("properties.network.delegatedSubnetResourceId "
                                                         "(VNet-integrated)", api)))
            return
        pna, path = net.get("publicNetworkAccess"), "properties.network.publicNetworkAccess"
    else:
        pna, path = props.get("publicNetworkAccess"), "properties.publicNetworkAccess"
    if pna is None:
        r.set("publicly_accessible", Unknown(f"{path} was not returned by {api}", _o(path, api)))
    else:
        # "SecuredByPerimeter" (SQL) admits only a network security perimeter's members
        r.set("publicly_accessible", Value(str(pna).lower() == "enabled", _o(f"{path} = {pna}", api)))


# ----------------------------------------------------------------------------- WAF-01: Application Gateway
def policy_mode(got: Any, path: str, settings: str, state_key: str) -> Value:
    """The mode of a firewall policy body read by ID: "Prevention" | "Detection" | "Disabled"."""
    if got is None:
        return Unknown("the firewall policy was not read", _o(path, None))
    if not isinstance(got, tuple):   # a Failure
        return _failure_unknown(got, path)
    body, api = got
    ps = (body.get("properties") or {}).get(settings) or {}
    state = str(ps.get(state_key) or "Enabled")
    if state.lower() == "disabled":
        return Value("Disabled", _o(f"{path}: properties.{settings}.{state_key}", api))
    mode = ps.get("mode")
    if not mode:
        return Unknown(f"properties.{settings}.mode was not returned by {api}", _o(path, api))
    return Value(str(mode), _o(f"{path}: properties.{settings}.mode", api))


def app_gateway_waf(body: dict, api: str, children: dict, r: Resource) -> None:
    props = body.get("properties") or {}
    tier = str((props.get("sku") or {}).get("tier") or "")
    if tier not in ("WAF_v2", "WAF"):
        r.set("web_acl", Value(None, _o(f"properties.sku.tier = {tier or '(none)'} (not a WAF tier)", api)))
        return
    pol = (props.get("firewallPolicy") or {}).get("id")
    if pol:
        r.set("web_acl", Value(pol, _o("properties.firewallPolicy.id", api)))
        r.set("waf_mode", policy_mode(children.get("firewallPolicy"), "firewallPolicy", "policySettings", "state"))
        return
    waf = props.get("webApplicationFirewallConfiguration") or {}
    if not waf.get("enabled"):
        r.set("web_acl", Value(None, _o("properties.webApplicationFirewallConfiguration.enabled (not enabled)", api)))
        return
    r.set("web_acl", Value("webApplicationFirewallConfiguration",
                           _o("properties.webApplicationFirewallConfiguration", api)))
    r.set("waf_mode", Value(waf.get("firewallMode"), _o("properties.webApplicationFirewallConfiguration"
                                                        ".firewallMode", api)) if waf.get("firewallMode") else
          Unknown("firewallMode was not returned", _o("properties.webApplicationFirewallConfiguration", api)))


# ----------------------------------------------------------------------------- WAF-01: Front Door endpoints
def front_door_endpoint(endpoint_id: str, children: dict, r: Resource) -> None:
    got = children.get("securityPolicies")
    if got is None or not isinstance(got, tuple):
        r.set("web_acl", Unknown("the profile's security policies were not read", _o("securityPolicies", None))
              if got is None else _failure_unknown(got, "securityPolicies"))
        return
    policies, api = got
    for sp in policies:
        params = (sp.get("properties") or {}).get("parameters") or {}
        if str(params.get("type", "")).lower() != "webapplicationfirewall":
            continue
        for assoc in params.get("associations") or []:
            if any(str(d.get("id", "")).lower() == endpoint_id.lower() for d in assoc.get("domains") or []):
                waf = (params.get("wafPolicy") or {}).get("id")
                r.set("web_acl", Value(waf or sp.get("id"), _o(f"securityPolicies/{sp.get('name')}: "
                                                               "properties.parameters.associations.domains", api)))
                r.set("waf_mode", policy_mode(children.get(f"wafPolicy:{(waf or '').lower()}"),
                                              f"securityPolicies/{sp.get('name')} wafPolicy", "policySettings",
                                              "enabledState"))
                return
    r.set("web_acl", Value(None, _o("securityPolicies (none associates this endpoint)", api)))


# ----------------------------------------------------------------------------- LOG-01: virtual networks
def vnet_flow_logged(body: dict, api: str, logs: list, failures: list) -> Value:
    """``logs``: (flow log body, api) of the subscription; ``failures``: the failed flow-log reads."""
    vid = str(body.get("id", "")).lower()
    enabled = {}
    for fl, fapi in logs:
        p = fl.get("properties") or {}
        target = str(p.get("targetResourceId") or "").lower()
        if target and p.get("enabled") is True:
            enabled.setdefault(target, (fl, fapi))
    if vid in enabled:
        fl, fapi = enabled[vid]
        return Value(True, _o(f"flowLogs/{fl.get('name')}: properties.targetResourceId, enabled", fapi))
    subnets = (body.get("properties") or {}).get("subnets") or []
    missing = []
    nsgs = []
    for s in subnets:
        nsg = (((s.get("properties") or {}).get("networkSecurityGroup")) or {}).get("id")
        if not nsg:
            missing.append(f"subnet {s.get('name')} has no network security group")
        else:
            nsgs.append(nsg)
    for nsg in nsgs:
        if nsg.lower() not in enabled:
            missing.append(f"{nsg.rsplit('/', 1)[-1]} has no enabled flow log")
    if not subnets:
        missing.append("no flow log names the network and it has no subnet")
    if failures:
        # a flow log that could not be read may record it
        f = failures[0]
        return Unknown(f"the flow logs are not all known: {f.reason}", _o("flowLogs", f.api))
    if missing:
        return Value(False, _o(f"flowLogs ({'; '.join(missing)})", api))
    return Value(True, _o(f"flowLogs (every NSG of its subnets: {', '.join(n.rsplit('/', 1)[-1] for n in nsgs)})",
                          api))
