"""TLS-01..03, NET-01..04 and TAG-01 on plan fragments (pass, fail and unknown for each)."""
import json

import pytest

from planlib import Plan
from scanner.engine import evaluate
from scanner.model import Resource
from scanner.profile import spec_profile
from scanner.values import Origin, Unknown, Value

SG = "aws_security_group"
ALL_TAGS = {"Environment": "prod", "Project": "p", "CostCenter": "cc1", "Owner": "team"}


def ing(port, to=None, cidrs=(), groups=(), proto="tcp", self_=False):
    return {"cidr_blocks": list(cidrs), "description": "", "from_port": port, "to_port": port if to is None else to,
            "ipv6_cidr_blocks": [], "prefix_list_ids": [], "protocol": proto, "security_groups": list(groups),
            "self": self_}


def cfg_block(port, refs=None, cidrs=None, proto="tcp"):
    """An inline block as the plan's configuration records it."""
    b = {"from_port": {"constant_value": port}, "to_port": {"constant_value": port},
         "protocol": {"constant_value": proto}}
    if refs:
        b["security_groups"] = {"references": refs}
    if cidrs:
        b["cidr_blocks"] = {"constant_value": cidrs}
    return b


def group(p, name, tier, ingress=None, egress=(), module="", **kw):
    vals = {"name": name, "tags": {"Tier": tier} if tier else {}, "egress": list(egress)}
    if ingress is not None:
        vals["ingress"] = ingress
    return p.add(SG, name, vals, module=module, **kw)


def ref(addr):
    return [f"{addr}.id", addr]


def prof(**params):
    """The spec profile with some control's params changed: prof(**{"NET-01": {...}})."""
    pr = spec_profile()
    for cid, ps in params.items():
        pr.controls[cid.replace("_", "-")].params.update(ps)
    return pr


def one(p, cid, address, profile=None):
    fs = [f for f in p.findings(cid, profile) if f.resource.address == address]
    assert len(fs) == 1, [(f.resource.address, f.status) for f in p.findings(cid, profile)]
    json.dumps(fs[0].evidence)   # evidence must be plain JSON
    return fs[0]


# ================================================================= NET-01..03, inline rules
def test_issue_inline_ingress_referencing_a_group_of_the_same_plan():
    """after_unknown marks `ingress` unknown: the blocks come from configuration, refs resolve to the web group."""
    p = Plan()
    web = group(p, "web", "web", [ing(443, cidrs=["0.0.0.0/0"]), ing(80, cidrs=["0.0.0.0/0"])])
    group(p, "app", "app", unknown={"ingress": True},
          expressions={"ingress": [cfg_block(8080, ref(web))]})
    group(p, "app_bad", "app", unknown={"ingress": True},
          expressions={"ingress": [cfg_block(22, ref(web))]})
    group(p, "app_unresolved", "app", unknown={"ingress": True},
          expressions={"ingress": [cfg_block(8080, ["data.terraform_remote_state.net.outputs.web_sg"])]})
    assert one(p, "NET-01", "aws_security_group.web").status == "pass"
    f = one(p, "NET-02", "aws_security_group.app")
    assert f.status == "pass", f.message
    assert f.evidence["ingress"] == ["tcp 8080 from aws_security_group.web (tier web)"]
    bad = one(p, "NET-02", "aws_security_group.app_bad")
    assert bad.status == "fail" and "tcp 22 from aws_security_group.web" in bad.message
    assert one(p, "NET-02", "aws_security_group.app_unresolved").status == "unknown"


def test_inline_reference_through_a_module_input():
    p = Plan()
    web = group(p, "web", "web", [])
    group(p, "app", "app", module="module.app", unknown={"ingress": True},
          expressions={"ingress": [cfg_block(8080, ["var.web_sg_id"])]})
    p.module_input("module.app", "web_sg_id", ref(web))
    assert one(p, "NET-02", "module.app.aws_security_group.app").status == "pass"


def test_wholly_unknown_ingress_without_configuration_blocks_is_not_invented():
    """Ingress unknown and not written in configuration: only separate rules (none here) -> no ingress."""
    p = Plan()
    group(p, "db", "db", unknown={"ingress": True})
    assert one(p, "NET-03", "aws_security_group.db").status == "pass"
    # a dynamic block we cannot expand: unknown, never pass
    p2 = Plan()
    group(p2, "db", "db", unknown={"ingress": True}, expressions={"dynamic": {"references": ["var.rules"]}})
    assert one(p2, "NET-03", "aws_security_group.db").status == "unknown"


