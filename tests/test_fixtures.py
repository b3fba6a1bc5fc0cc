"""The architecture fixtures: scan each plan.json with the real CLI and compare to expected.yaml.

expected.yaml is the verdict table CONTROLS.md gives every (resource, control) pair
of the fixture; the scan must report exactly those pairs with exactly those statuses.
"""
import json
import re
import subprocess
import sys

import hcl2
import pytest
import yaml

from conftest import FIXTURES, ROOT

NAMES = ["aws-platform/compliant", "aws-platform/violating",
         "azure-standby/compliant", "azure-standby/violating"]
VIOLATING = [n for n in NAMES if n.endswith("violating")]
CONTROLS_MD = ROOT / "docs" / "CONTROLS.md"


# Catalogue controls that the rules do not implement yet (issues 16 and 17 add them).
PENDING: set[str] = set()


# Catalogue controls with no Terraform column (CONTROLS.md): a plan never fails them.
LIVE_ONLY = {"IAM-02"}


def catalogue_ids() -> list[str]:
    """Control ids of CONTROLS.md (the spec's catalogue, copied into docs/) that specguard implements."""
    ids = set(re.findall(r"^\| ([A-Z]+-\d\d) \|", CONTROLS_MD.read_text(), re.M))
    assert ids, CONTROLS_MD
    return sorted(ids - PENDING)


def test_implemented_controls_are_the_catalogue_less_the_pending_ones():
    from scanner.controls import load_rules
    ids = set(re.findall(r"^\| ([A-Z]+-\d\d) \|", CONTROLS_MD.read_text(), re.M))
    assert set(load_rules()) == ids - PENDING


def expected(name: str) -> dict[tuple[str, str], str]:
    table = yaml.safe_load((FIXTURES / name / "expected.yaml").read_text())
    return {(addr, cid): status for addr, verdicts in table.items() for cid, status in verdicts.items()}


@pytest.fixture(scope="module")
def scans(tmp_path_factory):
    """One CLI run per fixture: (exit status, results document, stderr)."""
    out = {}
    for name in NAMES:
        d = tmp_path_factory.mktemp(name.replace("/", "-"))
        args = [sys.executable, "-m", "scanner", "scan", str(FIXTURES / name / "plan.json"),
                "--format", "json", "-o", str(d / "results.json")]
        if name == "aws-platform/violating":   # the README quick start
            args += ["--format", "html", "-o", str(d / "report.html")]
        r = subprocess.run(args, capture_output=True, text=True, timeout=120)
        doc = json.loads((d / "results.json").read_text()) if (d / "results.json").exists() else None
        out[name] = (r.returncode, doc, r.stderr, d)
    return out


@pytest.mark.parametrize("name", NAMES)
def test_findings_match_expected_table(name, scans):
    code, doc, stderr, _ = scans[name]
    assert doc is not None, f"no results written (exit {code}): {stderr}"
    got = {(f["resource"]["address"], f["control_id"]): f["status"] for f in doc["findings"]}
    assert len(got) == len(doc["findings"]), "a (resource, control) pair was reported twice"
    want = expected(name)
    problems = []
    for key in sorted(set(want) | set(got)):
        if want.get(key) != got.get(key):
            msg = next((f["message"] for f in doc["findings"]
                        if (f["resource"]["address"], f["control_id"]) == key), "")
            problems.append(f"{key[0]} {key[1]}: expected {want.get(key)}, got {got.get(key)} {msg[:120]}")
    assert not problems, f"{len(problems)} disagreement(s) with {name}/expected.yaml:\n" + "\n".join(problems)


@pytest.mark.parametrize("name", NAMES)
def test_exit_status_is_the_ci_gate(name, scans):
    code, _, stderr, _ = scans[name]
    assert code == (1 if name in VIOLATING else 0), stderr


def test_compliant_tables_only_pass():
    for name in NAMES:
        if name not in VIOLATING:
            bad = {k: s for k, s in expected(name).items() if s != "pass"}
            assert not bad, f"{name}: {bad}"


def test_every_control_fails_somewhere_in_the_violating_fixtures(scans):
    ids = catalogue_ids()
    assert len(ids) == 28 - len(PENDING), ids
    ids = [i for i in ids if i not in LIVE_ONLY]   # no Terraform column: failed live (tests/test_aws_iam.py)
    planned = {cid for n in VIOLATING for (_, cid), s in expected(n).items() if s == "fail"}
    assert set(ids) <= planned, f"no violating fixture is meant to fail {sorted(set(ids) - planned)}"
    failed = {f["control_id"] for n in VIOLATING for f in (scans[n][1] or {}).get("findings", [])
              if f["status"] == "fail"}
    assert set(ids) <= failed, f"never failed by the scanner: {sorted(set(ids) - failed)}"


def test_violating_fixture_has_values_only_known_after_apply(scans):
    # a key from a data source read at apply time, an EBS volume whose encryption the account decides
    want = {("module.data.aws_rds_cluster.this", "ENC-01"), ("module.data.aws_ebs_volume.scratch", "ENC-03")}
    table = expected("aws-platform/violating")
    assert all(table[k] == "unknown" for k in want)
    _, doc, _, _ = scans["aws-platform/violating"]
    got = {(f["resource"]["address"], f["control_id"]): f["status"] for f in doc["findings"]}
    assert {k: got.get(k) for k in want} == {k: "unknown" for k in want}


