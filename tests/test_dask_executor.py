"""`--executor dask://...` against a real Dask cluster on loopback (issue 19).

One `dask scheduler` and two `dask worker` processes (each with its nanny), started here and shared by
the module; moto's server holds an AWS Organization of 21 accounts, the seed platform built in three of
them, one whose role cannot be assumed; the HTTPS Resource Manager emulator holds four subscriptions.
The workers have credentials of their own (another access key; the emulator's service principal),
given through their environment as a real deployment gives them: nothing secret travels in a task.
"""
from __future__ import annotations

import copy
import json
import os
import pathlib
import pickle
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

import aws_support
import azure_emulator as ae
from aws_support import ACCOUNT, CLEAR, FaultProxy, MotoServer, aws_env, client, load_platform

distributed = pytest.importorskip("distributed")

REGIONS = "us-east-1,us-west-2"
MEMBERS = 20
WORKER_KEY = "worker-key"   # the workers' own access key (moto maps any key it did not issue to ACCOUNT)
SUBS = [f"00000000-0000-0000-0000-0000000000{i:02x}" for i in (0xa1, 0xa2, 0xa3, 0xa4)]
TAGS = {"Environment": "prod", "Project": "standby", "CostCenter": "cc-42", "Owner": "dba@example.com"}
RULES = pathlib.Path(__file__).resolve().parent.parent / "examples" / "rules"   # users' own controls, both kinds
pytestmark = pytest.mark.timeout(600)


# ----------------------------------------------------------------------------- the parts
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _assumed_client(endpoint: str, aid: str):
    """aws_support.client, but with credentials of account ``aid`` (moto keeps state per account)."""
    import boto3
    cr = client(endpoint, "sts").assume_role(RoleArn=f"arn:aws:iam::{aid}:role/OrganizationAccountAccessRole",
                                              RoleSessionName="loader")["Credentials"]

    def own_bucket(params, **_):   # bucket names are global: the account's copy gets its own
        if "Bucket" in params:
            params["Bucket"] = f"{params['Bucket']}-{aid}"

    def make(endpoint_, service, region="us-east-1"):
        c = boto3.client(service, region_name=region, endpoint_url=endpoint_, aws_access_key_id=cr["AccessKeyId"],
                         aws_secret_access_key=cr["SecretAccessKey"], aws_session_token=cr["SessionToken"])
        c.meta.events.register("before-parameter-build.s3", own_bucket)
        return c
    return make


def _organization(server) -> dict:
    org = client(server.url, "organizations")
    org.create_organization(FeatureSet="ALL")
    for i in range(MEMBERS):
        org.create_account(Email=f"member{i}@example.com", AccountName=f"member{i:02d}")
    members = sorted(a["Id"] for page in org.get_paginator("list_accounts").paginate() for a in page["Accounts"]
                     if a["Id"] != ACCOUNT)
    # the seed platform in two member accounts (one violating); the management account has it too
    original = aws_support.client
    try:
        for aid, violating in ((members[0], True), (members[1], False)):
            aws_support.client = _assumed_client(server.url, aid)
            load_platform(server.url, violating)
    finally:
        aws_support.client = original
    return {"members": members, "violating": members[0], "denied": members[2]}


def _subscriptions(emu) -> None:
    for n, sub in enumerate(SUBS):
        rg = f"rg-{n}"
        emu.add_subscription(sub, f"sub {n}")
        emu.add_resource_group(sub, rg, tags={"Environment": "prod"})
        pg = emu.put(ae.postgres_server(sub, rg, f"pg-{n}", tags=TAGS, ha_mode="ZoneRedundant" if n % 2 else "Disabled"))
        emu.put(ae.postgres_config(pg["id"], "require_secure_transport", "on" if n != 2 else "off"))
        emu.put(ae.storage_account(sub, rg, f"st{n}", tags=TAGS, min_tls="TLS1_2" if n % 2 else "TLS1_0"))
        emu.put(ae.key_vault(sub, rg, f"kv-{n}", tags=TAGS, purge_protection=n != 3))
        emu.put(ae.nsg(sub, rg, f"nsg-{n}", tags=dict(TAGS, Tier="app"), rules=[
            {"name": "ssh", "destinationPortRange": "22", "sourceAddressPrefix": "Internet" if n == 1 else "10.0.0.0/8"}]))
    # one subscription's SQL servers cannot be listed: a coverage entry and placeholders, both ways
    emu.fault(f"/subscriptions/{SUBS[3]}/providers/microsoft.sql/servers", 403, "AuthorizationFailed")