@pytest.mark.parametrize("rule,status", [
    (ing(443, cidrs=["0.0.0.0/0"]), "pass"),
    (ing(80, cidrs=["::/0"]), "pass"),
    (ing(443, cidrs=["10.0.0.0/8"]), "pass"),            # narrower than the internet
    (ing(22, cidrs=["0.0.0.0/0"]), "fail"),
    (ing(80, 443, cidrs=["0.0.0.0/0"]), "fail"),         # a range covering forbidden ports
    (ing(0, 0, cidrs=["10.0.0.0/8"], proto="-1"), "fail"),  # all traffic
    (ing(443, proto="udp", cidrs=["0.0.0.0/0"]), "fail"),
])
def test_net01_web_tier_ports(rule, status):
    p = Plan()
    group(p, "web", "web", [ing(443, cidrs=["0.0.0.0/0"]), rule])
    assert one(p, "NET-01", "aws_security_group.web").status == status


def test_net02_app_tier_sources():
    p = Plan()
    web = group(p, "web", "web", [])
    mon = group(p, "mon", "monitoring", [])
    group(p, "ok", "app", unknown={"ingress": True},
          expressions={"ingress": [cfg_block(8080, ref(web)), cfg_block(9090, ref(mon))]})
    group(p, "internet", "app", [ing(8080, cidrs=["0.0.0.0/0"])])
    group(p, "swapped", "app", unknown={"ingress": True}, expressions={"ingress": [cfg_block(9090, ref(web))]})
    group(p, "self", "app", [ing(8080, self_=True)])
    group(p, "outside", "app", [ing(8080, groups=["sg-0123456789abcdef0"])])
    v = p.verdicts("NET-02")
    assert v == {"aws_security_group.ok": "pass", "aws_security_group.internet": "fail",
                 "aws_security_group.swapped": "fail", "aws_security_group.self": "fail",
                 "aws_security_group.outside": "unknown"}


def test_net03_db_tier_ingress_and_egress():
    p = Plan()
    app = group(p, "app", "app", [])
    group(p, "db", "db", unknown={"ingress": True}, expressions={"ingress": [cfg_block(5432, ref(app))]},
          egress=[ing(443, cidrs=["10.0.0.0/8"])])
    group(p, "db_out", "db", unknown={"ingress": True}, expressions={"ingress": [cfg_block(5432, ref(app))]},
          egress=[ing(0, 0, cidrs=["0.0.0.0/0"], proto="-1")])
    group(p, "db_cidr", "db", [ing(5432, cidrs=["10.1.0.0/16"])])
    group(p, "db_unknown_port", "db", unknown={"ingress": True},
          expressions={"ingress": [{"from_port": {"references": ["var.port"]}, "to_port": {"references": ["var.port"]},
                                    "protocol": {"constant_value": "tcp"},
                                    "security_groups": {"references": ref(app)}}]})
    v = p.verdicts("NET-03")
    assert v["aws_security_group.db"] == "pass"
    assert v["aws_security_group.db_out"] == "fail"
    assert "must not reach the internet" in one(p, "NET-03", "aws_security_group.db_out").message
    assert v["aws_security_group.db_cidr"] == "fail"
    assert v["aws_security_group.db_unknown_port"] == "unknown"


def test_tier_of_a_source_group_with_unknown_tags_is_unknown():
    p = Plan()
    p.default_tags(references=["local.tags"])
    web = p.add(SG, "web", {"name": "web", "tags": {}, "ingress": [], "egress": []})   # Tier maybe in default_tags
    group(p, "app", "app", unknown={"ingress": True}, expressions={"ingress": [cfg_block(8080, ref(web))]})
    assert one(p, "NET-02", "aws_security_group.app").status == "unknown"
    f = one(p, "NET-04", "aws_security_group.web")
    assert f.status == "unknown" and "tier" in f.message


def test_tier_tag_key_is_a_parameter():
    p = Plan()
    p.add(SG, "web", {"name": "web", "tags": {"Layer": "web"}, "ingress": [ing(22, cidrs=["0.0.0.0/0"])], "egress": []})
    assert p.verdicts("NET-01") == {}          # default key Tier: untiered
    pr = prof(**{"NET-01": {"tier_tag": "Layer"}})
    assert one(p, "NET-01", "aws_security_group.web", pr).status == "fail"


# ================================================================= separate rule resources
def test_separate_rules_are_attached_to_their_groups():
    p = Plan()
    app = group(p, "app", "app", unknown={"ingress": True, "egress": True})
    db = group(p, "db", "db", unknown={"ingress": True, "egress": True})
    p.add("aws_security_group_rule", "db_in", {"type": "ingress", "from_port": 5432, "to_port": 5432,
                                                "protocol": "tcp", "cidr_blocks": [], "self": False},
          unknown={"security_group_id": True, "source_security_group_id": True},
          refs={"security_group_id": ref(db), "source_security_group_id": ref(app)})
    p.add("aws_vpc_security_group_egress_rule", "db_out", {"ip_protocol": "-1", "cidr_ipv4": "0.0.0.0/0"},
          unknown={"security_group_id": True}, refs={"security_group_id": ref(db)})
    p.add("aws_vpc_security_group_ingress_rule", "app_ssh", {"ip_protocol": "tcp", "from_port": 22, "to_port": 22,
                                                             "cidr_ipv4": "0.0.0.0/0"},
          unknown={"security_group_id": True}, refs={"security_group_id": ref(app)})
    res = {r.address: r for r in p.resources()}
    assert len(res["aws_security_group.db"]["ingress"].value) == 1
    assert res["aws_security_group.db"]["ingress"].value[0]["source_groups"] == ["aws_security_group.app"]
    f = one(p, "NET-03", "aws_security_group.db")
    assert f.status == "fail" and "0.0.0.0/0" in f.message and "5432" not in f.message
    assert one(p, "NET-02", "aws_security_group.app").status == "fail"


