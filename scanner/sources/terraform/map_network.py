"""Mappers for network and edge Terraform types: security groups and their rules,
TLS listeners and edge endpoints (see the FIELD CONTRACT in scanner.model).

Security-group rules become the model's rule dicts::

    {"protocol", "from_port", "to_port", "cidrs", "source_groups", "self", "origin"}

A part that a plan does not know is an ``Unknown`` inside the dict.  Azure NSG
rules also carry "access" ("allow"/"deny"), "priority" and "name", because an
NSG's effective rules depend on its deny rules and the platform's default
rules (rules/net.py applies them).  Every address prefix that means "any
address" in Azure ("*", "Any", "Internet") becomes "0.0.0.0/0", so rules see
one meaning of "the internet" on both clouds.
"""
from __future__ import annotations

import re
from typing import Any

from ...model import Resource
from ...values import Origin, Unknown, Value, holds_unknown
from .normalize import maps, ref_keys
from .tfmodel import MISSING, Refs, TfResource

LOWEST = "(lowest TLS version)"
TIER_TAG = "Tier"   # NET-* `tier_tag` default; rules re-read the tags when a profile names another key
INTERNET = "0.0.0.0/0"
_AZ_ANY = {"*", "any", "internet", "0.0.0.0/0", "0.0.0.0/0.0.0.0"}
_PROTOCOL_NUMBERS = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", "all": "-1", "*": "-1"}


# ----------------------------------------------------------------- shared helpers
def _origin(tf: TfResource, path: str, note: str = "") -> Origin:
    o = tf.origin(path)
    return Origin(o.source, f"{path} {note}" if note else path, o.file, o.line)


def _derived(field: str, value: Any, o: Origin, observed: str) -> Value:
    """A model field computed from what the source says, e.g.
    ``{"http_redirects_to_https (from default_action.0.type = forward)": false}``: the evidence
    key names the field and the observed setting, so a computed flag never appears as the
    value of the attribute it was computed from (``{"default_action.type": false}``)."""
    return Value(value, Origin(o.source, f"{field} (from {observed})", o.file, o.line))


def _shown(v: Any) -> str:
    return v if isinstance(v, str) else "null" if v is None else repr(v)


def _in_config(tf: TfResource, path: str) -> bool | None:
    """Whether ``path`` is written in configuration (None: cannot tell); see TfProject.declares."""
    return tf.project.declares(tf, path) if tf.project is not None else None


def _blocks(tf: TfResource, path: str) -> tuple[list[tuple[TfResource, str]] | Unknown, str]:
    """Nested blocks at ``path`` as (holder, prefix) pairs, the planned values first.

    When the planned value is unknown (a set with one unknown element is unknown
    as a whole), the blocks are rebuilt from configuration, whose references the
    holder resolves.  Returns (blocks | Unknown, how) where how says which was used.
    """
    raw = tf.raw(path)
    if isinstance(raw, list) and not holds_unknown(raw):
        return [(tf, f"{path}.{i}.") for i in range(len(raw))], "planned"
    if raw is MISSING or raw is None:
        return [], "planned"
    project = tf.project
    blocks = project.config_blocks(tf, path) if project is not None else None
    if blocks is not None:
        return [(b, "") for b in blocks], "configuration"
    if isinstance(raw, Unknown) and _in_config(tf, path) is False:
        return [], "not in configuration"
    reason = raw.reason if isinstance(raw, Unknown) else "partly known after apply"
    return Unknown(f"{path} is {reason} and the configuration does not show its blocks", tf.origin(path)), "unknown"


def _plain(src: TfResource, path: str, default=None):
    """The raw value at path: the value, an Unknown, or ``default`` when absent/null."""
    v = src.raw(path)
    if v is MISSING or v is None:
        return default
    if isinstance(v, Unknown):
        return Unknown(v.reason, src.origin(path))
    return v


def _protocol(p) -> Any:
    if isinstance(p, Unknown) or p is None:
        return p
    s = str(p).strip().lower()
    return _PROTOCOL_NUMBERS.get(s, s)


