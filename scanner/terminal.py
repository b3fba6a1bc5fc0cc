"""Text for a terminal or a CI log: shown, never obeyed.

Everything specguard prints (error lines, warnings, the terminal table) goes through
``printable``: resource addresses, HCL labels, file names, tag values and server messages
may hold escape sequences that would drive the terminal, newlines that would split a
one-line error or forge a table row, bidirectional overrides that reorder what a reader
sees, and lone surrogates that cannot be encoded at all.  Each such character is written
out instead (``\\x1b``, ``\\n``, ``\\u202e``), as the reports already do.
"""
from __future__ import annotations

import re
import sys


# C0 and C1 controls (newline and tab too), DEL, line/paragraph separators, the bidirectional
# marks, overrides and isolates ("Trojan Source"), and lone surrogates (unencodable in UTF-8)
# (compiled on first use, by re's cache: most runs print only plain ASCII, which needs no pattern)
_UNSAFE = "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _written_out(m: re.Match) -> str:
    ch = m.group()
    if ch in _NAMED:
        return _NAMED[ch]
    n = ord(ch)
    return f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}"


def printable(text) -> str:
    """``text`` with every character that a terminal would obey (or that splits a line) written out."""
    text = str(text)
    if text.isascii() and text.isprintable():   # no control character (the rest above are not ASCII)
        return text
    return re.sub(_UNSAFE, _written_out, text)


def say(message: str, stream=None, own: bool = False) -> None:
    """One line on standard error, ``specguard: `` first, whatever the message holds.

    ``own``: a line specguard composes from its own counts and the paths it was given (the gate's
    summary), with nothing a server or an exception said in it, so it is not redacted.
    A closed or broken stderr must not turn a clean exit status into a traceback."""
    stream = stream if stream is not None else sys.stderr
    if not own:
        from .redact import redact    # only when needed: its patterns cost ~2 ms to compile
        # an exception's text may quote what a server echoed (a token, a key)
        message = redact(message)
    try:
        print(f"specguard: {printable(message)}", file=stream, flush=True)
    except (OSError, ValueError, AttributeError):
        pass
