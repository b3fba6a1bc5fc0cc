"""format and formatlist: Terraform's printf verbs (%v %#v %t %b %d %o %x %X %e %E %f %g %G %s %q %%),
flags (+ - space 0 #), width, precision and explicit argument indexes (%[2]s)."""
from __future__ import annotations

import json
import re

from ._base import (EvalError, Unknown, boolean, char_count, expect_chars, expect_size, fn, graphemes, num,
                    seq, string, unknown_in)
from .encoding import json_text

_VERB = re.compile(r"%([-+# 0]*)([1-9][0-9]*)?(?:\.([0-9]*))?(?:\[([1-9][0-9]*)\])?(.)?", re.S)


def _pad(s: str, width, minus: bool, zero: bool) -> str:
    if width is None:
        return s
    n = width - char_count(s)
    if n <= 0:
        return s
    return s + " " * n if minus else ("0" if zero else " ") * n + s


def _sign(neg: bool, plus: bool, space: bool) -> str:
    return "-" if neg else "+" if plus else " " if space else ""


def _dec(a):
    from decimal import Decimal

    return Decimal(a) if isinstance(a, int) else Decimal(repr(a))


def _fmt_float(x, verb: str, prec, flags: str) -> str:
    neg = x < 0 or (isinstance(x, float) and x == 0 and repr(x).startswith("-"))
    a = abs(x)
    v = verb.lower()
    if v == "f":
        body = format(_dec(a), f".{6 if prec is None else prec}f")
    elif v == "e":
        body = _go_exp(format(_dec(a), f".{6 if prec is None else prec}e"))
    elif prec is None:
        # Go's shortest %g: the fewest digits that read back, in exponent form when the
        # exponent is below -4 or 6 and over (1e+06, 1.234567e+06, 100000, 0.0001)
        d = _dec(a).normalize()
        if not d:
            body = "0"
        else:
            _, digits, e = d.as_tuple()
            ds = "".join(map(str, digits))
            exp = e + len(ds) - 1
            if exp < -4 or exp >= 6:
                body = ds[0] + ("." + ds[1:] if len(ds) > 1 else "") + f"e{'-' if exp < 0 else '+'}{abs(exp):02d}"
            else:
                body = format(d, "f")
    else:
        body = _go_exp(format(float(a), f".{prec}g"))
    if verb.isupper():
        body = body.upper()
    return _sign(neg, "+" in flags, " " in flags) + body


def _go_exp(s: str) -> str:
    """Go writes at least two exponent digits: 1e+06, not 1e+6."""
    m = re.search(r"[eE]([+-]?)(\d+)$", s)
    if not m:
        return s
    return s[:m.start()] + "e" + (m.group(1) or "+") + m.group(2).zfill(2)


def _fmt_int(n: int, verb: str, prec, flags: str) -> str:
    base = {"b": 2, "d": 10, "o": 8, "x": 16, "X": 16}[verb]
    body = format(abs(n), {"b": "b", "d": "d", "o": "o", "x": "x", "X": "X"}[verb])
    if prec is not None:
        body = body.zfill(prec) if prec else ("" if n == 0 else body)
    if "#" in flags:
        body = {2: "0b", 8: "0", 16: "0x" if verb == "x" else "0X"}.get(base, "") + body
    return _sign(n < 0, "+" in flags, " " in flags) + body


