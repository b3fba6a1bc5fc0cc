"""WAF: a web application firewall at every internet entry (seed 000 "WAF + Shield Advanced";
seed 001 "WAF on both platforms"; seed 003 §1.2; seed 004 Edge layer)."""
from __future__ import annotations

from scanner.controls import Check, control


@control("WAF-01", title="Internet-facing HTTP entry points are behind a web application firewall",
         family="WAF", severity="high", soc2=["CC6.6", "CC6.8"],
         kinds=("web_entry", "tls_listener", "edge_endpoint"), fields=("web_acl",),
         params={"azure_mode": "Prevention"},
         requirement="Every internet-facing HTTP entry point (application load balancers, CloudFront, API Gateway "
                     "stages, Application Gateways, Front Door endpoints) is behind a web application firewall; "
                     "on Azure the firewall is in Prevention mode.")
def waf_01(r, ctx):
    chk = Check()
    acl = r["web_acl"]
    facing = r["internet_facing"] if r.has("internet_facing") else None
    if facing is not None:
        t = facing.truthy()
        chk.see(facing)
        if t.is_false:
            return None   # an internal entry point: not applicable
    if not acl.known:
        chk.unknown(f"whether a web application firewall protects it is not known: {acl.reason}", acl)
    elif not acl.value:
        if facing is not None and facing.truthy().is_unknown:
            chk.unknown(f"no web application firewall protects it, and whether it is internet-facing is not known: "
                        f"{facing.truthy().reason}", acl)
        else:
            chk.fail("no web application firewall protects it", acl)
    else:
        chk.see(acl)
    if r.has("waf_mode") and acl.known and acl.value:
        want = str(ctx.params.get("azure_mode", "Prevention"))
        mode = r["waf_mode"]
        chk.require(mode.eq(want),
                    f"the web application firewall is in {mode.value} mode; "
                    f"{ctx.requires('azure_mode', want + ' mode')}",
                    "the web application firewall's mode is not known", mode)
    return chk.verdict("a web application firewall filters its requests")