def _port(p) -> Any:
    if isinstance(p, Unknown) or p is None:
        return p
    try:
        return int(p)
    except (TypeError, ValueError):
        return Unknown(f"port {p!r} is not a number")


def _strings(*parts) -> list:
    """Concatenate string lists. An unknown part or element stays in the list as an Unknown
    element: a known internet CIDR beside it still decides a fail (known beats unknown)."""
    out: list = []
    for p in parts:
        if p is None:
            continue
        for x in (p if isinstance(p, list) else [p]):
            if isinstance(x, Unknown) or (isinstance(x, str) and x):
                out.append(x)
    return out


def _group_refs(src: TfResource, path: str, from_config: bool, conflicts: bool) -> list[str] | Unknown:
    """Keys of the security groups an attribute names.

    Planned (known) values keep only their literal ids: a set's order in the
    plan need not match the configuration, so references are read only from
    configuration blocks.  An attribute unknown with no reference that conflicts
    with a known CIDR/self source (AWS allows one source per rule) is empty.
    """
    raw = src.raw(path)
    if from_config or isinstance(raw, Unknown):
        v = ref_keys(src, path)
        if v.known:
            return list(v.value)
        if conflicts:
            return []
        if not from_config and _in_config(src, path) is False:
            return []
        return Unknown(v.reason, v.origin)
    got = _strings(raw if raw is not MISSING else None)
    return got


def _tier(r: Resource) -> Value:
    """The Tier tag of a resource, as the model's `tier` field (None = untiered)."""
    tags = r["tags"]
    origin = Origin(tags.origin.source, f"tags.{TIER_TAG}", tags.origin.file, tags.origin.line)
    if not r.has("tags"):
        return Value(None, origin)
    if not tags.known:
        return Unknown(f"the tags are not known ({tags.reason})", origin)
    t = tags.value or {}
    v = t.get(TIER_TAG)
    if v is None and r.provider == "azure":   # Azure tag names are case-insensitive
        v = next((x for k, x in t.items() if k.lower() == TIER_TAG.lower()), None)
    if isinstance(v, Unknown):
        return Unknown(f"the {TIER_TAG} tag is {v.reason}", origin)
    if v is None:
        star = t.get("*")
        if isinstance(star, Unknown):
            return Unknown(f"no {TIER_TAG} tag is set on the resource, and {star.reason}", origin)
        return Value(None, origin)
    return Value(str(v).strip().lower() or None, origin)


# ----------------------------------------------------------------- AWS security groups
def _aws_rule(src: TfResource, pre: str, origin: Origin, from_config: bool, *, sg_attr: str,
              cidr_attrs: tuple[str, ...], self_attr: str | None = "self", proto_attr: str = "protocol") -> dict:
    proto = _protocol(_plain(src, pre + proto_attr))
    cidrs = _strings(*[_plain(src, pre + a) for a in cidr_attrs])
    is_self = _plain(src, pre + self_attr, False) if self_attr else False
    conflicts = any(isinstance(c, str) for c in cidrs) or is_self is True
    groups = _group_refs(src, pre + sg_attr, from_config, conflicts)
    lo, hi = _port(_plain(src, pre + "from_port")), _port(_plain(src, pre + "to_port"))
    if proto == "-1":
        lo, hi = 0, 65535   # all protocols means all ports, whatever the ports say
    return {"protocol": proto, "from_port": lo, "to_port": hi, "cidrs": cidrs, "source_groups": groups,
            "self": is_self, "origin": origin}


@maps("aws_security_group", kind="security_group")
def aws_security_group(tf: TfResource, r: Resource) -> None:
    r.set("tier", _tier(r))
    for direction in ("ingress", "egress"):
        blocks, how = _blocks(tf, direction)
        origin = _origin(tf, direction, "" if how == "planned" else f"({how})")
        if isinstance(blocks, Unknown):
            r.set(direction, blocks)
            continue
        rules = [_aws_rule(src, pre, origin, how == "configuration", sg_attr="security_groups",
                           cidr_attrs=("cidr_blocks", "ipv6_cidr_blocks", "prefix_list_ids"))
                 for src, pre in blocks]
        r.set(direction, Value(rules, origin))


