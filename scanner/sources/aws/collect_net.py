"""Network and edge: security groups, ELBv2 load balancers and listeners, CloudFront, API Gateway domains.

Fields follow the Terraform mappers (scanner/sources/terraform/map_network.py),
whose policy-name tables are reused so one policy means one TLS version everywhere.
"""
from __future__ import annotations

from ...model import Resource
from ...values import Origin, Unknown, Value
from ..terraform.map_network import api_gateway_policy_version, cloudfront_policy_version, elb_policy_min
from .collect_edge import web_acl
from .guard import Failure
from .ops import api_name
from .scope import SOURCE, Scope, tag_dict, tags, unknown, val

TIER_TAG = "Tier"
PROTOCOLS = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}


# ----------------------------------------------------------------- security groups
def security_groups(scope: Scope) -> list[Resource]:
    api = api_name("ec2", "DescribeSecurityGroups")
    groups, fail = scope.pages("ec2", "DescribeSecurityGroups", "SecurityGroups")
    out = []
    for g in groups:
        gid = g["GroupId"]
        arn = g.get("SecurityGroupArn") or scope.arn("ec2", f"security-group/{gid}")
        r = scope.resource("security_group", "aws_security_group", arn, g.get("GroupName", gid), (arn, gid), raw=g,
                           raw_api=api)
        t = tag_dict(g.get("Tags"))
        r.set("tags", val(t, "Tags", api))
        tier = t.get(TIER_TAG)
        r.set("tier", val(str(tier).strip().lower() or None if tier is not None else None, f"Tags.{TIER_TAG}", api))
        r.set("ingress", val([_rule(p, gid, "IpPermissions", api) for p in g.get("IpPermissions") or []],
                             "IpPermissions", api))
        r.set("egress", val([_rule(p, gid, "IpPermissionsEgress", api) for p in g.get("IpPermissionsEgress") or []],
                            "IpPermissionsEgress", api))
        out.append(r)
    if fail:
        out.append(scope.placeholder("security_group", "aws_security_group", "ec2", "security-group/*", fail,
                                     "EC2 security groups"))
    return out


def _rule(p: dict, own: str, path: str, api: str) -> dict:
    """One IpPermission as the model's rule dict (one dict per permission, like one Terraform block)."""
    proto = str(p.get("IpProtocol", "-1")).lower()
    proto = PROTOCOLS.get(proto, proto)
    lo, hi = p.get("FromPort"), p.get("ToPort")
    if proto == "-1":
        lo, hi = 0, 65535   # all protocols means all ports
    cidrs = [x["CidrIp"] for x in p.get("IpRanges") or []] + \
            [x["CidrIpv6"] for x in p.get("Ipv6Ranges") or []] + \
            [x["PrefixListId"] for x in p.get("PrefixListIds") or []]
    pairs = [x.get("GroupId") for x in p.get("UserIdGroupPairs") or [] if x.get("GroupId")]
    return {"protocol": proto, "from_port": lo, "to_port": hi, "cidrs": cidrs,
            "source_groups": [x for x in pairs if x != own], "self": own in pairs,
            "origin": Origin(SOURCE, path, api=api)}


# ----------------------------------------------------------------- load balancers
def load_balancers(scope: Scope) -> list[Resource]:
    api_l = api_name("elbv2", "DescribeListeners")
    lbs, fail = scope.pages("elbv2", "DescribeLoadBalancers", "LoadBalancers")

    def listeners(lb: dict) -> tuple[dict, list, Failure | None]:
        items, lfail = scope.pages("elbv2", "DescribeListeners", "Listeners", LoadBalancerArn=lb["LoadBalancerArn"])
        return lb, items, lfail

    out: list[Resource] = []
    for lb, items, lfail in scope.each(listeners, lbs):
        arn = lb["LoadBalancerArn"]
        r = scope.resource("web_entry", "aws_lb", arn, lb.get("LoadBalancerName", arn), (arn,), raw=lb,
                           raw_api=api_name("elbv2", "DescribeLoadBalancers"))
        if str(lb.get("Type", "application")) == "application" and lb.get("Scheme") != "internal":
            r.set("web_acl", web_acl(scope, arn))   # WAF-01: an internet-facing application load balancer
        out.append(r)
        for li in items:
            out.append(_listener(scope, li, lb, api_l))
        if lfail:
            out.append(scope.placeholder("tls_listener", "aws_lb_listener", "elasticloadbalancing",
                                         f"listener/{arn.split(':loadbalancer/', 1)[-1]}/*", lfail,
                                         f"listeners of {lb.get('LoadBalancerName')}"))
    _elb_tags(scope, [r for r in out if "tags" not in r.fields])
    if fail:
        out.append(scope.placeholder("web_entry", "aws_lb", "elasticloadbalancing", "loadbalancer/*", fail,
                                     "ELBv2 load balancers"))
        out.append(scope.placeholder("tls_listener", "aws_lb_listener", "elasticloadbalancing", "listener/*", fail,
                                     "ELBv2 listeners"))
    return out