class Cluster:
    """`dask scheduler` and `dask worker` processes on loopback, torn down at the end."""

    def __init__(self, env: dict, workers: int = 2, extra: tuple = (), nthreads: int = 2):
        self.port = _free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        bindir = os.path.dirname(sys.executable)
        dask = os.path.join(bindir, "dask")
        self.procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(self.port),
                                        "--no-dashboard"], env=env, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL, start_new_session=True)]
        for _ in range(workers):
            self.procs.append(subprocess.Popen(
                [dask, "worker", self.address, "--host", "127.0.0.1", "--nthreads", str(nthreads), "--no-dashboard",
                 "--death-timeout", "60", *extra], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                start_new_session=True))
        self.client = None
        try:
            deadline = time.monotonic() + 60
            while self.client is None:
                try:
                    self.client = distributed.Client(self.address, timeout=5, set_as_default=False)
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            self.client.wait_for_workers(workers, timeout=60)
        except BaseException:
            self.stop()
            raise

    def worker_pids(self) -> dict[str, int]:
        return self.client.run(os.getpid)

    def stop(self) -> None:
        if self.client is not None:
            self.client.close()
        for p in reversed(self.procs):
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    stop = []   # whatever was started, stopped in reverse order even when the set-up fails half-way
    try:
        server = MotoServer(process=True)
        stop.append(server.stop)
        proxy = FaultProxy(server.url)
        stop.append(proxy.stop)
        load_platform(server.url, False, proxy)   # the management account's, with the proxy's emulations
        org = _organization(server)
        # the same refusal in every run: the role in this account cannot be assumed
        proxy.fail("sts", "AssumeRole", contains=f"arn:aws:iam::{org['denied']}:role/", error="AccessDenied")
        emu = ae.ArmEmulator(page_size=2).start(tmp_path_factory.mktemp("emu"))
        stop.append(emu.stop)
        _subscriptions(emu)
        env = {k: v for k, v in os.environ.items() if k not in CLEAR and not k.startswith(("AWS_", "AZURE_"))}
        env.update(aws_env(proxy.url, key=WORKER_KEY))
        env.update(emu.env())
        cluster = Cluster(env)
        stop.append(cluster.stop)
        yield {"server": server, "proxy": proxy, "emu": emu, "cluster": cluster,
               "tmp": tmp_path_factory.mktemp("world"), **org}
    finally:
        for fn in reversed(stop):
            fn()


@pytest.fixture
def coordinator_env(world, monkeypatch):
    """The coordinator's own credentials: another access key than the workers'."""
    for k in CLEAR + ("AZURE_SDK_CLOUD_CONF", "AZURE_USERNAME", "AZURE_CLIENT_CERTIFICATE_PATH"):
        monkeypatch.delenv(k, raising=False)
    for k, v in {**aws_env(world["proxy"].url), **world["emu"].env()}.items():
        monkeypatch.setenv(k, v)


def _aws(tmp_path, world, executor: str, *extra, name="out.json"):
    from scanner.cli import main
    from scanner.results import validate
    out = tmp_path / name
    rc = main(["audit", "aws", "--org-role", "OrganizationAccountAccessRole", "--regions", REGIONS, "--quiet",
               "--executor", executor, "--format", "json", "-o", str(out), *map(str, extra)])
    raw = out.read_bytes()
    doc = json.loads(raw)
    validate(doc)
    RAW[id(doc)] = raw
    return rc, doc


