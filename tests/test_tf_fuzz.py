"""The fuzz contract on .tf trees (issue 13): one attribute of one resource or module call in a
fixture tree, made malformed (another type, a non-finite number, a padded enumeration) or
hostile (functions on edge inputs, limits, deep nesting, control characters).

Each scan ends 0/1 with strict JSON or 2 with one line and nothing written, within 30 s and
1.5 GB (a bounded worker process: tests/fuzzlib.py), and a malformed value never turns a fail
or unknown of the unmutated tree into a pass, nor makes it vanish: Terraform would reject the
configuration, so the finding is unknown with that reason (or still fails).
bench/fuzz_contract.py runs thousands of these by hand.
"""
import pytest

import fuzzlib


@pytest.mark.parametrize("tree,n,seed", [
    ("aws-platform/violating", 70, 13_11),
    ("azure-standby/violating", 70, 13_12),
    ("tf/platform", 40, 13_13),
])
def test_tf_mutants_hold_the_fuzz_contract(tmp_path, tree, n, seed):
    problems, figures = fuzzlib.run_contract(fuzzlib.tf_jobs(tree, n, seed, tmp_path), tmp_path)
    assert not problems, "\n".join(problems[:20])
    assert figures["mutants"] == n and figures["malform"] >= n // 2, figures


def test_the_mutators_make_what_they_say():
    import random
    rnd = random.Random(7)
    # malformed expressions are never the original, and hostile ones are single-line HCL
    for expr in ('"HTTPS"', "22", "true", '["0.0.0.0/0"]', "var.x"):
        for _ in range(20):
            new = fuzzlib.malform_expr(expr, rnd, enum=True)
            assert new != expr and "\n" not in new
    assert all("\n" not in h for h in fuzzlib.HOSTILE)
    # every plan mutant changes exactly one value's type (or makes a number non-finite)
    import json
    doc = json.loads((fuzzlib.FIXTURES / fuzzlib.PLANS[0]).read_text())
    for what, text in fuzzlib.plan_mutants(doc, 30, 1):
        assert text != json.dumps(doc) and "->" in what
