"""Profiles override the spec defaults; the controls command lists the active profile."""
import json

from planlib import Plan
from scanner.profile import load_profile, spec_profile


def test_spec_profile_has_every_catalogue_control():
    ids = set(spec_profile().controls)
    expected = {"ENC-01", "ENC-02", "ENC-03", "ENC-04", "ENC-05", "TLS-01", "TLS-02", "TLS-03",
                "HA-01", "HA-02", "NET-01", "NET-02", "NET-03", "NET-04", "TAG-01",
                "BAK-01", "BAK-02", "BAK-03"}
    assert expected <= ids, expected - ids


def test_controls_declare_catalogue_metadata():
    for cid, cs in spec_profile().controls.items():
        c = cs.control
        assert c.family == cid.split("-")[0]
        assert c.soc2 and all(s.startswith(("CC", "A1", "PI1")) for s in c.soc2), cid   # PI1: MSG (CONTROLS.md)
        assert c.title and c.requirement


def test_profile_overrides_severity_params_and_enabled(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text("name: relaxed\norganisation: Acme\nsystem: Trading\ncontrols:\n"
                 "  ENC-01: {severity: low}\n  TAG-01: {enabled: false}\n"
                 "  BAK-01: {params: {min_retention_days: 7}}\n")
    prof = load_profile(str(p))
    assert prof.name == "relaxed" and prof.organisation == "Acme"
    assert prof.controls["ENC-01"].severity == "low"
    assert not prof.controls["TAG-01"].enabled
    assert prof.controls["BAK-01"].params["min_retention_days"] == 7
    assert prof.sha256 != spec_profile().sha256


def test_profile_parameter_changes_the_verdict(tmp_path):
    plan = Plan()
    plan.add("aws_db_instance", "db", {"storage_encrypted": True, "backup_retention_period": 7})
    assert plan.verdicts("BAK-01") == {"aws_db_instance.db": "fail"}
    p = tmp_path / "p.yaml"
    p.write_text("controls:\n  BAK-01:\n    params:\n      min_retention_days: 7\n")
    assert {f.resource.address: f.status for f in plan.findings("BAK-01", load_profile(str(p)))} == \
        {"aws_db_instance.db": "pass"}


def test_messages_say_when_a_value_is_the_profiles_not_the_specifications(tmp_path):
    plan = Plan()
    plan.add("aws_db_instance", "db", {"storage_encrypted": True, "backup_retention_period": 7})
    spec = plan.findings("BAK-01")[0].message
    assert spec == "backups are kept 7 days; the specification requires at least 35 days"
    p = tmp_path / "p.yaml"
    p.write_text("controls:\n  BAK-01:\n    params:\n      min_retention_days: 30\n")
    relaxed = plan.findings("BAK-01", load_profile(str(p)))[0].message
    assert relaxed == "backups are kept 7 days; the profile requires at least 30 days (the specification: 35)"


def test_disabled_control_produces_no_findings(tmp_path, run_cli):
    plan = Plan()
    plan.add("aws_db_instance", "db", {"storage_encrypted": False})
    path = plan.write(tmp_path / "plan.json")
    p = tmp_path / "p.yaml"
    p.write_text("controls:\n  ENC-01: false\n")
    r = run_cli("scan", path, "--profile", p, "--format", "json")
    doc = json.loads(r.stdout)
    assert not [f for f in doc["findings"] if f["control_id"] == "ENC-01"]
    assert "ENC-01" not in {c["id"] for c in doc["controls"]}


def test_controls_command(run_cli):
    r = run_cli("controls", "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["profile"] == "spec"
    assert {c["id"] for c in doc["controls"]} >= {"ENC-01", "NET-03", "BAK-01"}
    r = run_cli("controls")
    assert r.returncode == 0 and "ENC-01" in r.stdout


def test_fail_on_and_allow_unknown(tmp_path, run_cli):
    plan = Plan()
    plan.add("aws_db_instance", "db", {"storage_encrypted": True}, unknown={"kms_key_id": True},
             refs={"kms_key_id": ["data.aws_ssm_parameter.k.value"]})
    path = plan.write(tmp_path / "plan.json")
    prof = tmp_path / "only-enc01.yaml"
    prof.write_text("controls:\n" + "".join(f"  {c}: false\n" for c in spec_profile().controls if c != "ENC-01"))
    base = ["scan", path, "--profile", prof, "--format", "json", "-o", tmp_path / "o.json"]
    assert run_cli(*base).returncode == 1                       # unknown fails the gate
    assert run_cli(*base, "--allow-unknown").returncode == 0    # unless allowed
    assert run_cli(*base, "--fail-on", "critical").returncode == 0
    assert run_cli(*base, "--fail-on", "none").returncode == 0


def test_results_record_the_profile_file_hash_an_auditor_can_check(tmp_path, run_cli):
    import hashlib
    p = tmp_path / "acme.yaml"
    p.write_text("name: acme\ncontrols:\n  BAK-01:\n    params: {min_retention_days: 30}\n")
    plan = Plan()
    plan.add("aws_db_instance", "db", {"storage_encrypted": True, "backup_retention_period": 35})
    r = run_cli("scan", plan.write(tmp_path / "plan.json"), "--profile", p, "--format", "json")
    run = json.loads(r.stdout)["run"]
    assert run["profile_file_sha256"] == hashlib.sha256(p.read_bytes()).hexdigest()
    assert run["profile_file"] == str(p) and run["profile"] == "acme"
    # the settings hash does not change with a comment; the file hash does
    p.write_text("# reviewed\n" + p.read_text())
    again = json.loads(run_cli("scan", tmp_path / "plan.json", "--profile", p, "--format", "json").stdout)["run"]
    assert again["profile_sha256"] == run["profile_sha256"] and again["profile_file_sha256"] != run["profile_file_sha256"]
