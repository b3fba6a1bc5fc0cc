"""TLS: encryption in transit, TLS 1.3 (seed 001 Network Security; seed 003 §4.3).

The required minimum is `min_version` (1.3), lowered to a service's ceiling
where the service's setting cannot require more (`platform_ceilings`, keyed by
the Terraform-equivalent type, so live resources use the same table).  When the
ceiling applies the finding says so.
"""
from __future__ import annotations

from scanner.controls import Check, control
from scanner.model import KINDS, LINK_KINDS
from scanner.values import Value

SOC2 = ["CC6.7", "CC6.6"]

# The highest minimum-TLS setting each service offers (types not listed: 1.3 is possible).
#   CloudFront viewer policies top out at TLSv1.2_2021 for a distribution's minimum.
#   Front Door custom domains: minimum_tls_version TLS10 | TLS12.
#   API Gateway REST custom domains: security_policy TLS_1_0 | TLS_1_2 in the provider
#     (TLS 1.3 policies, where available, are accepted too: they are above the ceiling).
#   API Gateway HTTP/WebSocket domains (v2): TLS_1_2 is the only policy.
#   Azure Storage: min_tls_version up to TLS1_2 ("1.3 is not supported" as a minimum).
#   Azure Cache for Redis: minimum_tls_version 1.0 | 1.1 | 1.2.
#   Azure Database for PostgreSQL / MySQL / MariaDB single servers: ssl_minimal_tls_version_enforced
#     up to TLS1_2.
# Not limited: ALB/NLB (TLS13-1-3 policies), Application Gateway (CustomV2 TLSv1_3),
# RDS parameter groups, PostgreSQL and MySQL flexible servers (TLSv1.3), Azure SQL (minimalTlsVersion 1.3).
CEILINGS = {
    "aws_cloudfront_distribution": "1.2",
    "azurerm_cdn_frontdoor_custom_domain": "1.2",
    "aws_api_gateway_domain_name": "1.2",
    "aws_apigatewayv2_domain_name": "1.2",
    "azurerm_storage_account": "1.2",
    "azurerm_redis_cache": "1.2",
    "azurerm_postgresql_server": "1.2",
    "azurerm_mysql_server": "1.2",
    "azurerm_mariadb_server": "1.2",
}

ELB_LISTENERS = ("aws_lb_listener", "aws_alb_listener")
ALB_TLS13_ONLY = ["ELBSecurityPolicy-TLS13-1-3-2021-06", "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04"]
# Policies that accept TLS 1.2 and 1.3 (nothing older): accepted when the profile's minimum is 1.2.
ALB_TLS13_1_2_FAMILY = [
    "ELBSecurityPolicy-TLS13-1-2-2021-06", "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06", "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04", "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-2-Ext0-FIPS-2023-04", "ELBSecurityPolicy-TLS13-1-2-Ext1-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-2-Ext2-FIPS-2023-04",
]


def version(v) -> tuple | None:
    """"1.2", "TLSv1.2", "TLS1_2", "TLS12", "TLSv1_2" -> (1, 2); "0" (SSLv3) -> (0,)."""
    if v is None:
        return None
    s = str(v).upper().replace("TLSV", "").replace("TLS", "").replace("_", ".").strip(" .")
    if len(s) == 2 and s.isdigit():
        s = f"{s[0]}.{s[1]}"
    try:
        return tuple(int(p) for p in s.split("."))
    except ValueError:
        return None


def required(r, ctx) -> tuple[str, str]:
    """(the minimum this resource must meet, a note when the platform ceiling lowered it)."""
    want = str(ctx["min_version"])
    cap = (ctx.params.get("platform_ceilings") or {}).get(r.type)
    if version(cap) is not None and version(want) is not None and version(cap) < version(want):
        return str(cap), (f"TLS {want} is required, but {r.type} cannot require more than TLS {cap} "
                          f"(platform ceiling), so TLS {cap} is required")
    return want, ""


def _min_version_check(chk: Check, r, req: str, note: str) -> None:
    v = r["tls_min_version"]
    cond = v.test(lambda x: version(x) is not None and version(x) >= version(req))
    chk.require(cond, f"minimum TLS version is {_show(v)}, below {req}" + (f"; {note}" if note else ""),
                "the minimum TLS version is not known", v)


def _show(v: Value) -> str:
    if v.known:
        return str(v.value)
    options = getattr(v, "candidates", None)   # unknown, but one of these (defaults of the provider versions admitted)
    return " or ".join(str(o) for o in options) if options else "unknown"


def _ok(req: str, note: str) -> str:
    return f"minimum TLS {req}" + (f" ({note})" if note else "")


def _with_ceiling(params: dict) -> dict:
    out = {"min_version": "1.3", "platform_ceilings": dict(CEILINGS)}
    out.update(params)
    return out


