"""NET: security-group tiering (seed 003 §4.2).

A group's tier is the value of its tier tag (`tier_tag`, default "Tier").
Each ingress rule is checked source by source: a (protocol, port range,
source) is allowed when some entry of the tier's `allowed_ingress` covers the
whole port range on that protocol from that source.  An entry's "from" lists
tiers, or "internet" (then any source is allowed on those ports: whoever may
reach a port from the internet may reach it from anywhere).  A source group
whose tier cannot be seen (a reference that does not resolve, a group outside
the scanned resources, tags known only after apply) makes the rule unknown.

Azure NSGs: a user's deny rules and the platform's default rules decide what is
really allowed, so `effective_rules` applies them before checking (see there).
"""
from __future__ import annotations

import ipaddress

from scanner.controls import Check, control
from scanner.link import Maybe
from scanner.values import FALSE, TRUE, Origin, Tri, Unknown, Value, tri, unknown_tri

SOC2 = ["CC6.6", "CC6.1"]
# The tier values CONTROLS.md names.  NET-04 checks every group whose tier is not one of
# `tiers` (no tag, or an unrecognised value).  The monitoring tier has no NET control of its
# own: a profile that drops it from NET-04's `tiers` puts monitoring groups under NET-04.
TIERS = ["web", "app", "db", "monitoring"]
NSG_TYPES = ("azurerm_network_security_group",)

# Azure's default NSG rules that allow traffic (priority 65000+): any user rule outranks them,
# so a user deny rule covering one removes it.  AllowAzureLoadBalancerInBound is left out on
# purpose: it admits only the platform's health probe (168.63.129.16), not a tier's clients.
AZURE_DEFAULTS = {
    "ingress": [{"name": "AllowVnetInBound", "default": True, "priority": 65000, "access": "allow",
                 "protocol": "-1", "from_port": 0, "to_port": 65535, "cidrs": ["VirtualNetwork"],
                 "source_groups": [], "self": False}],
    "egress": [{"name": "AllowInternetOutBound", "default": True, "priority": 65001, "access": "allow",
                "protocol": "-1", "from_port": 0, "to_port": 65535, "cidrs": ["0.0.0.0/0"],
                "source_groups": [], "self": False}],
}


# ----------------------------------------------------------------- tiers
def tier_of(r, key: str) -> Value:
    """The tier (lower-case tag value; None = untiered) from the resource's tags, else its `tier` field."""
    if not r.has("tags"):
        return r["tier"] if r.has("tier") else Value(None, Origin(r.source, f"tags.{key}"))
    tags = r["tags"]
    origin = Origin(tags.origin.source, f"tags.{key}", tags.origin.file, tags.origin.line, tags.origin.api)
    if not tags.known:
        return Unknown(f"the tags are not known ({tags.reason})", origin)
    t = tags.value or {}
    v = t.get(key)
    if v is None and r.provider == "azure":  # Azure tag names are case-insensitive
        v = next((x for k, x in t.items() if str(k).lower() == key.lower()), None)
    if isinstance(v, Unknown):
        return Unknown(f"the {key} tag is {v.reason}", origin)
    if v is None:
        star = t.get("*")
        if isinstance(star, Unknown):
            return Unknown(f"no {key} tag on the resource itself, and {star.reason}", origin)
        return Value(None, origin)
    return Value(str(v).strip().lower() or None, origin)


# ----------------------------------------------------------------- rule entries
def _is_internet(cidr: str) -> bool:
    try:
        return ipaddress.ip_network(cidr, strict=False).prefixlen == 0
    except ValueError:
        return False


def _ports(e: dict) -> str:
    proto, lo, hi = e.get("protocol"), e.get("from_port"), e.get("to_port")
    if isinstance(proto, Unknown):
        return "a protocol known only after apply"
    if proto == "-1":
        return "all traffic"
    if isinstance(lo, Unknown) or isinstance(hi, Unknown):
        return f"{proto} ports known only after apply"
    return f"{proto} {lo}" if lo == hi else f"{proto} {lo}-{hi}"


