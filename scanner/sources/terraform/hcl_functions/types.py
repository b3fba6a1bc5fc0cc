"""Type conversion and sensitivity: tobool tolist tomap tonumber toset tostring type sensitive
nonsensitive issensitive ephemeralasnull (try and can are in hcl_eval: they see unevaluated arguments)."""
from __future__ import annotations

from ._base import (EvalError, Unknown, boolean, dedupe, first_unknown, fn, mapping, num, seq, sort_set,
                    string, unify)


def _nullable(convert):
    def impl(v):
        if v is None or isinstance(v, Unknown):
            return v
        return convert(v)
    return impl


fn("tobool", 1, strict=False)(_nullable(lambda v: boolean(v, "the value")))
fn("tonumber", 1, strict=False)(_nullable(lambda v: num(v, "the value")))
fn("tostring", 1, strict=False)(_nullable(lambda v: string(v, "the value")))


@fn("tolist", 1, strict=False)
def _tolist(v):
    if v is None or isinstance(v, Unknown):
        return v
    return unify(list(seq(v, "the value")))


@fn("tomap", 1, strict=False)
def _tomap(v):
    if v is None or isinstance(v, Unknown):
        return v
    m = mapping(v, "the value")
    return dict(zip(m.keys(), unify(list(m.values()))))


@fn("toset", 1, strict=False)
def _toset(v):
    if v is None or isinstance(v, Unknown):
        return v
    v = seq(v, "the value")
    if all(type(x) is str for x in v):
        return sorted(set(v))          # the common case: a set of strings, in Terraform's order
    u = first_unknown(v)
    if u is not None:
        # an unknown element may equal another: the size of the set is not known
        return Unknown(f"an element of the set is not known ({u.reason})")
    v = unify(v)
    if any(x is None for x in v):
        raise EvalError("a set cannot contain null values")
    return sort_set(dedupe(v))


@fn("type", 1, strict=False)
def _type(v):
    raise EvalError("type() is available only in terraform console, not in configuration")


@fn("sensitive", 1, strict=False)
def _sensitive(v):
    return v          # specguard never prints a value it evaluates; the marking changes nothing here


@fn("nonsensitive", 1, strict=False)
def _nonsensitive(v):
    return v


@fn("issensitive", 1, strict=False)
def _issensitive(v):
    return Unknown("issensitive() is not evaluated: specguard does not track which values are sensitive")


@fn("ephemeralasnull", 1, strict=False)
def _ephemeralasnull(v):
    return Unknown("ephemeralasnull() is not evaluated: specguard does not track ephemeral values")


@fn("list", 0, None, strict=False)
def _list(*a):
    raise EvalError("the list() function was removed in Terraform 0.12; use tolist([...]) or [...]")


@fn("map", 0, None, strict=False)
def _map(*a):
    raise EvalError("the map() function was removed in Terraform 0.12; use tomap({...}) or {...}")


def convert_call(arg_nodes: list, scope):
    """convert(value, type): the second argument is a type constraint, not an expression, so this
    one function takes its arguments unevaluated (hcl_eval.call sends it here)."""
    from ..hcl_eval import evaluate
    from ..hcl_types import Mismatch, TypeSyntaxError, convert, parse_type

    if len(arg_nodes) != 2:
        raise EvalError(f"convert(): takes 2 arguments, not {len(arg_nodes)}")
    try:
        t = parse_type(arg_nodes[1])
    except TypeSyntaxError as e:
        raise EvalError(f"convert(): {e}") from None
    value = evaluate(arg_nodes[0], scope)
    try:
        return convert(value, t)
    except Mismatch as e:
        raise EvalError(f"convert(): {e}") from None
