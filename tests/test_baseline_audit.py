"""`specguard audit aws --baseline` against moto's server (the production code path): a nightly audit is
turned into a gate on an estate that already fails; only what changes in the account afterwards fails it."""
from __future__ import annotations

import importlib
import json

from aws_support import client, load_platform, servers, use_env  # noqa: F401 (a fixture)

REGIONS = "us-east-1,us-west-2"
NEW_BUCKET = "qts-prod-new-exports"


def gating(doc) -> list[dict]:
    return [f for f in doc["findings"] if f["status"] in ("fail", "unknown") and not f.get("baseline")]


def test_audit_with_a_baseline_gates_only_what_changed_in_the_account(servers, monkeypatch, tmp_path, capsys):
    server, proxy = servers
    server.reset()
    proxy.clear()
    load_platform(server.url, True, proxy)          # the violating platform: today's estate already fails
    use_env(monkeypatch, proxy.url)
    monkeypatch.delenv("SPECGUARD_STORE", raising=False)
    main = importlib.import_module("scanner.cli").main

    def audit(name: str, *extra: str) -> tuple[int, dict]:
        out = tmp_path / name
        rc = main(["audit", "aws", "--regions", REGIONS, "-f", "json", "-o", str(out), *extra])
        return rc, json.loads(out.read_text())

    rc, today = audit("today.json", "--fail-on", "none")
    assert rc == 0
    before = {f["fingerprint"]: f for f in today["findings"] if f["status"] in ("fail", "unknown")}
    assert len(before) > 20
    assert main(["audit", "aws", "--regions", REGIONS, "-q"]) == 1      # without a baseline, the gate fails today
    assert main(["baseline", "create", str(tmp_path / "today.json"), "-o", str(tmp_path / "baseline.json")]) == 0

    # the same estate: nothing new, every finding that gated is accepted, the gate passes
    rc, same = audit("same.json", "--baseline", str(tmp_path / "baseline.json"))
    assert rc == 0, [f["control_id"] + " " + f["resource"]["address"] for f in gating(same)]
    assert {f["fingerprint"] for f in same["findings"] if f.get("baseline")} == set(before)
    assert same["baseline"]["accepted"] == len(before) and same["baseline"]["new"] == 0
    assert same["baseline"]["fixed"] == []

    # the account changes: the DR key gets rotation (an accepted failure is fixed), and a new bucket is
    # created without tags, versioning or a KMS key (new failures)
    kms_dr = client(server.url, "kms", "us-west-2")
    dr_key = next(k["KeyArn"] for k in kms_dr.list_keys()["Keys"]
                  if kms_dr.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["Description"] == "qts-prod backup copies")
    kms_dr.enable_key_rotation(KeyId=dr_key)
    client(server.url, "s3").create_bucket(Bucket=NEW_BUCKET)

    capsys.readouterr()
    rc, later = audit("later.json", "--baseline", str(tmp_path / "baseline.json"))
    assert rc == 1
    new = gating(later)
    assert new and {f["resource"]["address"] for f in new} == {f"arn:aws:s3:::{NEW_BUCKET}"}, \
        sorted({f["resource"]["address"] for f in new})
    assert later["baseline"]["new"] == len(new)
    # the old failures are still in the report, marked, with their status
    marked = {f["fingerprint"]: f for f in later["findings"] if f.get("baseline")}
    assert marked and all(f["status"] in ("fail", "unknown") for f in marked.values())
    assert set(marked) <= set(before)
    # the rotated key's entry is listed as fixed, so the file can shrink
    fixed = later["baseline"]["fixed"]
    assert fixed and all(x["fingerprint"] in before for x in fixed)
    assert any(x["address"] == dr_key for x in fixed), fixed
    assert set(marked) | {x["fingerprint"] for x in fixed} == set(before)
    # the summary line says what the baseline did and did not accept
    err = capsys.readouterr().err
    n_fail = sum(1 for f in new if f["status"] == "fail")
    n_unknown = len(new) - n_fail
    assert f"gate failed: {n_fail} fail and {n_unknown} unknown at or above low not in the baseline" in err, err


def test_a_baseline_of_other_controls_is_refused_before_the_audit_calls_aws(servers, monkeypatch, tmp_path, capsys):
    """A baseline made with users' rules (ids this run does not have): exit 2 naming the file, before a
    single request, so a nightly audit is not run for minutes only to be refused at the end."""
    server, proxy = servers
    proxy.clear()
    use_env(monkeypatch, proxy.url)
    bl = tmp_path / "bl.json"
    bl.write_text(json.dumps({"specguard_baseline": "1", "created_at": "2026-01-01T00:00:00Z", "profile": "spec",
                              "findings": [{"fingerprint": "f1", "control_id": "ACME-DB-01", "address": "x",
                                            "status": "accepted", "found": "fail"}]}))
    main = importlib.import_module("scanner.cli").main
    capsys.readouterr()
    rc = main(["audit", "aws", "--regions", REGIONS, "--baseline", str(bl), "-f", "json", "-o", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and err.startswith(f"specguard: error: {bl}: control ACME-DB-01 is not a control of profile 'spec'")
    assert len(err.splitlines()) == 1
    assert proxy.total == 0 and not (tmp_path / "o").exists()
