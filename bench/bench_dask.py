"""Benchmark of `specguard audit aws --org-role` on the executors of issue 19: `--executor local` against a
local Dask cluster (`--executor dask-local:N`), over an AWS Organization simulated in moto's server.

moto holds the Organization: ``--accounts`` member accounts (default 200) besides the management one,
each with ``--resources`` resources (half EBS volumes, half security groups, in the first region),
created with that account's assumed-role credentials (moto keeps state per account).  The test proxy
(tests/aws_support.py) adds ``--delay`` (50 ms) to every request and counts them.  Each audit runs as
the real command in a process of its own, audited over ``--regions`` (2); its peak RSS is the
coordinator's (the Dask workers are other processes; the local cluster's scheduler runs inside it).

Printed: wall time, API calls, coordinator peak memory, units per minute, for each executor; the
Dask scheduling overhead per unit (no-op tasks through the same kind of cluster, and the audit's own
wall x slots - unit seconds); and, with ``--memory 50,200``, the Dask coordinator's peak memory at
50 and 200 accounts against the targets (< 300 MB; < 1.2 x the 50-account figure + the extra findings).

Run:  python3 bench/bench_dask.py [--accounts 200] [--regions us-east-1,us-west-2] [--delay 0.05]
                                  [--resources 0] [--workers 2] [--memory 50,200 --resources 100]
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import pathlib
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from aws_support import ACCOUNT, CLEAR, FaultProxy, MotoServer, aws_env, client  # noqa: E402
from test_dask_executor import Cluster  # noqa: E402  (dask scheduler and worker processes on loopback)

from scanner.executor.dask import UNITS_PER_WORKER  # noqa: E402

ROLE = "OrganizationAccountAccessRole"
# `specguard` that says its own peak RSS last on stderr: VmHWM of its own memory since exec (wait4's and
# getrusage's ru_maxrss would also count the bench process it was forked from)
PEAK = ("import atexit, sys\n"
        "atexit.register(lambda: sys.stderr.write([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0]))\n"
        "from scanner.cli import main\n"
        "raise SystemExit(main(sys.argv[1:]))\n")


def _member_client(endpoint: str, aid: str, service: str, region: str):
    import boto3
    cr = client(endpoint, "sts").assume_role(RoleArn=f"arn:aws:iam::{aid}:role/{ROLE}",
                                              RoleSessionName="bench")["Credentials"]
    return boto3.client(service, region_name=region, endpoint_url=endpoint, aws_access_key_id=cr["AccessKeyId"],
                        aws_secret_access_key=cr["SecretAccessKey"], aws_session_token=cr["SessionToken"])


def organization(endpoint: str, n: int, per_account: int, region: str) -> list[str]:
    org = client(endpoint, "organizations")
    org.create_organization(FeatureSet="ALL")
    for i in range(n):
        org.create_account(Email=f"m{i}@example.com", AccountName=f"member{i:03d}")
    members = sorted(a["Id"] for page in org.get_paginator("list_accounts").paginate() for a in page["Accounts"]
                     if a["Id"] != ACCOUNT)

    def fill(aid: str) -> None:
        ec2 = _member_client(endpoint, aid, "ec2", region)
        tags = [{"Key": "Environment", "Value": "prod"}, {"Key": "Project", "Value": "bench"}]
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"] if per_account else None
        for i in range(per_account // 2):
            ec2.create_volume(AvailabilityZone=f"{region}a", Size=1, Encrypted=i % 5 != 0,
                              TagSpecifications=[{"ResourceType": "volume", "Tags": tags}])
        for i in range(per_account - per_account // 2):
            ec2.create_security_group(GroupName=f"g{i}", Description="bench", VpcId=vpc, TagSpecifications=[
                {"ResourceType": "security-group", "Tags": tags + [{"Key": "Tier", "Value": "app"}]}])

    if per_account:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(fill, members))
    return members


def audit(env: dict, executor: str, regions: str, extra: list[str], proxy: FaultProxy) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = pathlib.Path(tmp) / "results.json"
        before = proxy.total
        t0 = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-c", PEAK, "audit", "aws", "--org-role", ROLE, "--regions",
                                 regions, "--executor", executor, "--format", "json", "-o", str(out), "--quiet",
                                 *extra], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        _, err = proc.communicate()
        wall = time.monotonic() - t0
        rc = proc.returncode
        if rc not in (0, 1):
            raise SystemExit(f"{executor}: exit {rc}: {err.strip()}")
        peak_kb = int(err.strip().splitlines()[-1].split()[1])
        doc = json.loads(out.read_text())
        findings_bytes = len(json.dumps(doc["findings"]))
    return {"executor": executor, "wall": wall, "calls": proxy.total - before, "rss_mb": peak_kb / 1024,
            "units": doc["summary"]["units"], "findings": len(doc["findings"]), "findings_bytes": findings_bytes}


def scheduling_overhead(cluster, tasks: int = 400) -> float:
    """Seconds per task of the Dask round trip itself: no-op tasks submitted one by one and gathered,
    through the cluster the audit used."""
    c = cluster.client
    c.gather([c.submit(abs, -i, pure=False) for i in range(8)])   # warm
    t0 = time.monotonic()
    c.gather([c.submit(abs, -i, pure=False) for i in range(tasks)])
    return (time.monotonic() - t0) / tasks


def show(r: dict, n_units: int) -> None:
    print(f"  {r['executor']:<14} wall {r['wall']:7.1f} s   API calls {r['calls']:6d}   coordinator peak "
          f"{r['rss_mb']:6.0f} MB   {n_units / r['wall'] * 60:7.1f} units/min   units {r['units']}   "
          f"findings {r['findings']}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=200, help="member accounts (the management one is audited too)")
    ap.add_argument("--regions", default="us-east-1,us-west-2")
    ap.add_argument("--delay", type=float, default=0.05)
    ap.add_argument("--resources", type=int, default=0, help="resources per member account")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--memory", default="", help="e.g. 50,200: Dask coordinator's peak at these account counts")
    ap.add_argument("--skip-local", action="store_true")
    opts = ap.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = MotoServer(process=True)
    proxy = FaultProxy(server.url)
    try:
        t0 = time.monotonic()
        members = organization(server.url, opts.accounts, opts.resources, opts.regions.split(",")[0])
        print(f"loaded an Organization of {len(members) + 1} accounts, {opts.resources} resources in each member, "
              f"in {time.monotonic() - t0:.0f} s; {opts.delay * 1000:.0f} ms added to every request; "
              f"regions {opts.regions}; {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
        env = {k: v for k, v in os.environ.items() if k not in CLEAR}
        env.update(aws_env(proxy.url))
        proxy.delay = opts.delay
        n_units = len(members) + 1
        rows = []
        if not opts.skip_local:
            rows.append(audit(env, "local", opts.regions, [], proxy))
            show(rows[-1], n_units)
        # the cluster's processes are not the coordinator's children, so its peak RSS is its own
        # (wait4 would count a dask-local:N cluster's worker processes too)
        cluster = Cluster(env, workers=opts.workers, nthreads=UNITS_PER_WORKER)
        dask = cluster.address.replace("tcp://", "dask://")
        try:
            from distributed import get_task_stream
            with get_task_stream(client=cluster.client) as stream:   # each unit's compute time, on the workers
                rows.append(audit(env, dask, opts.regions, [], proxy))
            rows[-1]["unit_seconds"] = [sum(ss["stop"] - ss["start"] for ss in t["startstops"] if ss["action"] == "compute")
                                        for t in stream.data if str(t["key"]).startswith("specguard-")]
            rows[-1]["executor"] = f"Dask {opts.workers}x{UNITS_PER_WORKER}"
            show(rows[-1], n_units)
            dask_row = rows[-1]
            per_task = scheduling_overhead(cluster)
            slots = opts.workers * UNITS_PER_WORKER
            busy = sum(dask_row["unit_seconds"])
            print(f"  Dask round trip of a no-op task: {per_task * 1000:.1f} ms ({per_task * n_units:.1f} s over "
                  f"{n_units} units); wall x {slots} slots - unit seconds = "
                  f"{(dask_row['wall'] * slots - busy) / n_units:.2f} s per unit (start-up, listing and idle slots "
                  f"included); a unit takes {busy / n_units:.1f} s on average")
            if len(rows) == 2:
                print(f"  Dask / local wall time: {rows[1]['wall'] / rows[0]['wall']:.2f}")
            if opts.memory:
                memory(opts, env, dask, members, proxy, dask_row)
        finally:
            cluster.stop()
        return 0
    finally:
        proxy.stop()
        try:
            server.stop()
        except subprocess.TimeoutExpired:   # a moto holding 200 accounts can take longer to go
            server._proc.kill()  # noqa: SLF001
            server._proc.wait()  # noqa: SLF001


def memory(opts, env, dask, members, proxy, whole: dict) -> None:
    sizes = [int(x) for x in opts.memory.split(",")]
    mem = {}
    for n in sizes:
        pick = members[:max(0, n - 1)]   # the management account is audited too
        if n >= len(members) + 1:   # the whole Organization: the run above
            r = whole
        else:
            r = audit(env, dask, opts.regions, ["--accounts", ",".join([ACCOUNT, *pick])], proxy)
        mem[n] = r
        print(f"  memory at {n} accounts x {opts.resources} resources: coordinator peak {r['rss_mb']:.0f} MB, "
              f"{r['findings']} findings ({r['findings_bytes'] / 1e6:.1f} MB as JSON), wall {r['wall']:.0f} s")
    if len(sizes) == 2:
        a, b = mem[sizes[0]], mem[sizes[1]]
        extra = (b["findings_bytes"] - a["findings_bytes"]) / 2**20
        limit = 1.2 * a["rss_mb"] + extra
        per = (b["rss_mb"] - a["rss_mb"]) * 2**20 / max(1, b["findings"] - a["findings"])
        print(f"  target: {b['rss_mb']:.0f} MB < 300 MB: {'met' if b['rss_mb'] < 300 else 'NOT met'}; "
              f"< 1.2 x {a['rss_mb']:.0f} + {extra:.1f} MB of extra findings (their JSON) = {limit:.0f} MB: "
              f"{'met' if b['rss_mb'] < limit else 'NOT met'}; the peak grew {per:.0f} bytes per extra finding "
              f"({(b['findings_bytes'] - a['findings_bytes']) / max(1, b['findings'] - a['findings']):.0f} bytes of JSON each)")


if __name__ == "__main__":
    sys.exit(main())
