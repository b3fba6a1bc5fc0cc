"""Terraform's built-in functions in the .tf evaluator: the conformance table built from Terraform's
documented examples (tests/data/terraform_functions.yaml), known-beats-unknown, and bounds."""
import math
import pathlib
from types import SimpleNamespace

import pytest
import yaml

from scanner.sources.terraform.hcl_eval import EvalError, Scope, evaluate
from scanner.sources.terraform.hcl_functions import IMPURE, all_functions, run
from scanner.sources.terraform.hcl_limits import MAX_ELEMENTS, MAX_STRING, LimitExceeded
from scanner.sources.terraform.hcl_parse import parse_expression
from scanner.values import Unknown

FUNCTIONS = all_functions()
TABLE = yaml.safe_load((pathlib.Path(__file__).parent / "data" / "terraform_functions.yaml").read_text())
CASES = [(fn, case) for fn, cases in sorted(TABLE["functions"].items()) for case in cases]


def make_scope(root_dir, variables=None, local_values=None):
    """The scope of a root module at ``root_dir`` (path.module is "."), as hcl_module gives it."""
    project = SimpleNamespace(root_dir=str(root_dir), files=[], extra_files=[])
    module = SimpleNamespace(project=project)
    roots = {"var": dict(variables or {}), "local": dict(local_values or {}),
             "path": {"module": ".", "root": ".", "cwd": "."}}

    def root(name):
        if name in roots:
            return roots[name]
        raise EvalError(f"there is no {name!r} here")

    return Scope(root, module=module)


@pytest.fixture(scope="module")
def table_scope(tmp_path_factory):
    tree = tmp_path_factory.mktemp("tree")
    for rel, text in TABLE["files"].items():
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        (tree / rel).write_text(text)
    return make_scope(tree, TABLE["vars"], TABLE["locals"])


def same(got, want) -> bool:
    """Equal values of the same Terraform type (True is not 1, 1 is 1.0)."""
    if isinstance(want, bool) or isinstance(got, bool):
        return type(got) is type(want) and got == want
    if isinstance(want, (int, float)) and isinstance(got, (int, float)):
        return got == want
    if isinstance(want, list) and isinstance(got, list):
        return len(got) == len(want) and all(same(g, w) for g, w in zip(got, want))
    if isinstance(want, dict) and isinstance(got, dict):
        return got.keys() == want.keys() and all(same(got[k], want[k]) for k in want)
    return type(got) is type(want) and got == want


@pytest.mark.parametrize("fn, case", CASES, ids=[f"{fn}: {c['expr'][:60]}" for fn, c in CASES])
def test_conformance_with_terraforms_documented_examples(table_scope, fn, case):
    node = parse_expression(case["expr"])
    if "error" in case:
        with pytest.raises(EvalError) as e:
            evaluate(node, table_scope)
        assert case["error"] in str(e.value)
        return
    got = evaluate(node, table_scope)
    if "unknown" in case:
        assert isinstance(got, Unknown), got
        assert case["unknown"] in got.reason
    elif "set" in case:
        assert isinstance(got, list) and sorted(got) == sorted(case["set"]) and len(got) == len(set(got)), got
    else:
        assert same(got, case["value"]), f"{got!r} != {case['value']!r}"


def test_every_terraform_function_is_in_the_table():
    documented = set(FUNCTIONS) | set(IMPURE)
    assert documented - set(TABLE["functions"]) == set()


# ----------------------------------------------------------------------------- known beats unknown
U = Unknown("read from a data source")


def ev(text, **variables):
    return evaluate(parse_expression(text), make_scope("/nonexistent", variables))


@pytest.mark.parametrize("text, expected", [
    ("length([var.u, 1])", 2),
    ("length({a = var.u})", 1),
    ("anytrue([var.u, true])", True),
    ("alltrue([var.u, false])", False),
    ('contains([var.u, "0.0.0.0/0"], "0.0.0.0/0")', True),
    ('concat(["a"], [var.u], ["b"])', ["a", U, "b"]),
    ('merge({a = var.u}, {b = 1})', {"a": U, "b": 1}),
    ('lookup({a = 1, b = var.u}, "a", 0)', 1),
    ('element([var.u, "x"], 1)', "x"),
    ('coalesce("x", var.u)', "x"),
    ('zipmap(["a", "b"], [var.u, 2])', {"a": U, "b": 2}),
    ('reverse([var.u, 1])', [1, U]),
    ('slice([1, var.u, 3], 0, 1)', [1]),
    ('one([var.u])', U),
    ('keys({a = var.u})', ["a"]),
])
def test_known_parts_stay_known(text, expected):
    got = ev(text, u=U)
    assert got == expected or same(got, expected), got
    assert not isinstance(got, Unknown) or isinstance(expected, Unknown)