_SG_DATA = re.compile(r"(?:^|\.)data\.aws_security_group\.")


def _rule_group(tf: TfResource) -> Value:
    """The group a separate rule belongs to; when it is one of several groups of this configuration
    (a conditional, a selector not known), a link.Maybe naming them: the rule may be in each; "*"
    (any AWS group) when it is known only after apply and names none here, or reads a group data
    source (which may be one this configuration manages)."""
    g = ref_keys(tf, "security_group_id")
    if g.known:
        data = [k for k in g.value or [] if isinstance(k, str) and _SG_DATA.search(k)]
        if data and len(data) == len(g.value):
            # a group read from a data source may be one this configuration manages
            from ...link import Maybe
            return Maybe(f"{', '.join(data)} is read at apply time: it may be any security group",
                         g.origin, "*")
        return g
    from ...link import Maybe
    refs = tf.refs("security_group_id") or []
    if isinstance(refs, Refs) and refs.possible:
        return Maybe(g.reason, g.origin, list(refs))
    if not refs:
        return Maybe(g.reason, g.origin, "*")   # known only after apply, naming nothing here: any group
    return g


@maps("aws_security_group_rule", kind="sg_rule")
def aws_security_group_rule(tf: TfResource, r: Resource) -> None:
    r.set("group", _rule_group(tf))
    d = _plain(tf, "type")
    r.set("direction", d if isinstance(d, Unknown) else Value(d, tf.origin("type")))
    origin = _origin(tf, "type", f"({tf.address})")
    rule = _aws_rule(tf, "", origin, False, sg_attr="source_security_group_id",
                     cidr_attrs=("cidr_blocks", "ipv6_cidr_blocks", "prefix_list_ids"))
    r.set("rule", Value(rule, origin))


@maps("aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule", kind="sg_rule")
def aws_vpc_security_group_rule(tf: TfResource, r: Resource) -> None:
    r.set("group", _rule_group(tf))
    direction = "ingress" if tf.type.endswith("_ingress_rule") else "egress"
    r.set("direction", Value(direction, Origin(tf.source, "type", tf.file, tf.line)))
    origin = Origin(tf.source, tf.address, tf.file, tf.line)
    rule = _aws_rule(tf, "", origin, False, sg_attr="referenced_security_group_id",
                     cidr_attrs=("cidr_ipv4", "cidr_ipv6", "prefix_list_id"), self_attr=None, proto_attr="ip_protocol")
    r.set("rule", Value(rule, origin))


# ----------------------------------------------------------------- Azure NSGs
def _nsg_key(rg, name) -> str | None:
    if isinstance(rg, str) and isinstance(name, str) and rg and name:
        return f"azurerm-nsg:{rg.lower()}/{name.lower()}"
    return None


def _az_port_ranges(src: TfResource, pre: str) -> list[tuple] | Unknown:
    got = _strings(_plain(src, pre + "destination_port_range"), _plain(src, pre + "destination_port_ranges"))
    if isinstance(got, Unknown):
        return got
    out = []
    for p in got:
        if isinstance(p, Unknown):   # _strings keeps unknown elements: a range that is not known
            out.append((p, p))
            continue
        p = p.strip()
        if p in ("*", "any", "Any"):
            out.append((0, 65535))
        elif "-" in p:
            a, _, b = p.partition("-")
            out.append((_port(a), _port(b)))
        else:
            out.append((_port(p), _port(p)))
    return out


def _az_prefixes(src: TfResource, pre: str, side: str) -> list[str] | Unknown:
    got = _strings(_plain(src, f"{pre}{side}_address_prefix"), _plain(src, f"{pre}{side}_address_prefixes"))
    if isinstance(got, Unknown):
        return got
    return [p if isinstance(p, Unknown) else INTERNET if p.strip().lower() in _AZ_ANY else p.strip() for p in got]