def test_rule_resource_with_cidr_and_computed_source_group_has_no_group_source():
    """source_security_group_id is Optional+Computed: unknown, unreferenced and beside cidr_blocks it is empty."""
    p = Plan()
    web = group(p, "web", "web", unknown={"ingress": True})
    p.add("aws_security_group_rule", "https", {"type": "ingress", "from_port": 443, "to_port": 443,
                                               "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"], "self": False},
          unknown={"security_group_id": True, "source_security_group_id": True},
          refs={"security_group_id": ref(web)})
    assert one(p, "NET-01", "aws_security_group.web").status == "pass"


def test_rule_on_a_group_outside_the_plan_is_unknown_not_dropped():
    p = Plan()
    p.add("aws_security_group_rule", "x", {"type": "ingress", "from_port": 22, "to_port": 22, "protocol": "tcp",
                                           "cidr_blocks": ["0.0.0.0/0"], "security_group_id": "sg-123456"})
    assert one(p, "NET-04", "aws_security_group_rule.x").status == "unknown"
    p2 = Plan()
    g = group(p2, "g", None, unknown={"ingress": True})
    p2.add("aws_security_group_rule", "x", {"type": "ingress", "from_port": 22, "to_port": 22, "protocol": "tcp",
                                            "cidr_blocks": ["0.0.0.0/0"]},
           unknown={"security_group_id": True}, refs={"security_group_id": ref(g)})
    assert p2.verdicts("NET-04") == {"aws_security_group.g": "fail"}   # the rule itself: attached, no finding


# ================================================================= NET-04
def test_net04_untiered_groups_and_databases():
    p = Plan()
    group(p, "open", None, [ing(22, cidrs=["0.0.0.0/0"])])
    group(p, "closed", None, [ing(22, cidrs=["10.0.0.0/8"])])
    group(p, "odd", "batch", [ing(22, cidrs=["0.0.0.0/0"])])
    group(p, "mon", "monitoring", [ing(9100, cidrs=["0.0.0.0/0"])])
    group(p, "mon_ok", "monitoring", [ing(9100, cidrs=["10.0.0.0/8"])])
    db_sg = group(p, "db", "db", [])
    app_sg = group(p, "app", "app", [])
    p.add("aws_db_instance", "good", {"storage_encrypted": True}, unknown={"vpc_security_group_ids": True},
          refs={"vpc_security_group_ids": ref(db_sg)})
    p.add("aws_db_instance", "bad", {"storage_encrypted": True}, unknown={"vpc_security_group_ids": True},
          refs={"vpc_security_group_ids": ref(db_sg) + ref(app_sg)})
    p.add("aws_db_instance", "unseen", {"storage_encrypted": True}, unknown={"vpc_security_group_ids": True})
    p.add("aws_db_instance", "outside", {"storage_encrypted": True, "vpc_security_group_ids": ["sg-0abc"]})
    v = p.verdicts("NET-04")
    assert v["aws_security_group.open"] == "fail"
    assert v["aws_security_group.closed"] == "pass"
    assert v["aws_security_group.odd"] == "fail"
    assert "aws_security_group.mon" not in v      # monitoring is a tier (CONTROLS.md); no NET control restricts it
    pr = prof(**{"NET-04": {"tiers": ["web", "app", "db"]}})   # ... unless a profile puts it under NET-04
    assert one(p, "NET-04", "aws_security_group.mon", pr).status == "fail"
    assert one(p, "NET-04", "aws_security_group.mon_ok", pr).status == "pass"
    assert "aws_security_group.db" not in v          # tiered groups belong to NET-01..03
    assert v["aws_db_instance.good"] == "pass"
    assert v["aws_db_instance.bad"] == "fail"
    assert "aws_security_group.app is not a db-tier group" in one(p, "NET-04", "aws_db_instance.bad").message
    assert v["aws_db_instance.unseen"] == "unknown"
    assert v["aws_db_instance.outside"] == "unknown"


# ================================================================= Azure NSGs
def nsg_rule(name, prio, direction="Inbound", access="Allow", port="*", ports=(), src="*", srcs=(),
             dst="*", proto="Tcp", asgs=()):
    return {"name": name, "priority": prio, "direction": direction, "access": access, "protocol": proto,
            "source_port_range": "*", "destination_port_range": port, "destination_port_ranges": list(ports),
            "source_address_prefix": src, "source_address_prefixes": list(srcs),
            "destination_address_prefix": dst, "destination_address_prefixes": [],
            "source_application_security_group_ids": list(asgs),
            "destination_application_security_group_ids": []}