@pytest.mark.parametrize("text", [
    "anytrue([var.u, false])", "alltrue([var.u, true])", 'contains([var.u], "a")', "compact([var.u, \"a\"])",
    "distinct([var.u, 1])", "flatten([[1], var.u])", "flatten([[1, [var.u]]])", "sort([var.u, \"a\"])",
    "toset([var.u, \"a\"])", "concat([1], var.u)", "merge({a = 1}, var.u)", "length(var.u)",
    'zipmap([var.u], [1])', 'setunion(["a"], [var.u])', "sum([1, var.u])", 'format("%s", var.u)',
    'join(",", ["a", var.u])', 'index(["a", var.u, "b"], "b")', 'coalesce(var.u, "x")',
    'lookup(var.u, "a", 1)', 'element([var.u, "x"], 0)', 'matchkeys(["a"], [var.u], ["x"])',
])
def test_unknown_where_it_changes_the_answer(text):
    assert isinstance(ev(text, u=U), Unknown), text


def test_unknown_reasons_are_honest():
    assert ev("timestamp()").reason == "timestamp() is known only when Terraform runs"
    assert "not a Terraform function" in ev("sortt([1])").reason
    assert "read from a data source" in ev("compact([var.u])", u=U).reason


# ----------------------------------------------------------------------------- bounds
@pytest.mark.parametrize("text", [
    "setproduct(range(1000), range(1000))",
    'format("%999999999d", 1)',
    'indent(5000000, "a\\nb")',
    'setunion(range(1000), range(1000, 2000), setproduct(range(400), range(300)))',
])
def test_results_past_the_limits_are_refused_and_try_does_not_hide_it(text):
    with pytest.raises(LimitExceeded):
        ev(text)
    with pytest.raises(LimitExceeded):
        ev(f"try({text}, 0)")


ROW = list(range(1000))
WORD = "abcdefghij" * 100


@pytest.mark.parametrize("name, args", [
    ("flatten", [[ROW] * 1000]),                       # one list shared a thousand times
    ("concat", [ROW] * 1000),
    ("join", [",", [WORD] * 10_000]),
    ("replace", ["a" * 10_000, "a", "b" * 1000]),
    ("formatlist", ["%s", ROW * 200]),
    ("jsonencode", [[[WORD] * 1000] * 10]),
    ("yamlencode", [[[WORD] * 1000] * 10]),
    ("strrev", ["x" * (MAX_STRING + 1)]),
    ("merge", [{str(i): i for i in range(60_000)}, {str(-i): i for i in range(60_000)}]),
])
def test_functions_refuse_results_past_the_limits(name, args):
    with pytest.raises(LimitExceeded):
        run(name, args, None)


def test_range_refuses_what_terraform_refuses_as_terraform_does():
    with pytest.raises(EvalError, match="more than 1024"):
        ev("range(1e9)")
    assert ev("try(range(1e9), [])") == []       # Terraform's own error: try() sees it


def test_yaml_aliases_cannot_expand_without_bound():
    laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8))
    with pytest.raises(LimitExceeded):
        run("yamldecode", [laughs], None)


def test_a_shared_value_cannot_make_jsonencode_unbounded():
    big = list(range(1000))
    with pytest.raises(LimitExceeded):
        run("jsonencode", [[[big] * 1000] * 1000], None)


def test_regex_is_linear_time_on_a_backtracking_pattern():
    # (a+)+$ against a long run of a's and a b stalls a backtracking engine for ages
    with pytest.raises(EvalError, match="did not match"):
        run("regex", ["^(a+)+$", "a" * 50_000 + "b"], None)
    assert run("replace", ["a" * 50_000 + "b", "/(a+)+$/", "x"], None).endswith("b")


