"""Live Azure audit speed: 20 subscriptions x 200 resources, 50 ms added to every request.

Runs the HTTPS Resource Manager emulator of the test suite in this process and
``specguard audit azure`` as a separate process (as a user would), once per
listing strategy, and prints wall time and request counts:

    python3 bench/bench_azure.py [--subscriptions 20] [--resources 200] [--latency 0.05] [--concurrency 16]
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import azure_emulator as ae  # noqa: E402

TAGS = {"Environment": "prod", "Project": "standby", "CostCenter": "cc-1", "Owner": "ops@example.com"}
KEY = "https://kv.vault.azure.net/keys/db/1"
# per 200 resources: 20 PG servers, 20 SQL servers with 2 databases each, 30 storage accounts,
# 20 Redis caches, 10 application gateways, 30 NSGs, 10 ASGs, 20 key vaults
MIX = {"pg": 20, "sql": 20, "db_per_sql": 2, "storage": 30, "redis": 20, "agw": 10, "nsg": 30, "asg": 10, "kv": 20}


def populate(emu: ae.ArmEmulator, n_subs: int, per_sub: int) -> int:
    scale = per_sub / 200
    n = {k: max(1, round(v * scale)) if k != "db_per_sql" else v for k, v in MIX.items()}
    total = 0
    for s in range(n_subs):
        sub = f"00000000-0000-0000-0000-{s:012d}"
        emu.add_subscription(sub, f"bench {s}")
        rg = "rg-bench"
        emu.add_resource_group(sub, rg, tags={"Environment": "prod"})
        for i in range(n["pg"]):
            pg = emu.put(ae.postgres_server(sub, rg, f"pg{i}", tags=TAGS, cmk_key_uri=KEY))
            emu.put(ae.postgres_config(pg["id"], "require_secure_transport", "on"))
            emu.put(ae.postgres_config(pg["id"], "ssl_min_protocol_version", "TLSv1.3"))
        for i in range(n["sql"]):
            sql = emu.put(ae.sql_server(sub, rg, f"sql{i}", tags=TAGS))
            emu.put(ae.sql_encryption_protector(sql["id"], KEY))
            for d in range(n["db_per_sql"]):
                db = emu.put(ae.sql_database(sql["id"], f"db{d}", tags=TAGS))
                emu.put(ae.sql_retention(db["id"], 35))
        for i in range(n["storage"]):
            emu.put(ae.storage_account(sub, rg, f"st{i}", tags=TAGS))
        for i in range(n["redis"]):
            emu.put(ae.redis_cache(sub, rg, f"redis{i}", tags=TAGS))
        for i in range(n["agw"]):
            emu.put(ae.app_gateway(sub, rg, f"agw{i}", tags=TAGS,
                                   ssl_policy={"policyType": "CustomV2", "minProtocolVersion": "TLSv1_3"}))
        for i in range(n["nsg"]):
            emu.put(ae.nsg(sub, rg, f"nsg{i}", tags=dict(TAGS, Tier="app"), rules=[
                {"destinationPortRange": "8080", "sourceAddressPrefix": "10.0.1.0/24"}]))
        for i in range(n["asg"]):
            emu.put(ae.asg(sub, rg, f"asg{i}", tags=dict(TAGS, Tier="web")))
        for i in range(n["kv"]):
            emu.put(ae.key_vault(sub, rg, f"kv{i}", tags=TAGS))
        total += n["pg"] + n["sql"] * (1 + n["db_per_sql"]) + sum(n[k] for k in ("storage", "redis", "agw", "nsg",
                                                                                   "asg", "kv"))
    return total


def run(emu: ae.ArmEmulator, strategy: str, concurrency: int, tmp: str) -> dict:
    emu.requests.clear()
    out = os.path.join(tmp, f"{strategy}.json")
    env = dict(os.environ, **emu.env())
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "scanner", "audit", "azure", "--arm-endpoint", emu.base_url,
                        "--strategy", strategy, "--concurrency", str(concurrency), "--quiet",
                        "--format", "json", "-o", out, "--fail-on", "none"],
                       env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    if p.returncode != 0:
        raise SystemExit(f"audit failed ({p.returncode}): {p.stderr}")
    doc = json.loads(pathlib.Path(out).read_text())
    arm = emu.arm_requests()
    kinds = Counter("graph query" if r["method"] == "POST" else
                    "child setting" if any(x in r["path"].lower() for x in (
                        "/configurations/", "/encryptionprotector/", "/backupshorttermretentionpolicies/"))
                    else "listing" for r in arm)
    return {"strategy": strategy, "wall_s": round(wall, 2), "audit_cpu_s": round(cpu, 2), "requests": len(arm),
            "identity_requests": len(emu.requests) - len(arm), "by_kind": dict(kinds),
            "resources": len({f["resource"]["address"] for f in doc["findings"]}),
            "findings": len(doc["findings"]), "coverage": len(doc["coverage"]),
            "latency_bound_s": round(len(arm) * emu.latency / concurrency, 2)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--subscriptions", type=int, default=20)
    ap.add_argument("--resources", type=int, default=200)
    ap.add_argument("--latency", type=float, default=0.05)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--page-size", type=int, default=100, help="ARM listing page size (nextLink paging)")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        emu = ae.ArmEmulator(page_size=a.page_size, latency=a.latency).start(tmp)
        try:
            n = populate(emu, a.subscriptions, a.resources)
            print(f"{a.subscriptions} subscriptions x {n // a.subscriptions} resources = {n} resources; "
                  f"{a.latency * 1000:.0f} ms added per request; concurrency {a.concurrency}")
            for strategy in ("arm", "graph"):
                r = run(emu, strategy, a.concurrency, tmp)
                print(json.dumps(r))
        finally:
            emu.stop()


if __name__ == "__main__":
    main()