def _az_rules(src: TfResource, pre: str, origin: Origin, from_config: bool) -> tuple[str | Unknown, list[dict]]:
    """One model rule per destination port range of an NSG security rule."""
    direction = _plain(src, pre + "direction")
    side = "source"
    if isinstance(direction, str):
        inbound = direction.lower() == "inbound"
        side = "source" if inbound else "destination"
        direction = "ingress" if inbound else "egress"
    access = _plain(src, pre + "access")
    access = access.lower() if isinstance(access, str) else access
    prefixes = _az_prefixes(src, pre, side)
    asg_path = pre + f"{side}_application_security_group_ids"
    asgs = ref_keys(src, asg_path) if (from_config or isinstance(src.raw(asg_path), Unknown)) else None
    groups = (list(asgs.value) if asgs.known else Unknown(asgs.reason, asgs.origin)) if asgs is not None \
        else _strings(_plain(src, asg_path))
    prio = _plain(src, pre + "priority")
    name = _plain(src, pre + "name")
    proto = _protocol(_plain(src, pre + "protocol"))
    ranges = _az_port_ranges(src, pre)
    base = {"protocol": proto, "cidrs": prefixes, "source_groups": groups, "self": False, "origin": origin,
            "access": access, "priority": prio, "name": name}
    if isinstance(ranges, Unknown):
        return direction, [dict(base, from_port=ranges, to_port=ranges)]
    if proto == "-1" or not ranges:
        ranges = ranges or [(0, 65535)]
    return direction, [dict(base, from_port=lo, to_port=hi) for lo, hi in ranges]


@maps("azurerm_network_security_group", kind="security_group")
def azurerm_network_security_group(tf: TfResource, r: Resource) -> None:
    key = _nsg_key(tf.raw("resource_group_name"), tf.raw("name"))
    if key:
        r.keys.add(key)
    r.set("tier", _tier(r))
    blocks, how = _blocks(tf, "security_rule")
    origin = _origin(tf, "security_rule", "" if how == "planned" else f"({how})")
    if isinstance(blocks, Unknown):
        r.set("ingress", blocks)
        r.set("egress", blocks)
        return
    found: dict[str, list] = {"ingress": [], "egress": []}
    for src, pre in blocks:
        direction, rules = _az_rules(src, pre, origin, how == "configuration")
        if isinstance(direction, Unknown) or direction not in found:
            for d in found:   # a rule of unknown direction may be either
                found[d].append(Unknown("the direction of an NSG rule is not known", origin))
            continue
        found[direction] += rules
    for d, rules in found.items():
        r.set(d, Value(rules, origin))


@maps("azurerm_network_security_rule", kind="sg_rule")
def azurerm_network_security_rule(tf: TfResource, r: Resource) -> None:
    refs = tf.refs("network_security_group_name") or []
    key = _nsg_key(tf.raw("resource_group_name"), tf.raw("network_security_group_name"))
    keys = list(dict.fromkeys(refs + ([key] if key else [])))
    if keys:
        r.set("group", Value(keys, tf.origin("network_security_group_name")))
    else:
        r.set("group", Unknown("the rule's network security group could not be resolved",
                               tf.origin("network_security_group_name")))
    origin = Origin(tf.source, tf.address, tf.file, tf.line)
    direction, rules = _az_rules(tf, "", origin, False)
    r.set("direction", direction if isinstance(direction, Unknown) else
          _derived("direction", direction, tf.origin("direction"), f"direction = {_shown(tf.raw('direction'))}"))
    r.set("rule", Value(rules, origin))


@maps("azurerm_application_security_group", kind="application_security_group")
def azurerm_application_security_group(tf: TfResource, r: Resource) -> None:
    r.set("tier", _tier(r))


# ----------------------------------------------------------------- listeners
ELB_POLICY_MIN = (  # ELB security policy name fragments -> lowest TLS version it accepts
    ("TLS13-1-3", "1.3"), ("TLS13-1-2", "1.2"), ("TLS13-1-1", "1.1"), ("TLS13-1-0", "1.0"),
    ("TLS-1-2", "1.2"), ("FS-1-2", "1.2"), ("TLS-1-1", "1.1"), ("FS-1-1", "1.1"),
    ("FS-2018-06", "1.0"), ("2016-08", "1.0"), ("2015-05", "1.0"), ("2015-", "1.0"), ("2014-", "1.0"),
)


