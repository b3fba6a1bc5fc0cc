"""regex and regexall, and the regular expressions of replace(): RE2 syntax and linear time.

Terraform uses Go's regexp package, whose syntax is RE2's; google-re2 gives the same syntax and
the same guarantee (matching time linear in the input, no backtracking), so a pattern in a pull
request cannot stall the gate the way a backtracking engine can be made to.
"""
from __future__ import annotations

import re

from ._base import EvalError, bounded_list, fn, string

_CACHE: dict[str, object] = {}
_OPTIONS = None


def regex_for(pattern: str):
    rx = _CACHE.get(pattern)
    if rx is None:
        import re2  # google-re2; imported on first use

        global _OPTIONS
        if _OPTIONS is None:
            _OPTIONS = re2.Options()
            _OPTIONS.log_errors = False     # re2 would print parse errors on stderr
        try:
            rx = re2.compile(pattern, options=_OPTIONS)
        except re2.error as e:
            msg = e.args[0] if e.args else e
            if isinstance(msg, bytes):
                msg = msg.decode("utf-8", "replace")
            raise EvalError(f"invalid regular expression {pattern!r}: {msg}")
        if len(_CACHE) > 256:
            _CACHE.clear()
        _CACHE[pattern] = rx
    return rx


def finditer_go(rx, s: str):
    """Matches as Go's FindAll gives them: an empty match right after a match is skipped."""
    last_end = -1
    for m in rx.finditer(s):
        if m.start() == m.end() == last_end:
            continue
        last_end = m.end()
        yield m


_TEMPLATE = re.compile(r"\$(?:\$|\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))")


def expand_go_template(template: str, m, rx) -> str:
    """Go's Regexp.Expand: $1, ${1}, $name, ${name}; $$ is a dollar; a group that does not exist is empty."""

    def sub(t):
        if t.group(0) == "$$":
            return "$"
        name = t.group(1) or t.group(2)
        if name.isdigit():
            i = int(name)
            if i > rx.groups:
                return ""
            return m.group(i) or ""
        i = rx.groupindex.get(name)
        return (m.group(i) or "") if i is not None else ""

    return _TEMPLATE.sub(sub, template)


def _shape(rx):
    names = rx.groupindex
    unnamed = rx.groups - len(names)
    if names and unnamed:
        raise EvalError("invalid regular expression: cannot mix both named and unnamed capture groups")
    return names, unnamed


def _result(m, rx, names, unnamed):
    if not rx.groups:
        return m.group(0)
    if unnamed:
        return [m.group(i) for i in range(1, rx.groups + 1)]
    return {name: m.group(i) for name, i in names.items()}


@fn("regex", 2)
def _regex(pattern, s):
    rx = regex_for(string(pattern, "the pattern"))
    names, unnamed = _shape(rx)
    m = rx.search(string(s))
    if m is None:
        raise EvalError("pattern did not match any part of the given string")
    return _result(m, rx, names, unnamed)


@fn("regexall", 2)
def _regexall(pattern, s):
    rx = regex_for(string(pattern, "the pattern"))
    names, unnamed = _shape(rx)
    out = []
    for m in finditer_go(rx, string(s)):
        out.append(_result(m, rx, names, unnamed))
        bounded_list(out, "regexall()'s result")
    return out