def nsg(p, name, tier, rules, **kw):
    tags = {"Tier": tier} if tier else {}
    return p.add("azurerm_network_security_group", name, {"name": name, "resource_group_name": "rg",
                                                          "location": "westeurope", "tags": tags,
                                                          "security_rule": rules}, provider_key="azurerm", **kw)


DENY_VNET_IN = nsg_rule("deny-vnet", 4000, src="VirtualNetwork", proto="*")
DENY_INTERNET_OUT = nsg_rule("deny-internet", 4001, direction="Outbound", access="Deny", dst="Internet", proto="*")


def test_azure_nsg_db_tier_with_application_security_group_source():
    p = Plan()
    app_asg = p.add("azurerm_application_security_group", "app", {"name": "app", "tags": {"Tier": "app"}},
                    provider_key="azurerm")
    allow = nsg_rule("pg", 100, port="5432", src="")
    deny_vnet = dict(DENY_VNET_IN, access="Deny")
    nsg(p, "db", "db", [], unknown={"security_rule": True},
        expressions={"security_rule": [{k: {"constant_value": v} for k, v in allow.items()
                                        if k != "source_application_security_group_ids"}
                                       | {"source_application_security_group_ids": {"references": ref(app_asg)}},
                                       {k: {"constant_value": v} for k, v in deny_vnet.items()},
                                       {k: {"constant_value": v} for k, v in DENY_INTERNET_OUT.items()}]})
    f = one(p, "NET-03", "azurerm_network_security_group.db")
    assert f.status == "pass", f.message


def test_azure_nsg_default_rules_count_unless_denied():
    p = Plan()
    nsg(p, "db", "DB", [nsg_rule("pg", 100, port="5432", src="10.0.1.0/24")])
    f = one(p, "NET-03", "azurerm_network_security_group.db")
    assert f.status == "fail"
    assert "AllowVnetInBound" in f.message and "AllowInternetOutBound" in f.message


@pytest.mark.parametrize("rule,status", [
    (nsg_rule("https", 100, port="443", src="Internet"), "pass"),
    (nsg_rule("range", 100, port="8000-8100", src="Internet"), "fail"),
    (nsg_rule("many", 100, ports=["443", "22"], src="*"), "fail"),
    (nsg_rule("any", 100, port="443", src="*", proto="*"), "fail"),
    (nsg_rule("denied", 100, port="22", src="*", access="Deny"), "pass"),
])
def test_azure_nsg_web_tier(rule, status):
    p = Plan()
    nsg(p, "web", "web", [rule, dict(DENY_VNET_IN, access="Deny")])
    assert one(p, "NET-01", "azurerm_network_security_group.web").status == status


def test_azure_separate_rule_joined_by_name_and_resource_group():
    p = Plan()
    nsg(p, "vm", None, [], unknown={"security_rule": True})
    p.add("azurerm_network_security_rule", "ssh", dict(nsg_rule("ssh", 100, port="22", src="*"),
                                                       network_security_group_name="vm", resource_group_name="rg"),
          provider_key="azurerm")
    f = one(p, "NET-04", "azurerm_network_security_group.vm")
    assert f.status == "fail" and "tcp 22 from 0.0.0.0/0 (rule ssh)" in f.message


# ================================================================= TLS-01
def listener(p, name, protocol, policy=None, action=None, type_="aws_lb_listener", **kw):
    vals = {"protocol": protocol, "port": 443 if protocol in ("HTTPS", "TLS") else 80,
            "default_action": [action or {"type": "forward", "redirect": []}]}
    if policy:
        vals["ssl_policy"] = policy
    return p.add(type_, name, vals, **kw)


def test_tls01_alb_listeners():
    p = Plan()
    listener(p, "good", "HTTPS", "ELBSecurityPolicy-TLS13-1-3-2021-06")
    listener(p, "tls12", "HTTPS", "ELBSecurityPolicy-TLS13-1-2-2021-06")
    listener(p, "old", "TLS", "ELBSecurityPolicy-2016-08", type_="aws_alb_listener")
    listener(p, "nopolicy", "HTTPS", unknown={"ssl_policy": True})
    listener(p, "refpolicy", "HTTPS", unknown={"ssl_policy": True}, refs={"ssl_policy": ["var.policy"]})
    listener(p, "redirect", "HTTP", action={"type": "redirect", "redirect": [{"protocol": "HTTPS", "port": "443",
                                                                              "status_code": "HTTP_301"}]})
    listener(p, "plain", "HTTP")
    listener(p, "tcp", "TCP", unknown={"ssl_policy": True})
    p.add("aws_lb_listener", "unset", {"port": 80, "default_action": [{"type": "forward", "redirect": []}]},
          unknown={"protocol": True})                        # not written: HTTP, the ALB default
    p.add("aws_lb_listener", "varproto", {"port": 80, "default_action": [{"type": "forward", "redirect": []}]},
          unknown={"protocol": True}, refs={"protocol": ["var.protocol"]})
    v = p.verdicts("TLS-01")
    assert v == {"aws_lb_listener.good": "pass", "aws_lb_listener.tls12": "fail", "aws_alb_listener.old": "fail",
                 "aws_lb_listener.nopolicy": "fail", "aws_lb_listener.refpolicy": "unknown",
                 "aws_lb_listener.redirect": "pass", "aws_lb_listener.plain": "fail",
                 "aws_lb_listener.unset": "fail", "aws_lb_listener.varproto": "unknown"}
    pr = prof(**{"TLS-01": {"min_version": "1.2"}})
    assert one(p, "TLS-01", "aws_lb_listener.tls12", pr).status == "pass"
    assert one(p, "TLS-01", "aws_alb_listener.old", pr).status == "fail"