def _azure(tmp_path, world, executor: str, name="az.json"):
    from scanner.cli import main
    from scanner.results import validate
    out = tmp_path / name
    rc = main(["audit", "azure", "--arm-endpoint", world["emu"].base_url, "--quiet", "--max-retries", "1",
               "--timeout", "10", "--executor", executor, "--format", "json", "-o", str(out),
               "--rules", str(RULES / "acme.yaml"), "--rules", str(RULES / "acme_rules.py")])
    raw = out.read_bytes()
    doc = json.loads(raw)
    validate(doc)
    RAW[id(doc)] = raw
    return rc, doc


RAW: dict[int, bytes] = {}   # the bytes each run wrote, by its document


def written(doc: dict) -> bytes:
    """The bytes the run wrote, with its run id and times put to fixed values (nothing else differs
    between two runs of the same audit): the file must be the canonical encoding of its document."""
    from scanner.render.html import canonical_json
    raw = RAW[id(doc)]
    d = json.loads(raw)
    assert canonical_json(d) == raw
    d["run"].update(id="-", started_at="-", finished_at="-")
    return canonical_json(d)


def same(doc: dict) -> dict:
    """The document without what differs between any two runs (ids, times), lists in a fixed order."""
    d = copy.deepcopy(doc)
    for k in ("id", "started_at", "finished_at"):
        d["run"].pop(k)
    d["findings"].sort(key=lambda f: (f["control_id"], f["resource"]["address"], f["fingerprint"]))
    d["coverage"].sort(key=lambda c: json.dumps(c, sort_keys=True))
    d["sources"].sort(key=lambda s: json.dumps(s, sort_keys=True))
    d["scope"] = {k: sorted(v) for k, v in d["scope"].items()}
    return d


def of_accounts(doc: dict, accounts: list[str]) -> dict:
    """What a run says about these accounts: their findings, coverage entries and sources."""
    d = same(doc)
    return {"findings": [f for f in d["findings"] if f["resource"].get("account") in accounts],
            "coverage": [c for c in d["coverage"] if c.get("account") in accounts],
            "sources": [s for s in d["sources"] if s.get("account") in accounts]}


def _waivers(tmp_path, world) -> str:
    """A waiver of the violating account's open security groups: applied once, at the coordinator
    (one file for every run: its path is in the results)."""
    path = world["tmp"] / "waivers.yaml"
    if path.exists():
        return str(path)
    path.write_text(f"""waivers:
  - control: NET-01
    resource: "arn:aws:ec2:us-east-1:{world['violating']}:security-group/*"
    reason: "bastion during the migration"
    approver: "ciso@example.com"
    expires: "2099-01-01"
""")
    return str(path)


@pytest.fixture(scope="module")
def local_aws(world, tmp_path_factory):
    """The local audit every cluster run is compared with (computed once)."""
    mp = pytest.MonkeyPatch()
    try:
        for k in CLEAR:
            mp.delenv(k, raising=False)
        for k, v in aws_env(world["proxy"].url).items():
            mp.setenv(k, v)
        tmp = tmp_path_factory.mktemp("local")
        rc, doc = _aws(tmp, world, "local", "--waivers", _waivers(tmp, world))
    finally:
        mp.undo()
    return rc, doc