@control("TLS-01", title="Load-balancer listeners use TLS 1.3 and plain HTTP only redirects",
         family="TLS", severity="medium-high", soc2=SOC2, kinds=("tls_listener",),
         fields=("terminates_tls", "plain_http", "protocol"),
         params=_with_ceiling({"alb_policies": list(ALB_TLS13_ONLY),
                               "alb_policies_tls12": list(ALB_TLS13_1_2_FAMILY)}),
         requirement="Listeners that terminate TLS use a TLS 1.3 policy; a plain-HTTP listener only redirects "
                     "to HTTPS.")
def tls_01(r, ctx):
    t, h = r["terminates_tls"], r["plain_http"]
    if t.known and h.known and t.value is False and h.value is False:
        return None   # TCP/UDP pass-through: no TLS terminated, no HTTP served
    chk = Check()
    chk.see(r["protocol"], name="protocol")
    if not t.known:
        chk.unknown(f"whether the listener terminates TLS is not known: {t.reason}")
    req, note = required(r, ctx)
    if t.known and t.value is True:
        if r.type in ELB_LISTENERS:
            accepted = list(ctx["alb_policies"])
            if version(req) <= (1, 2):
                accepted += list(ctx["alb_policies_tls12"])
            pol = r["tls_policy"]
            chk.note("accepted_policies", accepted)
            if pol.known and pol.value is None:
                chk.fail("no ssl_policy is set: the AWS default policy applies, which accepts versions below "
                         f"TLS {req}", r["tls_min_version"])
            else:
                chk.require(pol.is_in(accepted), f"TLS policy {_show(pol)} is not one of {', '.join(accepted)}"
                            + (f"; {note}" if note else ""), "the TLS policy is not known", pol)
        else:
            if r.has("tls_policy"):
                chk.see(r["tls_policy"])
            _min_version_check(chk, r, req, note)
    if h.known and h.value is True:
        red = r["http_redirects_to_https"]
        chk.require(red.truthy(), "a plain-HTTP listener does not redirect to HTTPS",
                    "whether the HTTP listener redirects to HTTPS is not known", red)
    parts = [_ok(req, note)] if t.known and t.value is True else []
    if h.known and h.value is True:
        parts.append("plain HTTP only redirects to HTTPS")
    return chk.verdict("; ".join(parts))


@control("TLS-02", title="Edge and API endpoints refuse old TLS and plain HTTP",
         family="TLS", severity="medium-high", soc2=SOC2, kinds=("edge_endpoint",),
         fields=("allows_plain_http", "tls_min_version", "tls_policy"),
         params=_with_ceiling({"cloudfront_min_policy": "TLSv1.2_2021"}),
         requirement="CDN, front-door and API custom-domain endpoints accept HTTPS only, at the minimum TLS "
                     "version (or the service's ceiling).")
def tls_02(r, ctx):
    chk = Check()
    if r.has("allows_plain_http"):
        p = r["allows_plain_http"]
        chk.require(p.eq(False), "plain HTTP is accepted (viewer_protocol_policy allow-all)",
                    "whether plain HTTP is accepted is not known", p)
    req, note = required(r, ctx)
    if r.type == "aws_cloudfront_distribution" and version(req) <= (1, 2):
        floor = str(ctx["cloudfront_min_policy"])
        pol = r["tls_policy"]
        cond = pol.test(lambda x: _cf_rank(x) >= _cf_rank(floor))
        chk.require(cond, f"viewer policy {_show(pol)} is below {floor}" + (f"; {note}" if note else ""),
                    "the viewer TLS policy is not known", pol)
        return chk.verdict(f"viewer policy at least {floor}" + (f" ({note})" if note else ""))
    if r.has("tls_policy"):
        chk.see(r["tls_policy"])
    _min_version_check(chk, r, req, note)
    return chk.verdict(_ok(req, note))


def _cf_rank(policy) -> tuple:
    """TLSv1.2_2021 -> ((1, 2), 2021); SSLv3 -> ((0,), 0); unrecognised -> lowest."""
    s = str(policy)
    if s.upper().startswith("SSL"):
        return ((0,), 0)
    head, _, year = s.partition("_")
    v = version(head)
    return (v or (0,), int(year) if year.isdigit() else 0)


_DATA_KINDS = tuple(k for k in KINDS if k not in ("tls_listener", "edge_endpoint") and k not in LINK_KINDS)


@control("TLS-03", title="Data services accept only encrypted connections",
         family="TLS", severity="medium-high", soc2=SOC2, kinds=_DATA_KINDS,
         fields=("requires_tls", "tls_min_version"), params=_with_ceiling({}),
         requirement="Databases, caches and storage accept only TLS connections, at the minimum TLS version "
                     "(or the service's ceiling).")
def tls_03(r, ctx):
    chk = Check()
    if r.has("requires_tls"):
        v = r["requires_tls"]
        chk.require(v.truthy(), "unencrypted connections are accepted", "whether TLS is required is not known", v)
    req, note = required(r, ctx)
    if r.has("tls_min_version"):
        _min_version_check(chk, r, req, note)
        return chk.verdict("only TLS connections, " + _ok(req, note) if r.has("requires_tls") else _ok(req, note))
    return chk.verdict("only TLS connections are accepted")