def elb_policy_min(policy: str) -> str | None:
    for frag, ver in ELB_POLICY_MIN:
        if frag in policy:
            return ver
    return None


@maps("aws_lb_listener", "aws_alb_listener", kind="tls_listener")
def aws_lb_listener(tf: TfResource, r: Resource) -> None:
    proto = _plain(tf, "protocol")
    po = tf.origin("protocol")
    if proto is None or (isinstance(proto, Unknown) and _in_config(tf, "protocol") is False):
        # Left out, an Application Load Balancer listener is HTTP (a Network LB needs it set).
        proto, po = "HTTP", _origin(tf, "protocol", "(not set: HTTP, the ALB default)")
    if isinstance(proto, Unknown):
        r.set("protocol", proto)
        for f in ("terminates_tls", "plain_http"):
            r.set(f, Unknown(f"the listener protocol is {proto.reason}", po))
    else:
        p = str(proto).upper()
        r.set("protocol", Value(p, po))
        seen = f"{po.path} = {proto}"
        r.set("terminates_tls", _derived("terminates_tls", p in ("HTTPS", "TLS"), po, seen))
        r.set("plain_http", _derived("plain_http", p == "HTTP", po, seen))
        if p in ("HTTPS", "TLS"):
            _elb_policy(tf, r)
        if p == "HTTP":
            r.set("http_redirects_to_https", _elb_redirects(tf))


def _elb_policy(tf: TfResource, r: Resource) -> None:
    pol = _plain(tf, "ssl_policy")
    if pol is None or (isinstance(pol, Unknown) and _in_config(tf, "ssl_policy") is False):
        # Left out, AWS picks its default policy; no default has ever been TLS 1.3-only.
        r.set("tls_policy", Value(None, _origin(tf, "ssl_policy", "(not set: the AWS default policy applies)")))
        r.set("tls_min_version", _derived("tls_min_version", "1.0", tf.origin("ssl_policy"),
                                          "ssl_policy not set: ELBSecurityPolicy-2016-08 or a later default"))
        return
    if isinstance(pol, Unknown):
        r.set("tls_policy", pol)
        r.set("tls_min_version", Unknown(f"the TLS policy is {pol.reason}", tf.origin("ssl_policy")))
        return
    r.set("tls_policy", Value(pol, tf.origin("ssl_policy")))
    ver = elb_policy_min(pol)
    r.set("tls_min_version", Value(ver, _origin(tf, "ssl_policy", LOWEST)) if ver else
          Unknown(f"the lowest TLS version of policy {pol} is not known", tf.origin("ssl_policy")))


def _elb_redirects(tf: TfResource) -> Value:
    blocks, how = _blocks(tf, "default_action")
    o = _origin(tf, "default_action")
    if isinstance(blocks, Unknown):
        return blocks
    if not blocks:
        return _derived("http_redirects_to_https", False, o, "no default_action")
    types = []
    for i, (src, pre) in enumerate(blocks):
        typ = _plain(src, pre + "type")
        if isinstance(typ, Unknown):
            return Unknown(f"the default action type is {typ.reason}", o)
        types.append(f"default_action.{i}.type = {_shown(typ)}")
        if typ != "redirect":
            continue
        proto = _plain(src, pre + "redirect.0.protocol")
        if isinstance(proto, Unknown):
            return Unknown(f"the redirect protocol is {proto.reason}", o)
        return _derived("http_redirects_to_https", str(proto).upper() == "HTTPS",
                        tf.origin(f"default_action.{i}.redirect.0.protocol"),
                        f"default_action.{i}.redirect.0.protocol = {_shown(proto)}")
    return _derived("http_redirects_to_https", False, tf.origin("default_action.0.type"), ", ".join(types))


# Predefined Application Gateway policies -> their minimum protocol (Microsoft's published list).
APPGW_PREDEFINED = {
    "appgwsslpolicy20150501": "1.0", "appgwsslpolicy20170401": "1.1", "appgwsslpolicy20170401s": "1.2",
    "appgwsslpolicy20220101": "1.2", "appgwsslpolicy20220101s": "1.2",
}