def _listener(scope: Scope, li: dict, lb: dict, api: str) -> Resource:
    arn = li["ListenerArn"]
    r = scope.resource("tls_listener", "aws_lb_listener", arn, f"{lb.get('LoadBalancerName')}:{li.get('Port')}",
                       (arn,), raw=li, raw_api=api)
    p = str(li.get("Protocol") or "").upper()
    r.set("protocol", val(p, "Protocol", api))
    r.set("terminates_tls", val(p in ("HTTPS", "TLS"), "Protocol", api))
    r.set("plain_http", val(p == "HTTP", "Protocol", api))
    if p in ("HTTPS", "TLS"):
        pol = li.get("SslPolicy")
        r.set("tls_policy", val(pol, "SslPolicy", api))
        ver = elb_policy_min(pol) if pol else None
        r.set("tls_min_version", val(ver, "SslPolicy", api) if ver else
              Unknown(f"the lowest TLS version of policy {pol} is not known", Origin(SOURCE, "SslPolicy", api=api)))
    if p == "HTTP":
        redirect = next((a for a in li.get("DefaultActions") or [] if a.get("Type") == "redirect"), None)
        r.set("http_redirects_to_https", val(
            redirect is not None and str((redirect.get("RedirectConfig") or {}).get("Protocol", "")).upper() == "HTTPS",
            "DefaultActions", api))
    return r


def _elb_tags(scope: Scope, resources: list[Resource]) -> None:
    """elbv2:DescribeTags takes 20 ARNs a call: load balancers and listeners together."""
    api = api_name("elbv2", "DescribeTags")
    chunks = [resources[i:i + 20] for i in range(0, len(resources), 20)]

    def one(chunk: list[Resource]) -> None:
        resp = scope.call("elbv2", "DescribeTags", ResourceArns=[r.address for r in chunk])
        found = {} if isinstance(resp, Failure) else {d["ResourceArn"]: d.get("Tags") for d in resp["TagDescriptions"]}
        for r in chunk:
            r.set("tags", unknown(resp, "Tags") if isinstance(resp, Failure) else tags(found.get(r.address), "Tags", api))

    scope.each(one, chunks)


# ----------------------------------------------------------------- CloudFront (global)
def distributions(scope: Scope) -> list[Resource]:
    items, fail = scope.pages("cloudfront", "ListDistributions", "DistributionList.Items")

    def one(d: dict) -> Resource:
        arn = d.get("ARN") or f"arn:{scope.partition}:cloudfront::{scope.account}:distribution/{d['Id']}"
        r = scope.resource("edge_endpoint", "aws_cloudfront_distribution", arn, d.get("DomainName", d["Id"]),
                           (arn, d["Id"]), raw=d, raw_api=api_name("cloudfront", "ListDistributions"))
        api = api_name("cloudfront", "ListDistributions")
        if "ViewerCertificate" not in d or "DefaultCacheBehavior" not in d:
            # a summary without the settings (AWS always sends them; emulators may not): read the config
            got = scope.call("cloudfront", "GetDistributionConfig", Id=d["Id"])
            if isinstance(got, Failure):
                for f in ("allows_plain_http", "tls_policy", "tls_min_version", "web_acl"):
                    r.set(f, unknown(got, f))
                d = {}
            else:
                d = got.get("DistributionConfig") or {}
                api = api_name("cloudfront", "GetDistributionConfig")
        if d:
            _cloudfront_fields(r, d, api)
        tg = scope.call("cloudfront", "ListTagsForResource", Resource=arn)
        r.set("tags", unknown(tg, "Tags") if isinstance(tg, Failure) else
              tags((tg.get("Tags") or {}).get("Items"), "Tags", api_name("cloudfront", "ListTagsForResource")))
        return r

    out = scope.each(one, items)
    if fail:
        out.append(scope.placeholder("edge_endpoint", "aws_cloudfront_distribution", "cloudfront", "distribution/*",
                                     fail, "CloudFront distributions"))
    return out