# ----------------------------------------------------------------------------- AWS
def test_org_audit_on_the_cluster_is_the_local_audit(world, local_aws, coordinator_env, tmp_path):
    rc_local, local = local_aws
    proxy = world["proxy"]
    proxy.seen.clear()
    rc, doc = _aws(tmp_path, world, f"dask://127.0.0.1:{world['cluster'].port}", "--waivers", _waivers(tmp_path, world))
    assert (rc, same(doc)) == (rc_local, same(local))
    assert written(doc) == written(local)   # the same bytes, in the same order, as one process writes
    # findings come control by control, as one local evaluation orders them
    assert [f["control_id"] for f in doc["findings"]] == [f["control_id"] for f in local["findings"]]
    # every account was a unit: the organization, the seeds' verdicts, the refused role
    assert len(doc["scope"]["accounts"]) == MEMBERS + 1
    assert doc["summary"]["units"] == {"planned": MEMBERS + 1, "done": MEMBERS, "failed": 1}
    by_account = {}
    for f in doc["findings"]:
        by_account.setdefault(f["resource"]["account"], []).append(f)
    assert any(f["status"] == "fail" for f in by_account[world["violating"]])
    assert any(f["status"] == "waived" and f["waiver"]["approver"] == "ciso@example.com"
               for f in by_account[world["violating"]])
    denied = by_account[world["denied"]]
    assert denied and all(f["status"] == "unknown" for f in denied)
    assert any(f["resource"]["address"] == f"arn:aws:ec2:us-east-1:{world['denied']}:volume/*" for f in denied)
    entry = next(c for c in doc["coverage"] if c["kind"] == "account-unreachable")
    assert entry["account"] == world["denied"] and entry["error"] == "AccessDenied"
    assert proxy.seen[("rds", "DescribeDBInstances", "us-west-2")] >= MEMBERS   # each entered account was read
    assert "testing-secret" not in json.dumps(doc)


def test_a_worker_killed_mid_unit_costs_nothing(world, local_aws, coordinator_env, tmp_path):
    rc_local, local = local_aws
    cluster, proxy = world["cluster"], world["proxy"]
    proxy.delay = 0.03   # units last long enough to be caught running
    out: dict = {}

    picked = [ACCOUNT, *world["members"][:5]]   # the seeded accounts, the refused one, two empty ones

    def audit():
        out["rc"], out["doc"] = _aws(tmp_path, world, cluster.address.replace("tcp://", "dask://"),
                                     "--waivers", _waivers(tmp_path, world), "--accounts", ",".join(picked))

    t = threading.Thread(target=audit)
    killed = None
    try:
        pids = cluster.worker_pids()
        t.start()
        deadline = time.monotonic() + 120
        while killed is None and time.monotonic() < deadline and t.is_alive():
            for addr, keys in cluster.client.processing().items():
                if any(str(k).startswith("specguard-aws-") for k in keys) and addr in pids:
                    os.kill(pids[addr], signal.SIGKILL)   # the worker process, mid-unit; its nanny restarts it
                    killed = (addr, len(keys))
                    break
            time.sleep(0.05)
        t.join(timeout=400)
    finally:
        proxy.delay = 0.0
    assert killed is not None, "no unit was seen running on a worker"
    assert not t.is_alive()
    assert (out["rc"], of_accounts(out["doc"], picked)) == (rc_local, of_accounts(local, picked))
    assert out["doc"]["summary"]["units"] == {"planned": 6, "done": 5, "failed": 1}   # the refused role only
    cluster.client.wait_for_workers(2, timeout=60)          # the nanny's new worker, for the next tests


def test_units_that_fail_for_good_are_kept_as_unknowns(world, coordinator_env, tmp_path):
    """The workers' own credentials are refused: every unit fails after its retries; nothing is lost."""
    proxy = world["proxy"]
    picked = world["members"][3:6]
    proxy.fail("sts", "GetCallerIdentity", key=WORKER_KEY, error="AccessDenied")
    try:
        rc, doc = _aws(tmp_path, world, world["cluster"].address.replace("tcp://", "dask://"),
                       "--accounts", ",".join(picked))
    finally:
        proxy.rules.pop()
    assert rc == 1
    assert doc["summary"]["units"] == {"planned": 3, "done": 0, "failed": 3}
    entries = {c["account"]: c for c in doc["coverage"] if c["kind"] == "unit-failed"}
    assert sorted(entries) == sorted(picked)
    assert all("AccessDenied" in c["error"] and "GetCallerIdentity" in c["message"] for c in entries.values())
    assert {s["account"]: s.get("error") is not None for s in doc["sources"]} == {a: True for a in picked}
    assert doc["findings"] and all(f["status"] == "unknown" for f in doc["findings"])
    for aid in picked:   # every account's collectors stand as placeholders, in both regions
        addresses = {f["resource"]["address"] for f in doc["findings"] if f["resource"]["account"] == aid}
        assert f"arn:aws:ec2:us-west-2:{aid}:volume/*" in addresses
        assert f"arn:aws:rds:us-east-1:{aid}:db:*" in addresses
    assert "testing-secret" not in json.dumps(doc)


