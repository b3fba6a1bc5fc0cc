"""Numeric functions: abs ceil floor log max min parseint pow signum sum range."""
from __future__ import annotations

import math

from ._base import EvalError, fn, integer, norm_num, num, seq, string, unknown_in

_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


@fn("abs", 1)
def _abs(x):
    return abs(num(x))


@fn("ceil", 1)
def _ceil(x):
    return math.ceil(num(x))


@fn("floor", 1)
def _floor(x):
    return math.floor(num(x))


@fn("signum", 1)
def _signum(x):
    x = num(x)
    return (x > 0) - (x < 0)


@fn("log", 2)
def _log(x, base):
    x, base = num(x, "the number"), num(base, "the base")
    if x <= 0 or base <= 0 or base == 1:
        raise EvalError(f"the logarithm of {x} in base {base} is not a number")
    return norm_num(math.log(x) / math.log(base))


@fn("pow", 2)
def _pow(x, y):
    # Terraform computes in 64-bit floats (math.Pow)
    try:
        r = math.pow(float(num(x)), float(num(y)))
    except ValueError:
        raise EvalError(f"{x} to the power of {y} is not a real number")
    return norm_num(r)


def _extreme(name, pick):
    @fn(name, 1, None)
    def impl(*xs):
        return norm_num(pick(num(x, f"argument {i + 1}") for i, x in enumerate(xs)))
    return impl


_extreme("max", max)
_extreme("min", min)


@fn("parseint", 2)
def _parseint(s, base):
    s, b = string(s, "the string"), integer(base, "the base")
    if not 2 <= b <= 62:
        raise EvalError(f"the base must be between 2 and 62, not {b}")
    text = s[1:] if s[:1] in "+-" else s
    if not text or len(text) > 1000:
        raise EvalError(f"cannot parse {s!r} as a base {b} integer")
    digits = _DIGITS[:b] if b > 36 else _DIGITS[:b] + _DIGITS[10:b].upper()
    if any(c not in digits for c in text):
        raise EvalError(f"cannot parse {s!r} as a base {b} integer")
    if b <= 36:
        n = int(text, b)
    else:
        n = 0
        for c in text:
            n = n * b + _DIGITS.index(c)
    return -n if s.startswith("-") else n


@fn("sum", 1, strict=False)
def _sum(xs):
    u = unknown_in([xs])
    if u is not None:
        return u
    xs = seq(xs, "the list")
    if not xs:
        raise EvalError("cannot sum an empty list")
    total = 0
    for i, x in enumerate(xs):
        if x is None:
            raise EvalError(f"element {i} is null")
        total += num(x, f"element {i}")
        if isinstance(total, float) and not math.isfinite(total):
            raise EvalError("the sum is not a finite number")
    return norm_num(total)


@fn("range", 1, 3)
def _range(*args):
    from fractions import Fraction

    # exact arithmetic, as Terraform's big numbers: range(0, 1, 0.1) ends 0.9, not 0.8999999999999999
    vals = [Fraction(repr(x)) if isinstance(x, float) else Fraction(x) for x in (num(a) for a in args)]
    if len(vals) == 1:
        start, end, step = Fraction(0), vals[0], Fraction(-1 if vals[0] < 0 else 1)
    elif len(vals) == 2:
        start, end = vals
        step = Fraction(-1 if end < start else 1)
    else:
        start, end, step = vals
    if step == 0:
        raise EvalError("step must not be zero")
    if step < 0 and end > start:
        raise EvalError("end must be less than start when step is negative")
    if step > 0 and end < start:
        raise EvalError("end must be greater than start when step is positive")
    # Terraform's own limit (cty's range refuses to generate more than 1024 values)
    if (end - start) / step > 1024:
        raise EvalError("more than 1024 values were generated; either decrease the difference between "
                        "start and end or use a smaller step")
    out = []
    x = start
    while (x < end) if step > 0 else (x > end):
        out.append(norm_num(int(x) if x.denominator == 1 else float(x)))
        x += step
    return out
