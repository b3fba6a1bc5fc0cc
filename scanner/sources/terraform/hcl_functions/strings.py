"""String functions: chomp endswith indent join lower replace split startswith strcontains strrev
substr title trim trimprefix trimsuffix trimspace upper (format and regex have their own modules)."""
from __future__ import annotations

import re

from ._base import (EvalError, Unknown, char_count, expect_chars, fn, graphemes, integer, seq, string,
                    unknown_in)
from .regex import expand_go_template, finditer_go, regex_for

# Go's unicode.IsSpace: what trimspace removes
_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
         "\u2028\u2029\u202f\u205f\u3000"
_TRAILING_NEWLINES = re.compile(r"(?:\r\n|\r|\n)+\Z")


@fn("lower", 1)
def _lower(s):
    return string(s).lower()


@fn("upper", 1)
def _upper(s):
    return string(s).upper()


@fn("chomp", 1)
def _chomp(s):
    return _TRAILING_NEWLINES.sub("", string(s))


@fn("trimspace", 1)
def _trimspace(s):
    return string(s).strip(_SPACE)


@fn("trim", 2)
def _trim(s, chars):
    return string(s).strip(string(chars, "the characters to trim"))


@fn("trimprefix", 2)
def _trimprefix(s, p):
    return string(s).removeprefix(string(p))


@fn("trimsuffix", 2)
def _trimsuffix(s, p):
    return string(s).removesuffix(string(p))


@fn("startswith", 2)
def _startswith(s, p):
    return string(s).startswith(string(p))


@fn("endswith", 2)
def _endswith(s, p):
    return string(s).endswith(string(p))


@fn("strcontains", 2)
def _strcontains(s, p):
    return string(p) in string(s)


@fn("strrev", 1)
def _strrev(s):
    return "".join(reversed(graphemes(string(s))))


@fn("title", 1)
def _title(s):
    # Go's strings.Title: a letter after anything but a letter, digit, underscore or apostrophe-free
    # word character starts a word
    out, prev_sep = [], True
    for ch in string(s):
        out.append(ch.upper() if prev_sep else ch)
        prev_sep = not (ch.isalnum() or ch == "_")
    return "".join(out)


@fn("indent", 2)
def _indent(n, s):
    n, s = integer(n, "the number of spaces"), string(s)
    if n < 0:
        n = 0
    lines = s.split("\n")
    expect_chars(len(s) + n * (len(lines) - 1))
    pad = " " * n
    return lines[0] + "".join("\n" + pad + line for line in lines[1:])


@fn("substr", 3)
def _substr(s, offset, length):
    s = string(s)
    offset, length = integer(offset, "the offset"), integer(length, "the length")
    chars = graphemes(s)
    if offset < 0:
        offset = max(offset + len(chars), 0)
        if length == 0:
            # as Terraform does: a negative offset with length 0 gives the rest of the string
            length = -1
    elif length == 0:
        return ""
    rest = chars[offset:]
    return "".join(rest if length < 0 else rest[:length])


@fn("split", 2)
def _split(sep, s):
    sep, s = string(sep, "the separator"), string(s)
    if sep == "":
        # Go's strings.Split with an empty separator: one element per character
        return list(s)
    return s.split(sep)


@fn("join", 2, None, strict=False)
def _join(sep, *lists):
    u = unknown_in([sep])
    if u is not None:
        return u
    sep = string(sep, "the separator")
    parts: list[str] = []
    size = 0
    for li, lst in enumerate(lists):
        if isinstance(lst, Unknown):
            return lst
        for i, x in enumerate(seq(lst, f"argument {li + 2}")):
            if isinstance(x, Unknown):
                return x
            if x is None:
                raise EvalError(f"element {i} of argument {li + 2} is null")
            x = string(x, f"element {i}")
            size += len(x) + len(sep)
            expect_chars(size)
            parts.append(x)
    return sep.join(parts)


@fn("replace", 3)
def _replace(s, old, new):
    s, old, new = string(s), string(old, "the substring"), string(new, "the replacement")
    if len(old) > 1 and old.startswith("/") and old.endswith("/"):
        rx = regex_for(old[1:-1])
        out, pos, size = [], 0, 0
        for m in finditer_go(rx, s):
            piece = s[pos:m.start()] + expand_go_template(new, m, rx)
            size += len(piece)
            expect_chars(size)
            out.append(piece)
            pos = m.end()
        out.append(s[pos:])
        return "".join(out)
    if old == "":
        count = len(s) + 1
    else:
        count = s.count(old)
    expect_chars(len(s) + count * (len(new) - len(old)))
    return s.replace(old, new)