def test_quick_start_writes_html_and_json(scans):
    code, doc, _, d = scans["aws-platform/violating"]
    html = (d / "report.html").read_text()
    assert code == 1 and doc["summary"]["fail"] > 0
    assert "module.data.aws_db_instance.reporting" in html and "ENC-01" in html


# ------------------------------------------------------------------ the fixtures themselves
@pytest.mark.parametrize("name", NAMES)
def test_plan_is_terraform_19_show_json(name):
    plan = json.loads((FIXTURES / name / "plan.json").read_text())
    assert plan["format_version"] == "1.2" and plan["terraform_version"].startswith("1.9.")
    pv = list(_walk(plan["planned_values"]["root_module"]))
    rc = {c["address"]: c for c in plan["resource_changes"]}
    assert {r["address"] for r in pv} == set(rc)
    assert any(r["address"].startswith("module.") for r in pv), "no child module"
    for c in rc.values():
        if c["mode"] == "managed":
            assert c["change"]["actions"] == ["create"]
            unk = c["change"]["after_unknown"]
            assert unk.get("id") is True, c["address"]
            assert not set(k for k, v in unk.items() if v is True) & set(c["change"]["after"]), c["address"]
    # every reference in the configuration names something that exists
    _check_references(plan["configuration"]["root_module"], plan, "")


def _walk(mod):
    yield from mod.get("resources", [])
    for c in mod.get("child_modules", []):
        yield from _walk(c)


def _check_references(mod, plan, path):
    names = {r["address"] for r in mod.get("resources", [])}
    calls = mod.get("module_calls", {})
    variables = set(mod.get("variables", {}))

    def check(refs, where):
        for ref in refs:
            head = ref.split(".")
            if head[0] in ("count", "each", "local"):
                continue
            if head[0] == "var":
                assert head[1].split("[")[0] in variables, f"{path}{where}: {ref}"
            elif head[0] == "module":
                call = head[1].split("[")[0]
                assert call in calls, f"{path}{where}: {ref}"
                if len(head) > 2:
                    assert head[2] in calls[call]["module"].get("outputs", {}), f"{path}{where}: {ref}"
            else:
                n = 3 if head[0] == "data" else 2
                base = ".".join(head[:n]).split("[")[0]
                assert base in names, f"{path}{where}: {ref}"

    def exprs(e, where):
        if isinstance(e, dict) and "references" in e:
            check(e["references"], where)
        elif isinstance(e, dict):
            for k, x in e.items():
                exprs(x, f"{where}.{k}")
        elif isinstance(e, list):
            for x in e:
                exprs(x, where)

    for r in mod.get("resources", []):
        exprs(r.get("expressions", {}), r["address"])
        exprs(r.get("count_expression", {}), r["address"])
        exprs(r.get("for_each_expression", {}), r["address"])
    for name, o in mod.get("outputs", {}).items():
        exprs(o.get("expression", {}), f"output.{name}")
    for name, call in calls.items():
        exprs(call.get("expressions", {}), f"module.{name}")
        exprs(call.get("for_each_expression", {}), f"module.{name}")
        assert set(call.get("expressions", {})) <= set(call["module"].get("variables", {})), name
        _check_references(call["module"], plan, f"{path}module.{name}.")


@pytest.mark.parametrize("name", NAMES)
def test_tf_tree_declares_every_planned_resource(name):
    root = FIXTURES / name
    declared: dict[str, set[str]] = {}
    for tf in root.rglob("*.tf"):
        rel = tf.parent.relative_to(root).as_posix()
        body = hcl2.loads(tf.read_text())
        for block in body.get("resource", []) + [{f"data.{k}": v for k, v in b.items()} for b in body.get("data", [])]:
            for typ, named in block.items():
                for n in named:
                    # python-hcl2 keeps the quotes of block labels
                    declared.setdefault("" if rel == "." else rel, set()).add(f"{typ}.{n}".replace('"', ""))
    plan = json.loads((root / "plan.json").read_text())
    sources = _module_sources(plan["configuration"]["root_module"], "")
    for c in plan["resource_changes"]:
        mod = c.get("module_address", "")
        call_path = re.sub(r"\[[^\]]*\]", "", mod)
        local = ("data." if c["mode"] == "data" else "") + f'{c["type"]}.{c["name"]}'
        assert local in declared.get(sources[call_path], set()), f"{c['address']} not in the .tf tree"


def _module_sources(mod, prefix):
    out = {prefix: "" if not prefix else None}
    for name, call in mod.get("module_calls", {}).items():
        addr = f"{prefix}.module.{name}" if prefix else f"module.{name}"
        out[addr] = call["source"][2:]
        out.update({k: v for k, v in _module_sources(call["module"], addr).items() if k != addr})
    return out


def test_fixtures_are_what_the_generator_writes():
    build = FIXTURES / "_build" / "build.py"
    r = subprocess.run([sys.executable, str(build), "--check"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