def appgw(p, name, ssl_policy=None, redirect=True):
    vals = {"name": name, "http_listener": [{"name": "https", "protocol": "Https"}, {"name": "http", "protocol": "Http"}],
            "request_routing_rule": [{"name": "r1", "http_listener_name": "https", "redirect_configuration_name": None},
                                     {"name": "r2", "http_listener_name": "http",
                                      "redirect_configuration_name": "to-https" if redirect else None}],
            "redirect_configuration": [{"name": "to-https", "target_listener_name": "https",
                                        "redirect_type": "Permanent"}],
            "ssl_policy": [ssl_policy] if ssl_policy else []}
    return p.add("azurerm_application_gateway", name, vals, provider_key="azurerm")


def test_tls01_application_gateway():
    p = Plan()
    appgw(p, "good", {"policy_type": "CustomV2", "min_protocol_version": "TLSv1_3"})
    appgw(p, "predefined", {"policy_type": "Predefined", "policy_name": "AppGwSslPolicy20220101S"})
    appgw(p, "noredirect", {"policy_type": "CustomV2", "min_protocol_version": "TLSv1_3"}, redirect=False)
    appgw(p, "default")
    v = p.verdicts("TLS-01")
    assert v == {"azurerm_application_gateway.good": "pass", "azurerm_application_gateway.predefined": "fail",
                 "azurerm_application_gateway.noredirect": "fail", "azurerm_application_gateway.default": "fail"}
    assert "does not redirect" in one(p, "TLS-01", "azurerm_application_gateway.noredirect").message


def test_tls01_evidence_is_the_observed_value_and_derived_flags_have_their_own_names():
    p = Plan()
    listener(p, "plain", "HTTP")
    listener(p, "redirect", "HTTP", action={"type": "redirect", "redirect": [{"protocol": "HTTPS", "port": "443",
                                                                              "status_code": "HTTP_301"}]})
    listener(p, "nopolicy", "HTTPS", unknown={"ssl_policy": True})
    appgw(p, "noredirect", {"policy_type": "CustomV2", "min_protocol_version": "TLSv1_3"}, redirect=False)
    appgw(p, "legacy", {"min_protocol_version": "TLSv1_2"})
    appgw(p, "good", {"policy_type": "CustomV2", "min_protocol_version": "TLSv1_3"})
    appgw(p, "default")
    ev = {a: one(p, "TLS-01", a).evidence for a in
          ("aws_lb_listener.plain", "aws_lb_listener.redirect", "aws_lb_listener.nopolicy",
           "azurerm_application_gateway.noredirect", "azurerm_application_gateway.legacy",
           "azurerm_application_gateway.good", "azurerm_application_gateway.default")}
    assert ev["aws_lb_listener.plain"] == {"protocol": "HTTP",
                                           "http_redirects_to_https (from default_action.0.type = forward)": False}
    assert ev["aws_lb_listener.redirect"]["http_redirects_to_https (from default_action.0.redirect.0.protocol "
                                          "= HTTPS)"] is True
    assert ev["aws_lb_listener.nopolicy"]["tls_min_version (from ssl_policy not set: ELBSecurityPolicy-2016-08 "
                                          "or a later default)"] == "1.0"
    assert ev["azurerm_application_gateway.noredirect"][
        "http_redirects_to_https (from request_routing_rule for http_listener http: redirect_configuration_name "
        "= null, not a redirect to an https listener)"] is False
    assert "redirect_configuration" not in ev["azurerm_application_gateway.good"]
    assert ev["azurerm_application_gateway.legacy"]["ssl_policy.policy_type (not set: a legacy policy)"] == "legacy"
    assert "ssl_policy.policy_type" not in ev["azurerm_application_gateway.legacy"]
    assert ev["azurerm_application_gateway.default"]["tls_min_version (from ssl_policy not set: "
                                                     "AppGwSslPolicy20150501 on older API versions)"] == "1.0"
    for e in ev.values():        # no computed boolean under a bare attribute name
        assert not [k for k, v in e.items() if isinstance(v, bool) and " " not in k], e