def _tls_ver(v) -> str | None:
    """TLSv1_2 / TLS1_2 / TLS12 / 1.2 -> "1.2"."""
    if not isinstance(v, str):
        return None
    s = v.upper().replace("TLSV", "").replace("TLS", "").replace("_", ".").strip(" .")
    if len(s) == 2 and s.isdigit():
        s = f"{s[0]}.{s[1]}"
    return s if s in ("1.0", "1.1", "1.2", "1.3") else None


@maps("azurerm_application_gateway", kind="tls_listener")
def azurerm_application_gateway(tf: TfResource, r: Resource) -> None:
    listeners, _ = _blocks(tf, "http_listener")
    lo = tf.origin("http_listener")
    if isinstance(listeners, Unknown):
        for f in ("protocol", "terminates_tls", "plain_http"):
            r.set(f, listeners)
    else:
        protos = {}
        for src, pre in listeners:
            protos[_plain(src, pre + "name")] = _plain(src, pre + "protocol")
        if any(isinstance(p, Unknown) for p in protos.values()):
            u = Unknown("a listener's protocol is not known", lo)
            for f in ("protocol", "terminates_tls", "plain_http"):
                r.set(f, u)
        else:
            https = {n for n, p in protos.items() if str(p).lower() == "https"}
            http = {n for n, p in protos.items() if str(p).lower() == "http"}
            seen = "http_listener protocols " + (", ".join(f"{_shown(n)} = {_shown(p)}" for n, p in protos.items())
                                                 or "(no listener)")
            r.set("protocol", _derived("protocol", "HTTPS" if https else "HTTP", lo, seen))
            r.set("terminates_tls", _derived("terminates_tls", bool(https), lo, seen))
            r.set("plain_http", _derived("plain_http", bool(http), lo, seen))
            if http:
                r.set("http_redirects_to_https", _appgw_redirects(tf, http, https))
    if r["terminates_tls"].known and r["terminates_tls"].value is False:
        return
    _appgw_policy(tf, r)


def _appgw_policy(tf: TfResource, r: Resource) -> None:
    pol = tf.block("ssl_policy")
    o = tf.origin("ssl_policy")
    if isinstance(pol, Unknown):
        r.set("tls_policy", Unknown(pol.reason, o))
        r.set("tls_min_version", Unknown(pol.reason, o))
        return
    if isinstance(pol, dict) and holds_unknown(pol):
        r.set("tls_policy", Unknown("part of ssl_policy is known only after apply", o))
        r.set("tls_min_version", Unknown("part of ssl_policy is known only after apply", o))
        return
    if pol is MISSING or pol is None:
        # The gateway's default policy: AppGwSslPolicy20150501 (TLS 1.0) before API 2023-02-01,
        # AppGwSslPolicy20220101 (TLS 1.2) since; take the older, so no default ever passes a 1.2 floor unseen.
        r.set("tls_policy", Value(None, _origin(tf, "ssl_policy", "(not set: the gateway's default policy)")))
        r.set("tls_min_version", _derived("tls_min_version", "1.0", o, "ssl_policy not set: "
                                          "AppGwSslPolicy20150501 on older API versions"))
        return
    typ = str(pol.get("policy_type") or "").lower()
    name = pol.get("policy_name")
    if typ == "predefined" or (name and not typ):
        r.set("tls_policy", Value(name, _origin(tf, "ssl_policy.policy_name")))
        ver = APPGW_PREDEFINED.get(str(name).lower())
        r.set("tls_min_version", Value(ver, _origin(tf, "ssl_policy.policy_name", LOWEST)) if ver else
              Unknown(f"the lowest TLS version of predefined policy {name} is not known", o))
        return
    if pol.get("policy_type"):
        r.set("tls_policy", Value(pol["policy_type"], _origin(tf, "ssl_policy.policy_type")))
    else:
        r.set("tls_policy", Value("legacy", _origin(tf, "ssl_policy.policy_type", "(not set: a legacy policy)")))
    ver = _tls_ver(pol.get("min_protocol_version"))
    if ver:
        r.set("tls_min_version", Value(ver, _origin(tf, "ssl_policy.min_protocol_version")))
        return
    disabled = {_tls_ver(p) for p in (pol.get("disabled_protocols") or []) if isinstance(p, str)}
    if disabled and not typ:
        low = next((v for v in ("1.0", "1.1", "1.2", "1.3") if v not in disabled), None)
        r.set("tls_min_version", Value(low, _origin(tf, "ssl_policy.disabled_protocols", LOWEST)))
        return
    r.set("tls_min_version", Unknown("the custom policy sets no min_protocol_version", o))