# ----------------------------------------------------------------------------- Azure
@pytest.fixture
def local_azure(world, coordinator_env, tmp_path):
    return _azure(tmp_path, world, "local", name="local.json")


def test_azure_subscriptions_on_the_cluster_are_the_local_audit(world, local_azure, tmp_path):
    rc_local, local = local_azure
    rc, doc = _azure(tmp_path, world, world["cluster"].address.replace("tcp://", "dask://"))
    assert (rc, same(doc)) == (rc_local, same(local))
    # both sort the resources (the reads complete in any order): the same bytes as one process writes
    assert written(doc) == written(local)
    assert sorted(doc["scope"]["subscriptions"]) == sorted(SUBS)
    assert doc["summary"]["units"] == {"planned": 4, "done": 4, "failed": 0}
    statuses = {f["status"] for f in doc["findings"]}
    assert {"pass", "fail", "unknown"} <= statuses
    sql = [c for c in doc["coverage"] if c.get("subscription") == SUBS[3] and "Microsoft.Sql/servers" in c["message"]]
    assert sql, doc["coverage"]
    # users' controls judged on the workers: their findings, and what they could not look at, once
    assert any(f["control_id"].startswith("ACME-") for f in doc["findings"])
    na = [(c["control_id"], c["type"]) for c in doc["coverage"] if c["kind"] == "rule-not-applicable"]
    assert ("ACME-DB-01", "azurerm_postgresql_flexible_server") in na and len(na) == len(set(na))   # once per type


def test_a_local_dask_cluster_gives_the_same_results(world, local_azure, tmp_path):
    """dask-local:N starts its own scheduler and N worker processes (with this environment's credentials)."""
    rc_local, local = local_azure
    def callers_own(signum, frame):   # a library caller's handlers: still its own once the cluster is gone
        raise AssertionError("not called")

    saved = {sig: signal.signal(sig, callers_own) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        rc, doc = _azure(tmp_path, world, "dask-local:1", name="dask-local.json")
        after = {sig: signal.getsignal(sig) for sig in saved}
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
    assert (rc, same(doc)) == (rc_local, same(local))
    assert after == {signal.SIGINT: callers_own, signal.SIGTERM: callers_own}


# ----------------------------------------------------------------------------- start-up
def test_scheduler_unreachable_is_exit_3_within_seconds(world, coordinator_env, run_cli, tmp_path):
    port = _free_port()   # nothing listens there
    started = time.monotonic()
    r = run_cli("audit", "aws", "--executor", f"dask://127.0.0.1:{port}", "--quiet", "-o", tmp_path / "x.json")
    assert r.returncode == 3, r.stderr
    assert time.monotonic() - started < 30
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and f"could not reach the Dask scheduler at tcp://127.0.0.1:{port}" in lines[0]
    assert not (tmp_path / "x.json").exists()


def test_without_the_dask_extra_it_says_what_to_install(world, coordinator_env, tmp_path):
    code = ("import sys; sys.modules['distributed'] = None\n"   # as if the extra were not installed
            "from scanner.cli import main\n"
            f"raise SystemExit(main(['audit', 'aws', '--executor', 'dask-local:2', '--quiet', '-o', "
            f"{str(tmp_path / 'x.json')!r}]))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 3, r.stderr
    assert "pip install 'specguard[dask]'" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x.json").exists()


def refused_by(cluster_env: dict, tmp_path, extra: tuple = ()) -> str:
    """The one line an audit on a one-worker cluster started with ``cluster_env`` ends with (exit 3,
    nothing written)."""
    other = Cluster(cluster_env, workers=1, extra=extra)
    try:
        from scanner.cli import main
        import io
        import contextlib
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            rc = main(["audit", "aws", "--executor", other.address.replace("tcp://", "dask://"), "--quiet",
                       "-o", str(tmp_path / "x.json")])
        assert rc == 3
        line = err.getvalue().strip()
        assert len(line.splitlines()) == 1
        assert not (tmp_path / "x.json").exists()
        return line
    finally:
        other.stop()


def copy_of_specguard(tmp_path) -> pathlib.Path:
    """This checkout's specguard as an installed package is laid out (rules inside scanner/)."""
    import shutil
    root = pathlib.Path(__file__).resolve().parent.parent
    code = tmp_path / "code"
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(root / "scanner", code / "scanner", ignore=ignore)
    shutil.copytree(root / "rules", code / "scanner" / "rules", ignore=ignore)
    return code


def test_a_worker_of_another_version_is_refused(world, coordinator_env, tmp_path):
    from scanner import __version__
    preload = tmp_path / "other_version.py"
    preload.write_text("import scanner\nscanner.__version__ = '0.0.1-other'\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AZURE_"))}
    line = refused_by(env, tmp_path, extra=("--preload", str(preload)))
    assert "specguard 0.0.1-other" in line and f"specguard {__version__}" in line