def _sources(e: dict, group, ctx, key: str) -> list[tuple[str, str, Value | None]]:
    """(label, kind, tier) for each source of a rule: kind internet|cidr|group|unknown."""
    out: list[tuple[str, str, Value | None]] = []
    cidrs = _part(e, "cidrs")
    if isinstance(cidrs, Unknown):
        out.append(("addresses known only after apply", "unknown", cidrs))
    else:
        for c in cidrs:
            if isinstance(c, Unknown):
                out.append((f"an address that is not known ({c.reason})", "unknown", c))
            else:
                out.append((c, "internet" if _is_internet(c) else "cidr", None))
    groups = _part(e, "source_groups")
    if isinstance(groups, Unknown):
        out.append(("a security group that could not be resolved", "unknown", groups))
    else:
        for k in groups:
            if isinstance(k, Unknown):
                out.append(("a security group that could not be resolved", "unknown", k))
                continue
            g = ctx.lookup(k)
            if g is None:
                out.append((k, "group", Unknown(f"group {k} is not among the scanned resources, so its tier "
                                                "cannot be seen", Origin("derived", "source_groups"))))
            else:
                t = tier_of(g, key)
                out.append((f"{g.address} (tier {t.value})" if t.known else g.address, "group", t))
    if e.get("self") is True:
        t = tier_of(group, key)
        out.append((f"itself (tier {t.value})", "group", t))
    elif isinstance(e.get("self"), Unknown):
        out.append(("itself (not known)", "unknown", e["self"]))
    return out


def _part(e: dict, key: str):
    """A list part of a rule dict: the list, an Unknown, or [] when absent (never `x or []` on a Value)."""
    v = e.get(key)
    return [] if v is None else v


def _covers(entry: dict, e: dict, kind: str, tier: Value | None) -> Tri:
    """Whether an allowed_ingress entry covers rule e from one source."""
    want = str(entry.get("protocol", "tcp")).lower()
    proto = e.get("protocol")
    proto_ok = unknown_tri(proto.reason) if isinstance(proto, Unknown) else tri(want == "-1" or proto == want)
    lo, hi = e.get("from_port"), e.get("to_port")
    allowed = {int(p) for p in entry.get("ports") or []}
    if isinstance(lo, Unknown) or isinstance(hi, Unknown):
        ports_ok = unknown_tri((lo if isinstance(lo, Unknown) else hi).reason)
    elif lo is None or hi is None:
        ports_ok = FALSE
    else:
        lo, hi = min(lo, hi), max(lo, hi)   # a reversed range is read as the widest it could mean
        ports_ok = tri(hi - lo + 1 <= len(allowed) and all(p in allowed for p in range(lo, hi + 1)))
    froms = {str(f).lower() for f in entry.get("from") or []}
    if froms & {"internet", "any"}:
        src_ok = TRUE
    elif kind == "unknown":
        src_ok = unknown_tri(tier.reason if isinstance(tier, Unknown) else "source not known")
    elif kind == "group" and not tier.known:
        src_ok = unknown_tri(tier.reason)
    elif kind == "group":
        src_ok = tri(tier.value is not None and tier.value in froms)
    else:
        src_ok = FALSE
    return proto_ok & ports_ok & src_ok


def _describe(allowed: list[dict]) -> str:
    parts = []
    for a in allowed:
        ports = "/".join(str(p) for p in a.get("ports") or [])
        parts.append(f"{ports}/{a.get('protocol', 'tcp')} from {' or '.join(a.get('from') or [])}")
    return ", ".join(parts) or "nothing"


# ----------------------------------------------------------------- Azure NSG semantics
def effective_rules(group, direction: str) -> Value:
    """The group's allow rules of one direction, after deny rules and platform defaults.

    AWS groups hold allow rules only: returned as they are.  For an NSG, the
    default allow rules are added, and an allow rule is dropped when a deny rule
    of higher precedence (lower priority number) covers all of it; a deny that
    covers only part of it, or whose parts are unknown, drops nothing (so a
    doubt never turns into a pass).
    """
    cur = group[direction]
    if not cur.known:
        return cur
    entries = list(cur.value or [])
    if group.type not in NSG_TYPES and not any(isinstance(x, dict) and "priority" in x for x in entries):
        return cur
    entries += [dict(d, origin=Origin(group.source, d["name"])) for d in AZURE_DEFAULTS[direction]]
    denies = [x for x in entries if isinstance(x, dict) and x.get("access") == "deny"]
    kept = []
    for x in entries:
        if isinstance(x, dict) and x.get("access") == "deny":
            continue
        if isinstance(x, dict) and x.get("access") not in (None, "allow"):
            kept.append(Unknown(f"whether NSG rule {x.get('name')} allows or denies is not known",
                                x.get("origin") or cur.origin))
            continue
        if isinstance(x, dict) and any(_shadows(d, x) for d in denies):
            continue
        kept.append(x)
    return Value(kept, cur.origin)


