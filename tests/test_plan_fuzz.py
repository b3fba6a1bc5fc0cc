"""Malformed but valid JSON plans: single-field mutations of the fixture plans never end in an
internal error (exit 3). Each scan ends 0/1, or 2 with one stderr line naming the file and the
JSON path; the schema's compiled check and jsonschema agree on every mutated plan."""
import contextlib
import copy
import gc
import io
import json
import random

import pytest

from conftest import CORPUS, FIXTURES

from scanner.cli import main
from scanner.sources.terraform import plan_schema

DROP = object()
REPLACEMENTS = [None, "x", "0.0.0.0/0", 1, -1.5, 1e308, True, False, [], {}, [None], [1], {"a": None}, DROP]
# Attribute data: provider values the schema does not constrain; sampled less than structure.
DATA_KEYS = {"values", "before", "after", "after_unknown", "before_sensitive", "after_sensitive",
             "sensitive_values", "constant_value", "prior_state", "variables", "output_changes"}


def _paths(doc):
    data, structure = [], []

    def walk(o, p, in_data):
        if p:
            (data if in_data else structure).append(p)
        if isinstance(o, dict):
            for k, v in o.items():
                walk(v, p + [k], in_data or k in DATA_KEYS)
        elif isinstance(o, list):
            for i, v in enumerate(o):
                walk(v, p + [i], in_data)

    walk(doc, [], False)
    return structure, data


def mutations(doc, n, seed):
    rnd = random.Random(seed)
    structure, data = _paths(doc)
    for _ in range(n):
        path = rnd.choice(structure if rnd.random() < 0.7 else data)
        new = rnd.choice(REPLACEMENTS)
        d = copy.deepcopy(doc)
        o = d
        for k in path[:-1]:
            o = o[k]
        if new is DROP:
            del o[path[-1]]
        else:
            o[path[-1]] = copy.deepcopy(new)
        yield path, new, d


def scan_in_process(path, out):
    err = io.StringIO()
    enabled = gc.isenabled()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            rc = main(["scan", str(path), "-q", "--format", "json", "-o", str(out)])
    finally:
        if enabled:
            gc.enable()   # cmd_scan turns the cyclic collector off for the rest of a (CLI) process
    return rc, err.getvalue()


@pytest.mark.parametrize("fixture,n,seed", [
    ("aws-platform/violating/plan.json", 180, 20240601),
    ("azure-standby/violating/plan.json", 120, 20240602),
])
def test_single_field_mutations_never_crash(tmp_path, fixture, n, seed):
    src = json.loads((FIXTURES / fixture).read_text())
    plan = tmp_path / "mutated-plan.json"
    out = tmp_path / "out.json"
    seen = {0: 0, 1: 0, 2: 0}
    for path, new, doc in mutations(src, n, seed):
        plan.write_text(json.dumps(doc))
        rc, err = scan_in_process(plan, out)
        what = f"{path} = {'<dropped>' if new is DROP else repr(new)}: rc={rc} {err!r}"
        assert rc in (0, 1, 2), what
        assert "internal error" not in err and "Traceback" not in err, what
        if rc == 2:
            lines = [l for l in err.splitlines() if l.strip()]
            assert len(lines) == 1, what
            assert str(plan) + ":$" in lines[0], what
        seen[rc] += 1
        # the compiled check is an optimisation of the schema, never a different rule
        assert (plan_schema._fast()(doc)) == plan_schema._validator().is_valid(doc), what
    assert seen[2] >= n // 10 and seen[0] + seen[1] >= n // 2, seen   # the fuzz reaches both outcomes


def test_real_plans_match_the_schema():
    plans = sorted((CORPUS / "terraform-plans").glob("*/*.json")) + sorted(FIXTURES.glob("**/plan.json"))
    assert len(plans) >= 41
    for p in plans:
        doc = json.loads(p.read_text())
        assert plan_schema._fast()(doc), p
        assert plan_schema._validator().is_valid(doc), p


def test_the_schema_ships_and_compiles():
    from jsonschema import Draft202012Validator
    Draft202012Validator.check_schema(plan_schema.schema())
    assert plan_schema._fast() is not None, "a keyword the compiled check does not know: jsonschema runs on every plan"


# ----------------------------------------------------------------------------- the fuzz contract (issue 13)
@pytest.mark.parametrize("fixture,n,seed", [
    ("aws-platform/violating/plan.json", 150, 13_01),
    ("azure-standby/violating/plan.json", 120, 13_02),
])
def test_malformed_values_hold_the_fuzz_contract(tmp_path, fixture, n, seed):
    """One attribute value of one resource made malformed (another type, a non-finite number,
    a padded enumeration, ...): each scan ends 0/1 with strict JSON or 2 with one line and
    nothing written, within 30 s and 1.5 GB (a bounded worker), and no fail or unknown of the
    unmutated plan turns into a pass or vanishes. bench/fuzz_contract.py runs thousands."""
    import fuzzlib
    problems, figures = fuzzlib.run_contract(fuzzlib.plan_jobs(fixture, n, seed, tmp_path), tmp_path)
    assert not problems, "\n".join(problems[:20])
    assert figures["mutants"] == n and figures["exit"].get("2", 0) >= n // 4, figures   # both outcomes reached
    assert figures["exit"].get("0", 0) + figures["exit"].get("1", 0) >= n // 10, figures