# ----------------------------------------------------------------------------- no crash
ODD = [None, "", "x", "a,b", "10.0.0.0/8", "2017-11-22T00:00:00Z", "1h", "{", "[1", "\x00", "\ud800",
       "e\u0301🙂", "-1", "1e999", "nan", -1, 0, 1, 2.5, 10 ** 400, -(10 ** 30), 1e308, True, [], {},
       [None], [1, "a"], [[1], [2, [3]]], {"a": 1}, {"a": [1]}, [U], {"a": U}, U, ["x"] * 3,
       "y" * 100_000, float("inf"), float("nan")]
SMALL = [None, "", "x", "10.0.0.0/16", -1, 0, 3, 1.5, True, [], {}, ["a", "b"], {"a": "b"}, U, 10 ** 30]


def _outcome(name, args, scope):
    try:
        v = run(name, list(args), scope)
    except (EvalError, LimitExceeded):
        return
    # inf and nan are not Terraform values: a function may pass one it was given through (sensitive()),
    # never make one
    _assert_value(v, finite=not any(isinstance(a, float) and not math.isfinite(a) for a in args))


def _assert_value(v, depth=0, finite=True):
    assert depth < 200
    if isinstance(v, Unknown):
        return
    if isinstance(v, float):
        assert math.isfinite(v) or not finite, v
    elif isinstance(v, (str, bool, int)) or v is None:
        if isinstance(v, str):
            assert len(v) <= MAX_STRING
    elif isinstance(v, list):
        assert len(v) <= MAX_ELEMENTS
        for x in v[:1000]:
            _assert_value(x, depth + 1, finite)
    elif isinstance(v, dict):
        assert len(v) <= MAX_ELEMENTS
        for x in list(v.values())[:1000]:
            _assert_value(x, depth + 1, finite)
    else:
        raise AssertionError(f"not a Terraform value: {v!r}")


@pytest.mark.parametrize("name", sorted(set(FUNCTIONS) | set(IMPURE)))
def test_odd_arguments_give_a_value_an_unknown_or_an_error_never_a_crash(name, tmp_path):
    scope = make_scope(tmp_path)
    (tmp_path / "x").write_text("x")
    _outcome(name, [], scope)
    for a in ODD:
        _outcome(name, [a], scope)
    for a in SMALL:
        for b in ODD:
            _outcome(name, [a, b], scope)
            _outcome(name, [b, a], scope)
    for a in SMALL:
        for b in SMALL:
            for c in (None, -1, 2, "x", [], U, 10 ** 30):
                _outcome(name, [a, b, c], scope)
        _outcome(name, [a] * 5, scope)


def test_a_resource_object_is_not_read_as_if_its_configured_attributes_were_all():
    from scanner.sources.terraform.hcl_eval import Computed

    bucket = Computed({"bucket": "logs"}, "aws_s3_bucket.logs")
    scope = Scope(lambda name: {"b": bucket})
    e = lambda text: evaluate(parse_expression(text), scope)   # noqa: E731
    assert e('lookup(var.b, "bucket", "x")') == "logs"
    # arn is not configured: after apply it exists, so the default is not what Terraform returns
    assert isinstance(e('lookup(var.b, "arn", "none")'), Unknown)
    for text in ("keys(var.b)", "jsonencode(var.b)", "jsonencode([var.b])", "merge(var.b, {})", "values(var.b)",
                 "length(keys(var.b))", 'format("%#v", var.b)'):
        v = e(text)
        assert isinstance(v, Unknown) and "aws_s3_bucket.logs" in v.reason, (text, v)
    assert e("length([var.b, var.b])") == 2


def test_flatten_keeps_an_unknown_it_knows_is_a_string():
    # format() of an unknown ARN is a string not known yet: one element, not maybe a list
    got = ev('flatten([for v in ["%v:*", "%v"] : [format(v, var.u)]])', u=U)
    assert isinstance(got, list) and len(got) == 2 and all(isinstance(x, Unknown) for x in got)
    assert ev('length(flatten([[upper(var.u)], ["x"]]))', u=U) == 2
    assert isinstance(ev("flatten([var.u])", u=U), Unknown)      # a bare unknown may be a list
