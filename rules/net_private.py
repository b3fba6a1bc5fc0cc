"""NET (continued): data stores are private (seed 000 "Private Subnets"; seed 001 "Private
Endpoints"; seed 003 §3.1 database subnets)."""
from __future__ import annotations

from scanner.controls import Check, control
from scanner.link import Maybe
from scanner.values import Unknown


@control("NET-05", title="Databases and caches are not reachable from the public internet",
         family="NET", severity="high", soc2=["CC6.6", "CC6.1"], kinds=("database", "cache"),
         fields=("publicly_accessible", "cluster_members"),
         requirement="Databases and caches are not reachable from the public internet: RDS instances and cluster "
                     "instances are not publicly accessible (a cluster is public if any member is); Azure "
                     "PostgreSQL flexible servers, SQL servers and Redis caches have public network access "
                     "disabled (or are VNet-integrated).")
def net_05(r, ctx):
    chk = Check()
    if r.has("publicly_accessible"):
        v = r["publicly_accessible"]
        chk.require(~v.truthy(), "it is reachable from the public internet",
                    "whether it is reachable from the public internet is not known", v)
    if r.has("cluster_members"):
        members = r["cluster_members"]
        if not members.known:
            chk.unknown(f"the cluster's instances are not known: {members.reason}", members)
        for m in members.value or [] if members.known else []:
            if isinstance(m, Unknown):
                # an instance that may belong to it (link.Maybe) and is known not to be public
                # changes nothing; any other is a doubt
                inst = ctx.lookup(m.what) if isinstance(m, Maybe) and isinstance(m.what, str) else None
                if inst is None or not inst.has("publicly_accessible") or \
                        not inst["publicly_accessible"].truthy().is_false:
                    chk.unknown(f"an instance of the cluster is not known: {m.reason}")
                continue
            inst = ctx.lookup(m)
            if inst is None or not inst.has("publicly_accessible"):
                chk.unknown(f"whether cluster instance {m} is publicly accessible is not known (it was not read)")
                continue
            v = inst["publicly_accessible"]
            chk.see(v, name=f"{inst.address}.{v.origin.path}")
            t = v.truthy()
            if t.is_true:
                chk.fail(f"cluster instance {inst.name or inst.address} is reachable from the public internet")
            elif t.is_unknown:
                chk.unknown(f"whether cluster instance {inst.name or inst.address} is publicly accessible is not "
                            f"known: {t.reason}")
    return chk.verdict("it is not reachable from the public internet")