def _cloudfront_fields(r: Resource, d: dict, api: str) -> None:
    acl = d.get("WebACLId")
    r.set("web_acl", val(acl or None, "WebACLId" if acl else "WebACLId (none)", api))   # WAF-01
    policies = [(d.get("DefaultCacheBehavior") or {}).get("ViewerProtocolPolicy")] + \
               [b.get("ViewerProtocolPolicy") for b in (d.get("CacheBehaviors") or {}).get("Items") or []]
    r.set("allows_plain_http", val("allow-all" in policies, "ViewerProtocolPolicy", api))
    cert = d.get("ViewerCertificate") or {}
    if cert.get("CloudFrontDefaultCertificate") and not (cert.get("ACMCertificateArn") or cert.get("IAMCertificateId")):
        # with the *.cloudfront.net certificate CloudFront accepts TLSv1 whatever the setting says
        path = "ViewerCertificate.CloudFrontDefaultCertificate (policy TLSv1)"
        r.set("tls_policy", val("TLSv1", path, api))
        r.set("tls_min_version", val("1.0", path, api))
    else:
        mpv = cert.get("MinimumProtocolVersion")
        ver = cloudfront_policy_version(mpv)
        r.set("tls_policy", val(mpv, "MinimumProtocolVersion", api))
        r.set("tls_min_version", val(ver, "MinimumProtocolVersion", api) if ver else
              Unknown(f"unrecognised policy {mpv}", Origin(SOURCE, "MinimumProtocolVersion", api=api)))


# ----------------------------------------------------------------- API Gateway custom domains
def domain_names(scope: Scope) -> list[Resource]:
    out: list[Resource] = []
    seen: set[str] = set()
    api1 = api_name("apigateway", "GetDomainNames")
    items, fail = scope.pages("apigateway", "GetDomainNames", "items")
    for d in items:
        name = d["domainName"]
        seen.add(name)
        r = _domain(scope, "aws_api_gateway_domain_name", name, d.get("securityPolicy"), "securityPolicy", api1, d)
        r.set("tags", val(dict(d.get("tags") or {}), "tags", api1))
        out.append(r)
    if fail:
        out.append(scope.placeholder("edge_endpoint", "aws_api_gateway_domain_name", "apigateway", "/domainnames/*",
                                     fail, "API Gateway domain names"))
    api2 = api_name("apigatewayv2", "GetDomainNames")
    items2, fail2 = scope.pages("apigatewayv2", "GetDomainNames", "Items")
    for d in items2:
        name = d["DomainName"]
        if name in seen:  # the same custom domain, listed by both APIs
            continue
        confs = d.get("DomainNameConfigurations") or [{}]
        r = _domain(scope, "aws_apigatewayv2_domain_name", name, confs[0].get("SecurityPolicy"),
                    "DomainNameConfigurations.SecurityPolicy", api2, d)
        r.set("tags", val(dict(d.get("Tags") or {}), "Tags", api2))
        out.append(r)
    if fail2:
        out.append(scope.placeholder("edge_endpoint", "aws_apigatewayv2_domain_name", "apigateway",
                                     "/v2/domainnames/*", fail2, "API Gateway v2 domain names"))
    return out


def _domain(scope: Scope, type_: str, name: str, policy, path: str, api: str, item: dict) -> Resource:
    arn = f"arn:{scope.partition}:apigateway:{scope.region}::/domainnames/{name}"
    r = scope.resource("edge_endpoint", type_, arn, name, (arn, name), raw=item, raw_api=api)
    r.set("allows_plain_http", val(False, "(API Gateway custom domains serve HTTPS only)", api))
    o = Origin(SOURCE, path, api=api)
    if not policy:
        r.set("tls_policy", Unknown(f"{api} returned no security policy", o))
        r.set("tls_min_version", Unknown(f"{api} returned no security policy", o))
        return r
    r.set("tls_policy", Value(policy, o))
    ver = api_gateway_policy_version(policy)
    r.set("tls_min_version", Value(ver, o) if ver else Unknown(f"unrecognised security policy {policy}", o))
    return r