def _shadows(deny: dict, allow: dict) -> bool:
    dp, ap = deny.get("priority"), allow.get("priority")
    if not isinstance(dp, int) or not isinstance(ap, int) or dp >= ap:
        return False
    if deny.get("protocol") != "-1" and deny.get("protocol") != allow.get("protocol"):
        return False
    dl, dh, al, ah = deny.get("from_port"), deny.get("to_port"), allow.get("from_port"), allow.get("to_port")
    if not all(isinstance(v, int) for v in (dl, dh, al, ah)) or not (dl <= al and ah <= dh):
        return False
    dc, ac = deny.get("cidrs"), allow.get("cidrs")
    dg, ag = deny.get("source_groups"), allow.get("source_groups")
    if not all(isinstance(v, list) and not any(isinstance(x, Unknown) for x in v) for v in (dc, ac, dg, ag)):
        return False   # a deny rule shadows an allow only when both are wholly known
    if any(_is_internet(c) for c in dc):
        return True
    return set(ac) <= set(dc) and set(ag) <= set(dg)


# ----------------------------------------------------------------- the tier checks
def _check_ingress(chk: Check, r, ctx, tier: str, allowed: list[dict]) -> None:
    ingress = effective_rules(r, "ingress")
    if not ingress.known:
        chk.unknown(f"the ingress rules are not known: {ingress.reason}", ingress)
        return
    seen = []
    for e in ingress.value or []:
        if isinstance(e, Unknown):
            maybe = _possible_allow(e)
            if maybe is not None and all(_allowed(maybe, kind, t, allowed).is_true
                                         for _label, kind, t in _sources(maybe, r, ctx, ctx["tier_tag"])):
                # a rule that may not be created, allowed if it is: the answer is the same either way
                seen += [f"{_ports(maybe)} from {label}{_where(maybe)} (if it is created)"
                         for label, _kind, _t in _sources(maybe, r, ctx, ctx["tier_tag"])]
                continue
            chk.unknown(f"an ingress rule is not known: {e.reason}")
            continue
        where = _where(e)
        for label, kind, t in _sources(e, r, ctx, ctx["tier_tag"]):
            desc = f"{_ports(e)} from {label}{where}"
            seen.append(desc)
            ok = _allowed(e, kind, t, allowed)
            chk.require(ok, f"{desc} is not allowed for the {tier} tier",
                        f"whether {desc} is allowed is not known")
            _locate(chk, ok, e)
    chk.note("ingress", seen)
    chk.note("allowed_ingress", _describe(allowed))


def _allowed(e: dict, kind: str, t: Value | None, allowed: list[dict]) -> Tri:
    """Whether some allowed_ingress entry covers rule ``e`` from one of its sources."""
    ok = FALSE
    for entry in allowed:
        ok = ok | _covers(entry, e, kind, t)
    return ok


def _possible_allow(e: Unknown) -> dict | None:
    """The allow rule a rule entry that may not exist would be (link.Maybe), else None: a deny
    rule, or a rule not read, is left unknown."""
    what = e.what if isinstance(e, Maybe) else None
    return what if isinstance(what, dict) and what.get("access") in (None, "allow") else None


def _reaches_internet(e: dict) -> Tri:
    """Whether a rule's addresses include the whole internet (unknown when one is not known)."""
    cidrs = _part(e, "cidrs")
    if isinstance(cidrs, Unknown):
        return unknown_tri(cidrs.reason)
    out = FALSE
    for c in cidrs:
        out = out | (unknown_tri(c.reason) if isinstance(c, Unknown) else tri(_is_internet(c)))
    return out


def _check_egress_internet(chk: Check, r) -> None:
    egress = effective_rules(r, "egress")
    if not egress.known:
        chk.unknown(f"the egress rules are not known: {egress.reason}", egress)
        return
    out = []
    for e in egress.value or []:
        if isinstance(e, Unknown):
            maybe = _possible_allow(e)
            if maybe is None or not _reaches_internet(maybe).is_false:
                chk.unknown(f"an egress rule is not known: {e.reason}")
            continue   # else: a rule that may not be created and reaches no internet address changes nothing
        cidrs = _part(e, "cidrs")
        desc = f"{_ports(e)} to "
        if isinstance(cidrs, Unknown):
            chk.unknown(f"the destination of an egress rule is not known: {cidrs.reason}")
            continue
        for c in cidrs:
            if isinstance(c, Unknown):
                chk.unknown(f"a destination of an egress rule is not known: {c.reason}")
        cidrs = [c for c in cidrs if not isinstance(c, Unknown)]
        out += [desc + c + _where(e) for c in cidrs]
        hit = [c for c in cidrs if _is_internet(c)]
        if hit:
            chk.fail(f"egress {desc}{hit[0]}{_where(e)}: the db tier must not reach the internet")
            _locate(chk, FALSE, e)
    chk.note("egress", out)