def test_tls02_evidence_names_the_observed_policies():
    p = Plan()
    cloudfront(p, "plain", ordered=["https-only", "allow-all"])
    cloudfront(p, "good", ordered=["https-only"])
    cloudfront(p, "defaultcert", default_cert=True)
    p.add("aws_api_gateway_domain_name", "ok", {"domain_name": "a.example.com", "security_policy": "TLS_1_2"})
    ev = {a: one(p, "TLS-02", a).evidence for a in ("aws_cloudfront_distribution.plain",
                                                    "aws_cloudfront_distribution.good",
                                                    "aws_cloudfront_distribution.defaultcert",
                                                    "aws_api_gateway_domain_name.ok")}
    assert ev["aws_cloudfront_distribution.plain"]["allows_plain_http (from viewer_protocol_policy = allow-all)"]
    assert ev["aws_cloudfront_distribution.good"][
        "allows_plain_http (from viewer_protocol_policy = redirect-to-https, https-only)"] is False
    assert ev["aws_cloudfront_distribution.defaultcert"][
        "tls_policy (from viewer_certificate.cloudfront_default_certificate = true: CloudFront's certificate "
        "uses TLSv1)"] == "TLSv1"
    assert ev["aws_api_gateway_domain_name.ok"]["security_policy"] == "TLS_1_2"
    assert "allows_plain_http (API Gateway custom domains serve HTTPS only)" in ev["aws_api_gateway_domain_name.ok"]
    for e in ev.values():
        assert not [k for k, v in e.items() if isinstance(v, bool) and " " not in k], e


def test_violating_fixture_http_listener_evidence(run_cli, tmp_path):
    import pathlib
    plan = pathlib.Path(__file__).resolve().parent.parent / "fixtures/aws-platform/violating/plan.json"
    planned = json.loads(plan.read_text())
    r = run_cli("scan", plan, "--format", "json", "-o", tmp_path / "r.json")
    assert r.returncode == 1, r.stderr
    doc = json.loads((tmp_path / "r.json").read_text())
    f = next(f for f in doc["findings"] if f["control_id"] == "TLS-01"
             and f["resource"]["address"] == "module.edge.aws_lb_listener.http")
    listener_values = next(rc["change"]["after"] for rc in planned["resource_changes"]
                           if rc["address"] == "module.edge.aws_lb_listener.http")
    assert listener_values["default_action"][0]["type"] == "forward"
    assert f["evidence"] == {"protocol": "HTTP",
                             "http_redirects_to_https (from default_action.0.type = forward)": False}


# ================================================================= TLS-02
def cloudfront(p, name, mpv="TLSv1.2_2021", vpp="redirect-to-https", default_cert=False, ordered=(), **kw):
    vals = {"default_cache_behavior": [{"viewer_protocol_policy": vpp}],
            "ordered_cache_behavior": [{"viewer_protocol_policy": o} for o in ordered],
            "viewer_certificate": [{"cloudfront_default_certificate": default_cert, "minimum_protocol_version": mpv}]}
    return p.add("aws_cloudfront_distribution", name, vals, **kw)


def test_tls02_cloudfront_at_its_ceiling():
    p = Plan()
    cloudfront(p, "good")
    cloudfront(p, "old", mpv="TLSv1.2_2019")
    cloudfront(p, "plain", ordered=["https-only", "allow-all"])
    cloudfront(p, "defaultcert", default_cert=True)
    cloudfront(p, "later", unknown={"viewer_certificate": True})
    v = p.verdicts("TLS-02")
    assert v == {"aws_cloudfront_distribution.good": "pass", "aws_cloudfront_distribution.old": "fail",
                 "aws_cloudfront_distribution.plain": "fail", "aws_cloudfront_distribution.defaultcert": "fail",
                 "aws_cloudfront_distribution.later": "unknown"}
    good = one(p, "TLS-02", "aws_cloudfront_distribution.good")
    assert "platform ceiling" in good.message and "1.2" in good.message
    assert "platform ceiling" in one(p, "TLS-02", "aws_cloudfront_distribution.old").message