def test_a_worker_of_the_same_version_with_other_code_is_refused(world, coordinator_env, tmp_path):
    """A checkout changed under a running cluster: the version is the same, the code is not."""
    code = copy_of_specguard(tmp_path)
    with open(code / "scanner" / "rules" / "tag.py", "a") as fh:
        fh.write("\n# edited after the workers started\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AZURE_"))}
    env["PYTHONPATH"] = str(code)   # the workers import this copy of specguard
    line = refused_by(env, tmp_path)
    assert "with other code than this coordinator" in line and "restart the workers" in line


def test_the_code_digest_is_of_the_files_not_of_where_they_are(tmp_path):
    """An installed specguard (rules inside scanner/) and a checkout (rules beside it) give one digest;
    one changed byte gives another."""
    import subprocess as sp
    code = copy_of_specguard(tmp_path)
    probe = "from scanner.executor.units import code_digest; print(code_digest())"

    def digest(**env):   # in a process of its own: this one's digest was read when the suite began
        return sp.run([sys.executable, "-c", probe], env={**os.environ, **env}, cwd=tmp_path,
                      capture_output=True, text=True, check=True).stdout.strip()
    checkout = digest()
    assert digest(PYTHONPATH=str(code)) == checkout
    (code / "scanner" / "data" / "provider-values.json").write_bytes(
        (code / "scanner" / "data" / "provider-values.json").read_bytes() + b" ")
    assert digest(PYTHONPATH=str(code)) != checkout


def test_bad_executor_is_a_usage_error(run_cli):
    r = run_cli("audit", "aws", "--executor", "dask:/nope")
    assert r.returncode == 2 and "is not an executor" in r.stderr


# ----------------------------------------------------------------------------- typed options
def test_the_command_line_gives_typed_picklable_options():
    from scanner.audit_options import AuditOptions
    from scanner.cli import parse_args
    ns = parse_args(["audit", "aws", "--regions", "eu-west-1,us-east-1", "--org-role", "Audit", "--accounts",
                     "111122223333", "--concurrency", "8", "--executor", "dask://sched:8786"])
    opts = AuditOptions.of(ns)
    assert opts == AuditOptions(cloud="aws", regions=("eu-west-1,us-east-1",), org_role="Audit",
                                accounts=("111122223333",), concurrency=8, executor="dask://sched:8786",
                                timeout=30.0)
    assert pickle.loads(pickle.dumps(opts)) == opts
    az = AuditOptions.of(parse_args(["audit", "azure", "--subscription", SUBS[0], "--strategy", "graph"]))
    assert (az.timeout, az.subscription, az.strategy, az.executor) == (60.0, (SUBS[0],), "graph", "local")
