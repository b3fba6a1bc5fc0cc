"""Each fixture architecture as a .tf tree gives the same verdicts as its plan.json,
control by control and resource by resource.

The fixtures are fixtures/<architecture>/<variant>/ with the .tf tree (root
module, local modules), plan.json (`terraform show -json` of that tree) and
expected.yaml.  Both inputs go through the real normalizer, linker and engine.
"""
import pathlib

import pytest

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures"
EXPECTED = [f"{arch}/{variant}" for arch in ("aws-platform", "azure-standby")
            for variant in ("compliant", "violating")]


def _trees() -> list[str]:
    found = {str(p.parent.relative_to(FIXTURES)) for p in FIXTURES.glob("*/*/plan.json")
             if any(p.parent.glob("*.tf"))}
    return sorted(found | set(EXPECTED))


def _verdicts(project) -> dict:
    from scanner.engine import evaluate
    from scanner.link import link
    from scanner.profile import spec_profile
    from scanner.sources.terraform.normalize import normalize

    return {(f.control_id, f.resource.address): f for f in evaluate(link(normalize(project)), spec_profile())}


def _expected(d: pathlib.Path) -> dict:
    """expected.yaml: address -> {control: status}; shown beside a difference to tell which side is wrong."""
    import yaml

    path = d / "expected.yaml"
    doc = yaml.safe_load(path.read_text()) if path.exists() else {}
    return {(cid, addr): status for addr, per in (doc or {}).items() if isinstance(per, dict)
            for cid, status in per.items()}


@pytest.mark.parametrize("tree", _trees())
def test_source_tree_gives_the_plan_verdicts(tree):
    from scanner.sources.terraform import hcl
    from scanner.sources.terraform.plan import load_plan

    d = FIXTURES / tree
    if not (d / "plan.json").exists():
        pytest.skip(f"fixtures/{tree} is not there yet (plan.json and .tf tree written by the fixtures work)")
    plan = _verdicts(load_plan(str(d / "plan.json")))
    src = _verdicts(hcl.load_dir(str(d)))
    assert plan, "the plan gives no findings at all"
    plan_s = {k: f.status for k, f in plan.items()}
    src_s = {k: f.status for k, f in src.items()}
    only_plan = sorted(set(plan_s) - set(src_s))
    only_src = sorted(set(src_s) - set(plan_s))
    expected = _expected(d)
    differ = sorted((k, plan_s[k], src_s[k], expected.get(k, "?"), plan[k].message, src[k].message)
                    for k in set(plan_s) & set(src_s) if plan_s[k] != src_s[k])
    assert not (only_plan or only_src or differ), (
        f"only in plan: {only_plan}\nonly in source: {only_src}\n"
        f"different (key, plan, source, expected.yaml, plan message, source message): {differ}")
    # every source finding points at its file and line
    missing = [k for k, f in src.items() if not (f.file and f.line)]
    assert not missing, missing