def _appgw_redirects(tf: TfResource, http: set, https: set) -> Value:
    o = _origin(tf, "redirect_configuration")
    redirects = {}
    blocks, _ = _blocks(tf, "redirect_configuration")
    if isinstance(blocks, Unknown):
        return blocks
    for src, pre in blocks:
        target = _plain(src, pre + "target_listener_name")
        url = _plain(src, pre + "target_url")
        redirects[_plain(src, pre + "name")] = target in https or (isinstance(url, str) and url.lower().startswith("https://"))
    rules, _ = _blocks(tf, "request_routing_rule")
    if isinstance(rules, Unknown):
        return rules
    routed: dict[str, list] = {}
    for src, pre in rules:
        routed.setdefault(_plain(src, pre + "http_listener_name"), []).append(_plain(src, pre + "redirect_configuration_name"))
    for name in sorted(http, key=str):
        targets = routed.get(name)
        if not targets or not all(redirects.get(t) is True for t in targets):
            shown = ", ".join(_shown(t) for t in targets or [None])
            return _derived("http_redirects_to_https", False, o,
                            f"request_routing_rule for http_listener {name}: redirect_configuration_name = {shown}, "
                            f"not a redirect to an https listener")
    names = ", ".join(_shown(n) for n in sorted(http, key=str))
    return _derived("http_redirects_to_https", True, o,
                    f"request_routing_rule for http_listener {names}: a redirect_configuration to https")


# ----------------------------------------------------------------- edge endpoints
def cloudfront_policy_version(p: str) -> str | None:
    """TLSv1.2_2021 -> 1.2, TLSv1_2016 / TLSv1 -> 1.0, SSLv3 -> 0 (below any TLS)."""
    if not isinstance(p, str):
        return None
    if p.upper().startswith("SSL"):
        return "0"
    head = p.split("_", 1)[0].replace("TLSv", "")
    return {"1": "1.0", "1.1": "1.1", "1.2": "1.2", "1.3": "1.3"}.get(head)


@maps("aws_cloudfront_distribution", kind="edge_endpoint")
def aws_cloudfront_distribution(tf: TfResource, r: Resource) -> None:
    policies = [_plain(tf, "default_cache_behavior.0.viewer_protocol_policy")]
    ordered, _ = _blocks(tf, "ordered_cache_behavior")
    if isinstance(ordered, Unknown):
        policies.append(ordered)
    else:
        policies += [_plain(src, pre + "viewer_protocol_policy") for src, pre in ordered]
    o = tf.origin("default_cache_behavior")
    if any(p == "allow-all" for p in policies):
        r.set("allows_plain_http", _derived("allows_plain_http", True, tf.origin("viewer_protocol_policy"),
                                            "viewer_protocol_policy = allow-all"))
    elif any(isinstance(p, Unknown) for p in policies):
        r.set("allows_plain_http", Unknown("a cache behaviour's viewer_protocol_policy is not known", o))
    else:
        seen = ", ".join(dict.fromkeys(_shown(p) for p in policies))
        r.set("allows_plain_http", _derived("allows_plain_http", False, tf.origin("viewer_protocol_policy"),
                                            f"viewer_protocol_policy = {seen}"))
    default_cert = _plain(tf, "viewer_certificate.0.cloudfront_default_certificate", False)
    mpv = _plain(tf, "viewer_certificate.0.minimum_protocol_version")
    if default_cert is True:
        # With the *.cloudfront.net certificate CloudFront uses TLSv1 whatever the setting says.
        vo = tf.origin("viewer_certificate.0.cloudfront_default_certificate")
        r.set("tls_policy", _derived("tls_policy", "TLSv1", vo, "viewer_certificate.cloudfront_default_certificate = "
                                                               "true: CloudFront's certificate uses TLSv1"))
        r.set("tls_min_version", Value("1.0", _origin(tf, "viewer_certificate.cloudfront_default_certificate",
                                                      LOWEST)))
        return
    if isinstance(mpv, Unknown) or mpv is None:
        u = mpv if mpv is not None else Unknown("minimum_protocol_version is not set", tf.origin("viewer_certificate"))
        r.set("tls_policy", u)
        r.set("tls_min_version", u)
        return
    vo = tf.origin("viewer_certificate.0.minimum_protocol_version")
    r.set("tls_policy", Value(mpv, vo))
    ver = cloudfront_policy_version(mpv)
    r.set("tls_min_version", Value(ver, _origin(tf, "viewer_certificate.0.minimum_protocol_version", LOWEST)) if ver else Unknown(f"unrecognised policy {mpv}", vo))


