"""The calls the AWS audit leaves out (issue 21: half a call per resource), and that leaving them out
changes no verdict.

* s3:GetBucketReplication is read only for buckets some control of the run checks: DR-01 checks
  buckets tagged critical (its parameters), so a bucket tagged otherwise gets ``Unknown`` with the
  reason, never a value; every bucket is read when a user's control could look at the field, and none
  when DR-01 is off.
* s3:ListBuckets is paginated, so AWS answers with each bucket's BucketRegion and no
  s3:GetBucketLocation is made (moto leaves the field out: tests/aws_bucket_region.py answers as AWS).

The live tests audit the compliant trading platform (tests/aws_support.load_platform) in moto, twice
where it matters: as the audit now reads, and with every read made (``needs.ALL``), and require the
same results document less its run block.
"""
from __future__ import annotations

import json
import pathlib

from aws_support import servers  # noqa: F401 (a fixture)
from aws_bucket_region import BucketRegionProxy
from test_aws_audit import audit, platform  # noqa: F401 (a fixture)
from scanner.model import Resource
from scanner.profile import load_profile
from scanner.sources.aws import needs
from scanner.values import Origin, Unknown, Value

ROOT = pathlib.Path(__file__).resolve().parent.parent
CRITICAL = "qts-prod-trade-archive"   # the platform's one bucket tagged Criticality = critical (us-east-1)


# ------------------------------------------------------------------ which controls read what
def test_only_the_named_catalogue_controls_read_a_field_whose_read_may_be_left_out():
    """needs.READERS must list every catalogue control that reads such a field: a new control that
    reads cross_region_replica and is not listed would see Unknown where a value was."""
    from scanner.controls import load_rules
    reg = load_rules()
    for field, readers in needs.READERS.items():
        mentioned = {p.name for p in (ROOT / "rules").glob("*.py") if field in p.read_text()}
        named = {pathlib.Path(reg[cid].func.__code__.co_filename).name for cid in readers}
        assert mentioned == named, f"{field} is read in {sorted(mentioned)}, READERS names {sorted(named)}"
        # and no other control of those modules declares it
        others = [c.id for c in reg.values() if field in c.fields and c.id not in readers]
        assert not others, others


def _profile(tmp_path, text: str, rules: list[str] | None = None):
    p = tmp_path / "profile.yaml"
    p.write_text(text)
    return load_profile(str(p), rules)


def test_the_spec_profile_reads_replication_of_critical_buckets_only(tmp_path):
    got = needs.of_profile(load_profile(None))
    assert got == needs.Needs(every_bucket=False, critical=("Criticality", "critical"))
    tier = needs.of_profile(_profile(tmp_path, "controls:\n  DR-01:\n    params: {tag: Tier, value: gold}\n"))
    assert tier.critical == ("Tier", "gold")
    off = needs.of_profile(_profile(tmp_path, "controls:\n  DR-01:\n    enabled: false\n"))
    assert off == needs.Needs(every_bucket=False, critical=None)


def test_a_users_control_that_may_read_a_buckets_replication_reads_every_bucket(tmp_path):
    py = tmp_path / "mine.py"
    py.write_text('from scanner.rules_api import Check, control\n\n'
                  '@control("ACME-S3-09", title="t", family="ACME", severity="low", soc2=["CC6.1"], '
                  'kinds=("object_store",), fields=("versioning",))\n'
                  'def rule(r, ctx):\n    return Check().verdict("ok")\n')
    # Python: what it reads cannot be known, so every bucket is read
    assert needs.of_profile(load_profile(None, [str(py)])) is needs.ALL
    db = tmp_path / "db.py"
    db.write_text(py.read_text().replace("ACME-S3-09", "ACME-DB-09").replace('"object_store"', '"database"'))
    assert needs.of_profile(load_profile(None, [str(db)])).every_bucket is False   # never sees a bucket
    # YAML: what it reads is what its condition names (a field of that name, even one with a path of
    # its own, makes every bucket read: the conservative side)
    reads = tmp_path / "reads.yaml"
    reads.write_text("controls:\n- id: ACME-S3-10\n  title: t\n  family: ACME\n  severity: low\n  soc2: [CC6.1]\n"
                     "  applies_to: {kinds: [object_store]}\n  fields: {cross_region_replica: {aws: Name}}\n"
                     "  require: {field: cross_region_replica, exists: true}\n")
    assert needs.of_profile(load_profile(None, [str(reads)])) is needs.ALL
    other = tmp_path / "other.yaml"
    other.write_text("controls:\n- id: ACME-S3-11\n  title: t\n  family: ACME\n  severity: low\n  soc2: [CC6.1]\n"
                     "  applies_to: {kinds: [object_store]}\n  require: {field: versioning, equals: true}\n")
    assert needs.of_profile(load_profile(None, [str(other)])).every_bucket is False


def _bucket(tags) -> Resource:
    r = Resource(kind="object_store", type="aws_s3_bucket", address="arn:aws:s3:::b", provider="aws", source="aws")
    r.set("tags", tags)
    return r


def test_a_bucket_is_left_unread_only_when_dr01_says_it_is_not_critical():
    n = needs.Needs(every_bucket=False, critical=("Criticality", "critical"))
    origin = Origin("aws", "TagSet", api="s3:GetBucketTagging")
    assert n.bucket_replication(_bucket(Value({"Criticality": "Critical "}, origin))) is None   # DR-01 strips, ignores case
    assert n.bucket_replication(_bucket(Unknown("denied", origin))) is None   # criticality not known: read
    why = n.bucket_replication(_bucket(Value({"Criticality": "standard"}, origin)))
    assert why == "not read: the bucket is not tagged Criticality = critical, so no control of this run needs its " \
                  "replication"
    assert n.bucket_replication(_bucket(Value({}, origin))) is not None
    assert needs.ALL.bucket_replication(_bucket(Value({}, origin))) is None
    assert "DR-01 is switched off" in needs.Needs(every_bucket=False).bucket_replication(_bucket(Unknown("x", origin)))