def _where(e: dict) -> str:
    name = e.get("name")
    if e.get("default"):
        return f" (Azure default rule {name})"
    return f" (rule {name})" if isinstance(name, str) and name else ""


def _locate(chk: Check, ok: Tri, e: dict) -> None:
    o = e.get("origin")
    if ok.is_false and isinstance(o, Origin) and o.line and chk.where is None:
        chk.where = o


def _tier_rule(r, ctx, egress_check: bool = False):
    tier = tier_of(r, ctx["tier_tag"])
    if not tier.known or tier.value != str(ctx["tier"]).lower():
        return None   # another tier's control (or NET-04, for unknown and missing tiers)
    chk = Check()
    chk.see(tier, name="tier")
    _check_ingress(chk, r, ctx, tier.value, ctx["allowed_ingress"])
    if egress_check and not ctx["egress_to_internet"]:
        _check_egress_internet(chk, r)
    extra = "; no egress to the internet" if egress_check and not ctx["egress_to_internet"] else ""
    return chk.verdict(f"{tier.value} tier ingress is limited to {_describe(ctx['allowed_ingress'])}{extra}")


_GROUP_FIELDS = ("ingress", "egress")


def _validate_sources(params: dict, all_params: dict) -> str | None:
    """A profile's `from` entries must name the internet or a known tier (a typo would allow nothing)."""
    tiers = {str(t).lower() for t in all_params.get("NET-04", {}).get("tiers", TIERS)} | {str(params["tier"]).lower()}
    for i, entry in enumerate(params.get("allowed_ingress") or []):
        for src in entry.get("from") or []:
            if str(src).lower() != "internet" and str(src).lower() not in tiers:
                return (f"allowed_ingress[{i}].from: {src!r} is neither 'internet' nor a tier "
                        f"({', '.join(sorted(tiers))}; NET-04's tiers list them)")
        for port in entry.get("ports") or []:
            if not 0 <= int(port) <= 65535:
                return f"allowed_ingress[{i}].ports: {port} is not a port number"
    return None


@control("NET-01", title="Web-tier security groups admit only HTTPS and HTTP",
         family="NET", severity="high", soc2=SOC2, kinds=("security_group",), fields=_GROUP_FIELDS,
         params={"tier_tag": "Tier", "tier": "web",
                 "allowed_ingress": [{"ports": [443, 80], "protocol": "tcp", "from": ["internet"]}]},
         validate=_validate_sources,
         requirement="Web tier: ingress only 443 and 80 (from the internet or narrower); nothing else reachable.")
def net_01(r, ctx):
    return _tier_rule(r, ctx)


@control("NET-02", title="App-tier security groups admit only the web and monitoring tiers",
         family="NET", severity="high", soc2=SOC2, kinds=("security_group",), fields=_GROUP_FIELDS,
         params={"tier_tag": "Tier", "tier": "app",
                 "allowed_ingress": [{"ports": [8080], "protocol": "tcp", "from": ["web"]},
                                     {"ports": [9090], "protocol": "tcp", "from": ["monitoring"]}]},
         validate=_validate_sources,
         requirement="App tier: ingress only 8080 from the web tier and 9090 from the monitoring tier; "
                     "no ingress from the internet.")
def net_02(r, ctx):
    return _tier_rule(r, ctx)


@control("NET-03", title="DB-tier security groups admit only the app tier and never reach the internet",
         family="NET", severity="high", soc2=SOC2, kinds=("security_group",), fields=_GROUP_FIELDS,
         params={"tier_tag": "Tier", "tier": "db",
                 "allowed_ingress": [{"ports": [5432], "protocol": "tcp", "from": ["app"]}],
                 "egress_to_internet": False},
         validate=_validate_sources,
         requirement="DB tier: ingress only 5432 from the app tier; no egress to the internet.")