def _one(raw: str, flags: str, width, prec, verb: str, arg) -> str:
    minus, zero = "-" in flags, "0" in flags and "-" not in flags
    if verb != "v" and arg is None:
        raise EvalError(f"unsupported value for {raw!r}: null value cannot be formatted")
    if verb == "v":
        if "#" not in flags and isinstance(arg, str):
            return _pad(arg, width, minus, zero)
        if "#" not in flags and isinstance(arg, (int, float)) and not isinstance(arg, bool):
            return _pad(_fmt_float(num(arg), "g", None, ""), width, minus, zero)
        return _pad(json_text(arg), width, minus, zero)
    if verb == "t":
        return "true" if boolean(arg, f"the value for {raw!r}") else "false"    # Terraform pads no bool
    if verb in "bdoxX":
        x = num(arg, f"the value for {raw!r}")
        if isinstance(x, float):
            if not x.is_integer():
                raise EvalError(f"unsupported value for {raw!r}: an integer is required")
            x = int(x)
        s = _fmt_int(x, verb, prec, flags)
        if zero and width is not None and prec is None:
            sign = s[0] if s[:1] in "+- " else ""
            return sign + s[len(sign):].rjust(width - len(sign), "0")
        return _pad(s, width, minus, False)
    if verb in "eEfgG":
        s = _fmt_float(num(arg, f"the value for {raw!r}"), verb, prec, flags)
        if zero and width is not None:
            sign = s[0] if s[:1] in "+- " else ""
            return sign + s[len(sign):].rjust(width - len(sign), "0")
        return _pad(s, width, minus, False)
    if verb in "sq":
        s = string(arg, f"the value for {raw!r}")
        if prec:
            s = "".join(graphemes(s)[:prec])
        if verb == "q":
            s = json_text(s)
        return _pad(s, width, minus, zero)
    raise EvalError(f"unsupported format verb {verb!r} in {raw!r}")


def render(fmt: str, args: list) -> str:
    out: list[str] = []
    size = 0
    pos, next_arg, highest = 0, 1, 0
    while True:
        i = fmt.find("%", pos)
        if i < 0:
            out.append(fmt[pos:])
            break
        out.append(fmt[pos:i])
        if fmt.startswith("%%", i):
            out.append("%")
            pos = i + 2
            continue
        m = _VERB.match(fmt, i)
        flags, width, prec, index, verb = m.groups()
        if verb is None or not verb.isascii() or not verb.isalpha():
            if verb is None:
                raise EvalError(f"invalid format string starting at offset {i}")
            raise EvalError(f"unrecognized format character {verb!r} at offset {m.start(5)}")
        width = int(width) if width else None
        prec = int(prec or 0) if m.group(3) is not None else None
        if width is not None or prec is not None:
            expect_chars(size + max(width or 0, prec or 0))
        argnum = int(index) if index else next_arg
        if argnum > len(args):
            raise EvalError(f"not enough arguments for {m.group(0)!r} at {i}: need index {argnum} "
                            f"but have {len(args)} total")
        highest = max(highest, argnum)
        piece = _one(m.group(0), flags, width, prec, verb, args[argnum - 1])
        size += len(piece)
        expect_chars(size)
        out.append(piece)
        next_arg = argnum + 1
        pos = m.end()
    if highest < len(args):
        if highest == 0:
            raise EvalError("too many arguments; no verbs in format string")
        raise EvalError(f"too many arguments; only {highest} used by format string")
    return "".join(out)


@fn("format", 1, None, strict=False)
def _format(fmt, *args):
    u = unknown_in((fmt,) + args)
    if u is not None:
        return u
    return render(string(fmt, "the format"), list(args))


@fn("formatlist", 1, None, strict=False)
def _formatlist(fmt, *args):
    u = unknown_in([fmt])
    if u is not None:
        return u
    fmt = string(fmt, "the format")
    n = None
    for i, a in enumerate(args):
        if isinstance(a, Unknown):
            return a
        if isinstance(a, list):
            if n is not None and len(a) != n:
                raise EvalError(f"argument {i + 2} has length {len(a)}, which is inconsistent with the "
                                f"other lists' length {n}")
            n = len(a)
    if n is None:
        return [render(fmt, list(args))]
    expect_size(n)
    out: list = []
    for k in range(n):
        row = [a[k] if isinstance(a, list) else a for a in args]
        u = unknown_in(row)
        out.append(u if u is not None else render(fmt, row))
    return out