def test_tls02_api_gateway_and_front_door():
    p = Plan()
    p.add("aws_api_gateway_domain_name", "ok", {"domain_name": "a.example.com", "security_policy": "TLS_1_2"})
    p.add("aws_api_gateway_domain_name", "old", {"domain_name": "b.example.com", "security_policy": "TLS_1_0"})
    p.add("aws_api_gateway_domain_name", "later", {"domain_name": "c.example.com"}, unknown={"security_policy": True})
    p.add("aws_apigatewayv2_domain_name", "v2", {"domain_name": "d.example.com",
                                                 "domain_name_configuration": [{"security_policy": "TLS_1_2"}]})
    p.add("azurerm_cdn_frontdoor_custom_domain", "fd", {"tls": [{"minimum_tls_version": "TLS12"}]},
          provider_key="azurerm")
    p.add("azurerm_cdn_frontdoor_custom_domain", "fd_old", {"tls": [{"minimum_tls_version": "TLS10"}]},
          provider_key="azurerm")
    v = p.verdicts("TLS-02")
    assert v == {"aws_api_gateway_domain_name.ok": "pass", "aws_api_gateway_domain_name.old": "fail",
                 "aws_api_gateway_domain_name.later": "unknown", "aws_apigatewayv2_domain_name.v2": "pass",
                 "azurerm_cdn_frontdoor_custom_domain.fd": "pass",
                 "azurerm_cdn_frontdoor_custom_domain.fd_old": "fail"}
    # with the ceiling removed from the profile, TLS 1.2 no longer suffices
    pr = prof(**{"TLS-02": {"platform_ceilings": {}}})
    assert one(p, "TLS-02", "azurerm_cdn_frontdoor_custom_domain.fd", pr).status == "fail"


# ================================================================= TLS-03
def test_tls03_data_services():
    p = Plan()
    p.add("aws_elasticache_replication_group", "on", {"transit_encryption_enabled": True})
    p.add("aws_elasticache_replication_group", "off", {"transit_encryption_enabled": False})
    p.add("aws_elasticache_replication_group", "later", {}, unknown={"transit_encryption_enabled": True},
          refs={"transit_encryption_enabled": ["var.tls"]})
    p.add("azurerm_redis_cache", "redis", {"minimum_tls_version": "1.2", "non_ssl_port_enabled": False},
          provider_key="azurerm")
    p.add("azurerm_mssql_server", "sql", {"minimum_tls_version": "1.2"}, provider_key="azurerm")
    v = p.verdicts("TLS-03")
    assert v["aws_elasticache_replication_group.on"] == "pass"
    assert v["aws_elasticache_replication_group.off"] == "fail"
    assert v["aws_elasticache_replication_group.later"] == "unknown"
    redis = one(p, "TLS-03", "azurerm_redis_cache.redis")
    assert redis.status == "pass" and "platform ceiling" in redis.message
    assert v["azurerm_mssql_server.sql"] == "fail"   # Azure SQL can require 1.3: no ceiling


def test_tls03_reads_only_the_tls_fields_of_any_kind():
    res = Resource("object_store", "azurerm_storage_account", "sa", "azure", "azure",
                   fields={"requires_tls": Value(True, Origin("azure", "supportsHttpsTrafficOnly")),
                           "tls_min_version": Unknown("denied", Origin("azure", "minimumTlsVersion"))})
    pr = spec_profile()
    for cid, cs in pr.controls.items():
        cs.enabled = cid == "TLS-03"
    [f] = evaluate([res], pr)
    assert f.status == "unknown"


# ================================================================= TAG-01
def test_tag01_pass_fail_and_environment_values():
    p = Plan()
    p.add("aws_s3_bucket", "ok", {"tags": dict(ALL_TAGS)})
    p.add("aws_s3_bucket", "missing", {"tags": {"Environment": "prod"}})
    p.add("aws_s3_bucket", "badenv", {"tags": dict(ALL_TAGS, Environment="production")})
    p.add("aws_s3_bucket", "empty", {"tags": dict(ALL_TAGS, Owner=" ")})
    p.add("aws_s3_bucket", "later", {"tags": {"Project": "p"}}, unknown={"tags": True})
    v = p.verdicts("TAG-01")
    assert v == {"aws_s3_bucket.ok": "pass", "aws_s3_bucket.missing": "fail", "aws_s3_bucket.badenv": "fail",
                 "aws_s3_bucket.empty": "fail", "aws_s3_bucket.later": "unknown"}


def test_tag01_default_tags_of_aliased_and_module_providers():
    p = Plan()
    p.default_tags(ALL_TAGS)
    p.default_tags({"Environment": "dev"}, key="aws.west")
    p.add("aws_s3_bucket", "root", {"tags": {}})
    p.add("aws_s3_bucket", "west", {"tags": {}}, provider_key="aws.west")
    p.add("aws_s3_bucket", "inmod", {"tags": {}}, module="module.data")         # inherits the root provider
    p.add("aws_s3_bucket", "own", {"tags": {}}, module="module.own")
    p.default_tags({"Environment": "staging"}, key="module.own:aws")            # a module's own provider block
    v = p.verdicts("TAG-01")
    assert v == {"aws_s3_bucket.root": "pass", "aws_s3_bucket.west": "fail",
                 "module.data.aws_s3_bucket.inmod": "pass", "module.own.aws_s3_bucket.own": "fail"}


def test_tag01_default_tags_from_a_reference_make_missing_tags_unknown():
    p = Plan()
    p.default_tags(references=["module.naming.default_tags"])
    p.add("aws_s3_bucket", "partial", {"tags": {"Environment": "prod"}}, unknown={"tags_all": True})
    p.add("aws_s3_bucket", "full", {"tags": dict(ALL_TAGS)}, unknown={"tags_all": True})
    p.add("aws_s3_bucket", "wrongenv", {"tags": dict(ALL_TAGS, Environment="qa")}, unknown={"tags_all": True})
    v = p.verdicts("TAG-01")
    assert v == {"aws_s3_bucket.partial": "unknown", "aws_s3_bucket.full": "pass", "aws_s3_bucket.wrongenv": "fail"}