def api_gateway_policy_version(p: str) -> str | None:
    """TLS_1_0 / TLS_1_2 and the SecurityPolicy_TLS13_1_x_* policies -> lowest version accepted."""
    if not isinstance(p, str):
        return None
    u = p.upper()
    for frag, ver in (("TLS13_1_3", "1.3"), ("TLS13_1_2", "1.2"), ("TLS_1_2", "1.2"), ("TLS_1_0", "1.0")):
        if frag in u:
            return ver
    return None


def _https_only(tf: TfResource, r: Resource) -> None:
    r.set("allows_plain_http", Value(False, Origin(tf.source, "allows_plain_http (API Gateway custom domains "
                                                              "serve HTTPS only)", tf.file, tf.line)))


@maps("aws_api_gateway_domain_name", "aws_apigatewayv2_domain_name", kind="edge_endpoint")
def aws_api_gateway_domain_name(tf: TfResource, r: Resource) -> None:
    _https_only(tf, r)
    path = "security_policy" if tf.type == "aws_api_gateway_domain_name" else \
        "domain_name_configuration.0.security_policy"
    pol = _plain(tf, path)
    o = tf.origin(path)
    if isinstance(pol, Unknown) or pol is None:
        u = pol if pol is not None else Unknown("security_policy is not set", o)
        r.set("tls_policy", u)
        r.set("tls_min_version", u)
        return
    r.set("tls_policy", Value(pol, o))
    ver = api_gateway_policy_version(pol)
    r.set("tls_min_version", Value(ver, _origin(tf, path, LOWEST)) if ver else Unknown(f"unrecognised security policy {pol}", o))


@maps("azurerm_cdn_frontdoor_custom_domain", kind="edge_endpoint")
def azurerm_cdn_frontdoor_custom_domain(tf: TfResource, r: Resource) -> None:
    v = _plain(tf, "tls.0.minimum_tls_version")
    if v is None and not isinstance(tf.raw("tls"), Unknown):
        # The provider's default is TLS12 (the schema default; plans normally show it).
        r.set("tls_policy", Value("TLS12", _origin(tf, "tls.minimum_tls_version", "(default)")))
        r.set("tls_min_version", Value("1.2", _origin(tf, "tls.minimum_tls_version", "(default) " + LOWEST)))
        return
    o = tf.origin("tls.0.minimum_tls_version")
    if isinstance(v, Unknown) or v is None:
        u = v if v is not None else Unknown("the tls block is not known", o)
        r.set("tls_policy", u)
        r.set("tls_min_version", u)
        return
    r.set("tls_policy", Value(v, o))
    ver = _tls_ver(v)
    r.set("tls_min_version", Value(ver, _origin(tf, "tls.0.minimum_tls_version", LOWEST)) if ver else Unknown(f"unrecognised minimum_tls_version {v}", o))