def net_03(r, ctx):
    return _tier_rule(r, ctx, egress_check=True)


@control("NET-04", title="Untiered groups admit nothing from the internet; databases use db-tier groups",
         family="NET", severity="high", soc2=SOC2, kinds=("security_group", "database", "sg_rule"),
         fields=("ingress", "egress", "security_groups", "group"),
         params={"tier_tag": "Tier", "tiers": list(TIERS), "db_tier": "db"},
         requirement="A group with no tier tag (or a tier value not among `tiers`) allows no ingress from "
                     "the internet; every database uses only db-tier security groups.")
def net_04(r, ctx):
    if r.kind == "database":
        return _database_groups(r, ctx) if r.has("security_groups") else None
    if r.kind == "sg_rule":
        return _orphan_rule(r, ctx)
    return _untiered_group(r, ctx)


def _untiered_group(r, ctx):
    key = ctx["tier_tag"]
    tier = tier_of(r, key)
    tiers = {str(t).lower() for t in ctx["tiers"]}
    chk = Check()
    chk.see(tier, name="tier")
    if not tier.known:
        chk.unknown(f"the group's tier cannot be determined, so which NET control applies is not known: "
                    f"{tier.reason}")
        return chk.verdict("")
    if tier.value in tiers:
        return None   # a tiered group: NET-01..03 cover it
    label = "no tier tag" if tier.value is None else f"tier {tier.value!r} (not one of {', '.join(sorted(tiers))})"
    ingress = effective_rules(r, "ingress")
    if not ingress.known:
        chk.unknown(f"the ingress rules are not known: {ingress.reason}", ingress)
        return chk.verdict("")
    open_to = []
    for e in ingress.value or []:
        if isinstance(e, Unknown):
            maybe = _possible_allow(e)
            if maybe is None or not _reaches_internet(maybe).is_false:
                chk.unknown(f"an ingress rule is not known: {e.reason}")
            continue   # else: a rule that may not be created and admits no internet address changes nothing
        cidrs = _part(e, "cidrs")
        if isinstance(cidrs, Unknown):
            chk.unknown(f"the sources of an ingress rule are not known: {cidrs.reason}")
            continue
        for c in cidrs:
            if isinstance(c, Unknown):
                chk.unknown(f"a source of an ingress rule is not known: {c.reason}")
            elif _is_internet(c):
                open_to.append(f"{_ports(e)} from {c}{_where(e)}")
                _locate(chk, FALSE, e)
    for o in open_to:
        chk.fail(f"a group with {label} allows {o}")
    chk.note("internet_ingress", open_to)
    return chk.verdict(f"the group has {label} and allows no ingress from the internet")


def _database_groups(r, ctx):
    key = ctx["tier_tag"]
    want = str(ctx["db_tier"]).lower()
    chk = Check()
    groups = r["security_groups"]
    chk.see(groups, name="security_groups")
    if not groups.known:
        chk.unknown(f"the database's security groups are not known: {groups.reason}")
        return chk.verdict("")
    if not groups.value:
        chk.unknown("no security group is attached, so the network's default group applies; its tier "
                    "cannot be seen here")
    tiers = {}
    for k in groups.value or []:
        g = ctx.lookup(k)
        if g is None or g.kind != "security_group":
            tiers[k] = "not among the scanned resources"
            chk.unknown(f"security group {k} is not among the scanned resources, so its tier cannot be seen")
            continue
        t = tier_of(g, key)
        tiers[g.address] = t.value if t.known else {"unknown": t.reason}
        shown = "no tier tag" if t.value is None else f"tier {t.value}"
        chk.require(t.eq(want), f"{g.address} is not a {want}-tier group ({shown})",
                    f"the tier of {g.address} is not known")
    chk.note("group_tiers", tiers)
    return chk.verdict(f"the database uses only {want}-tier security groups")


def _orphan_rule(r, ctx):
    """A separate rule whose group is not in scope would vanish unchecked: say so instead."""
    group = r["group"]
    if group.known and any((g := ctx.lookup(k)) is not None and g.kind == "security_group"
                           for k in group.value or []):
        return None   # attached to its group by scanner.link; checked there
    chk = Check()
    chk.see(group, name="group")
    what = ", ".join(map(str, group.value or [])) if group.known else group.reason
    chk.unknown(f"the rule belongs to a security group that is not among the scanned resources ({what}); "
                "its tier, and so whether the rule is allowed, cannot be seen")
    return chk.verdict("")