def test_tag01_azure_names_are_case_insensitive_and_resource_group_tags_count_on_request():
    p = Plan()
    p.add("azurerm_storage_account", "sa", {"tags": {"environment": "prod", "project": "p", "costcenter": "c",
                                                     "owner": "o"}}, provider_key="azurerm")
    # tag names are case-insensitive on Azure, tag values are not (on AWS neither is)
    p.add("azurerm_storage_account", "cap", {"tags": {"environment": "Prod", "project": "p", "costcenter": "c",
                                                      "owner": "o"}}, provider_key="azurerm")
    p.add("aws_s3_bucket", "cap", {"tags": dict(ALL_TAGS, Environment="Prod")})
    assert p.verdicts("TAG-01") == {"azurerm_storage_account.sa": "pass", "azurerm_storage_account.cap": "fail",
                                    "aws_s3_bucket.cap": "fail"}
    res = Resource("generic", "azurerm_virtual_network", "/subscriptions/s/vnet", "azure", "azure",
                   fields={"tags": Value({"Owner": "o"}, Origin("azure", "tags")),
                           "inherited_tags": Value({"Environment": "dev", "Project": "p", "CostCenter": "c"},
                                                   Origin("azure", "resourceGroup.tags"))})
    pr = prof(**{"TAG-01": {"count_resource_group_tags": True}})
    for cid, cs in pr.controls.items():
        cs.enabled = cid == "TAG-01"
    assert [f.status for f in evaluate([res], pr)] == ["pass"]
    pr.controls["TAG-01"].params["count_resource_group_tags"] = False
    assert [f.status for f in evaluate([res], pr)] == ["fail"]


# ================================================================= end to end
def test_cli_scan_reports_network_findings_with_valid_document(tmp_path, run_cli):
    p = Plan()
    web = group(p, "web", "web", [ing(443, cidrs=["0.0.0.0/0"]), ing(22, cidrs=["0.0.0.0/0"])])
    group(p, "app", "app", unknown={"ingress": True}, expressions={"ingress": [cfg_block(8080, ref(web))]})
    listener(p, "plain", "HTTP")
    r = run_cli("scan", p.write(tmp_path / "plan.json"), "--format", "json", "-o", tmp_path / "out.json")
    assert r.returncode == 1, r.stderr
    doc = json.loads((tmp_path / "out.json").read_text())
    from scanner.results import validate
    validate(doc)
    got = {(f["control_id"], f["resource"]["address"]): f["status"] for f in doc["findings"]}
    assert got[("NET-01", "aws_security_group.web")] == "fail"
    assert got[("NET-02", "aws_security_group.app")] == "pass"
    assert got[("TLS-01", "aws_lb_listener.plain")] == "fail"
    sev = {c["id"]: c["severity"] for c in doc["controls"]}
    assert sev["NET-01"] == "high" and sev["TLS-01"] == "medium-high" and sev["TAG-01"] == "low"


def test_rule_parts_known_only_after_apply_are_unknown():
    """cidr_blocks from a reference (a set with an unknown element) -> the rule's sources are unknown."""
    p = Plan()
    for name, tier in (("web", "web"), ("plain", None), ("db", "db")):
        group(p, name, tier, unknown={"ingress": True, "egress": True},
              expressions={"ingress": [{"from_port": {"constant_value": 443}, "to_port": {"constant_value": 443},
                                        "protocol": {"constant_value": "tcp"},
                                        "cidr_blocks": {"references": ["var.cidrs"]}}],
                           "egress": [{"from_port": {"constant_value": 0}, "to_port": {"constant_value": 0},
                                       "protocol": {"constant_value": "-1"},
                                       "cidr_blocks": {"references": ["var.cidrs"]}}]})
    assert one(p, "NET-01", "aws_security_group.web").status == "pass"      # 443 is fine from anywhere
    assert one(p, "NET-04", "aws_security_group.plain").status == "unknown"
    db = one(p, "NET-03", "aws_security_group.db")                         # 443 is never allowed into db:
    assert db.status == "fail" and "tcp 443" in db.message                 # fail, whatever the sources
    assert "egress" not in db.message                                      # (egress to var.cidrs: unknown)
    p2 = Plan()
    group(p2, "db", "db", [], unknown={"egress": True},
          expressions={"egress": [{"from_port": {"constant_value": 0}, "to_port": {"constant_value": 0},
                                   "protocol": {"constant_value": "-1"},
                                   "cidr_blocks": {"references": ["var.cidrs"]}}]})
    assert one(p2, "NET-03", "aws_security_group.db").status == "unknown"