# ------------------------------------------------------------------ live, in moto
def _strip(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k != "run"}


def _replications(proxy) -> int:
    return sum(n for (svc, op, _), n in proxy.seen.items() if op == "GetBucketReplication")


def test_replication_is_read_for_critical_buckets_only_and_every_verdict_is_the_same(platform, servers, monkeypatch,
                                                                                      tmp_path):  # noqa: F811
    _, proxy = servers
    proxy.rules.clear()
    proxy.seen.clear()
    _, doc = audit(monkeypatch, proxy, tmp_path)
    buckets = {f["resource"]["name"] for f in doc["findings"] if f["resource"]["type"] == "aws_s3_bucket"}
    assert len(buckets) >= 4 and CRITICAL in buckets
    assert _replications(proxy) == 1, proxy.seen   # the critical archive, not the other buckets
    [dr] = [f for f in doc["findings"] if f["control_id"] == "DR-01" and f["resource"]["type"] == "aws_s3_bucket"]
    assert dr["resource"]["name"] == CRITICAL and dr["status"] == "pass"
    # every read made: the same document
    proxy.seen.clear()
    monkeypatch.setattr("scanner.sources.aws.audit.needs_of", lambda opts: needs.ALL)
    (tmp_path / "all").mkdir()
    _, every = audit(monkeypatch, proxy, tmp_path / "all")
    assert _replications(proxy) == len(buckets)
    assert json.dumps(_strip(every), sort_keys=True) == json.dumps(_strip(doc), sort_keys=True)


def test_dr01_off_reads_no_replication_and_a_python_control_on_buckets_reads_them_all(platform, servers,
                                                                                       monkeypatch, tmp_path):  # noqa: F811
    _, proxy = servers
    proxy.rules.clear()
    prof = tmp_path / "off.yaml"
    prof.write_text("controls:\n  DR-01:\n    enabled: false\n")
    proxy.seen.clear()
    _, doc = audit(monkeypatch, proxy, tmp_path, "--profile", str(prof))
    assert _replications(proxy) == 0
    assert not [f for f in doc["findings"] if f["control_id"] == "DR-01"]
    # a user's Python control on buckets that reads the field sees every bucket's value, not Unknown
    py = tmp_path / "replicas.py"
    py.write_text('from scanner.rules_api import Check, control\n\n'
                  '@control("ACME-S3-12", title="t", family="ACME", severity="low", soc2=["CC6.1"], '
                  'kinds=("object_store",))\n'
                  'def rule(r, ctx):\n'
                  '    chk = Check()\n'
                  '    v = r["cross_region_replica"]\n'
                  '    chk.require(v.truthy(), "no replica", "replica unknown", v)\n'
                  '    return chk.verdict("replica")\n')
    proxy.seen.clear()
    (tmp_path / "py").mkdir()
    _, doc = audit(monkeypatch, proxy, tmp_path / "py", "--rules", str(py))
    mine = [f for f in doc["findings"] if f["control_id"] == "ACME-S3-12"]
    assert len(mine) == _replications(proxy) >= 4
    assert {f["status"] for f in mine} == {"pass", "fail"}, [(f["resource"]["name"], f["message"]) for f in mine]


def test_a_paginated_bucket_listing_gives_the_regions_and_no_bucket_location_is_read(platform, servers, monkeypatch,
                                                                                    tmp_path):  # noqa: F811
    server, moto_proxy = servers
    moto_proxy.rules.clear()
    moto_proxy.seen.clear()
    _, plain = audit(monkeypatch, moto_proxy, tmp_path)   # moto as it is: no BucketRegion, one location a bucket
    located = sum(n for (_, op, _), n in moto_proxy.seen.items() if op == "GetBucketLocation")
    assert located >= 4
    proxy = BucketRegionProxy(server.url)
    proxy.stubs, proxy.patches = dict(moto_proxy.stubs), dict(moto_proxy.patches)   # the platform's emulations
    try:
        (tmp_path / "aws").mkdir()
        _, doc = audit(monkeypatch, proxy, tmp_path / "aws")
        assert proxy.listed_paginated == proxy.seen[("s3", "ListBuckets", "us-east-1")] == 1
        assert not [k for k in proxy.seen if k[1] == "GetBucketLocation"], proxy.seen
        # every other call as before (IAM's credential report is polled until built: the first audit waits)
        diff = {k: (moto_proxy.seen[k], proxy.seen[k]) for k in moto_proxy.seen.keys() | proxy.seen.keys()
                if moto_proxy.seen[k] != proxy.seen[k] and k[1] != "GenerateCredentialReport"}
        assert list(diff) == [("s3", "GetBucketLocation", "us-east-1")], diff
    finally:
        proxy.stop()
    assert json.dumps(_strip(doc), sort_keys=True) == json.dumps(_strip(plain), sort_keys=True)
    west = [f for f in doc["findings"] if f["resource"]["type"] == "aws_s3_bucket"
            and f["resource"]["region"] == "us-west-2"]
    assert west   # the DR copy lives in us-west-2, as its BucketRegion says
