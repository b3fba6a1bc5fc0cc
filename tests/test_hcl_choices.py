"""Values that are one of several (issue 12 class 4): `x != ""` decided for text that cannot be
empty, and hcl_eval.branch_values, every value an expression may take when conditions are unknown."""
import pytest

from scanner.sources.terraform.hcl_eval import EvalError, Scope, branch_values, evaluate
from scanner.sources.terraform.hcl_parse import parse_expression
from scanner.values import Unknown

VARS = {"u": Unknown("read from a data source"), "k": "x", "empty": ""}


def scope():
    def root(name):
        if name == "var":
            return VARS
        raise EvalError(f"no {name}")
    return Scope(root)


def ev(text):
    return evaluate(parse_expression(text), scope())


@pytest.mark.parametrize("text, expected", [
    ('"app-${var.u}" != ""', True),                      # text of its own: never empty
    ('"" == "app-${var.u}"', False),
    ('join("-", ["app", var.u]) != ""', True),           # a known non-empty element
    ('join("-", [var.u, var.u]) != ""', True),           # the separator between two elements
    ('join(var.k, [var.empty, var.u]) != ""', True),     # a separator known only by evaluation
])
def test_not_empty_decided(text, expected):
    assert ev(text) is expected


@pytest.mark.parametrize("text", [
    '"${var.u}" != ""',                                  # no text of its own: may be empty
    '" ${var.u} " != ""',                                # spaces only (strip markers may take them)
    'join("", [var.u, var.empty]) != ""',
    'join("-", [var.u]) != ""',
    'upper(var.u) != ""',
])
def test_may_be_empty_stays_unknown(text):
    assert isinstance(ev(text), Unknown)


def values(text, limit=8):
    return branch_values(parse_expression(text), scope(), lambda _name: None, limit)


def test_branch_values_every_combination():
    got = values('merge({a = 1}, var.u == "1" ? {b = 2} : {}, var.u == "2" ? {c = 3} : {})')
    assert sorted(map(sorted, got)) == [["a"], ["a", "b"], ["a", "b", "c"], ["a", "c"]]


def test_branch_values_local_read_twice_takes_one_branch():
    # a local value read twice is one conditional: the same branch both times ("y"/"n" never mixed)
    local = parse_expression('var.u == "1" ? "y" : "n"')
    got = branch_values(parse_expression('[local.c, local.c]'), scope(),
                        lambda name: (local, scope()) if name == "c" else None)
    assert sorted(got) == [["n", "n"], ["y", "y"]]


def test_branch_values_two_conditionals_are_independent():
    # written twice, they are two conditionals: a combination that cannot happen may be among
    # the values (it can only keep a verdict unknown), none that can is left out
    assert sorted(values('[var.u == "1" ? "y" : "n", var.u == "1" ? "y" : "n"]')) == \
        [["n", "n"], ["n", "y"], ["y", "n"], ["y", "y"]]


def test_branch_values_none_past_the_limit():
    text = " + ".join(f'(var.u == "{i}" ? 1 : 0)' for i in range(4))   # 16 combinations
    assert values(text) is None
    assert sorted(values(text, limit=64)) == [0, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 4]


def test_branch_values_none_when_a_conditional_meets_several_iteration_values():
    # one choice for both keys would leave out {x = "a", y = "b"}-like mixes
    assert values('{for k in ["x", "y"] : k => (var.u == k ? "a" : "b")}') is None


def test_branch_values_error_combination_is_no_value():
    got = values('var.u == "1" ? {a = 1} : tomap(1)')
    assert got == [{"a": 1}]
