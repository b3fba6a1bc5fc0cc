"""A plan from standard input: ``terraform show -json plan.out | specguard scan -`` (issue 20).

Read whole, then parsed by the same strict parser as a plan file (``plan.parse_json``), so a
pipe gets exactly the checks a file gets; the digest recorded is of the bytes read.
"""
from __future__ import annotations

import hashlib
import sys

from ...errors import InputError

PATH = "-"             # how the command line and the results name it
LABEL = "<stdin>"      # how error messages name it


def read_stdin(stream=None) -> tuple[object, str]:
    """(the parsed plan, the SHA-256 of its bytes)."""
    from .plan import parse_json
    stream = stream if stream is not None else sys.stdin.buffer if sys.stdin is not None else None
    if stream is None:
        raise InputError("no standard input to read a plan from", LABEL)
    if hasattr(stream, "isatty") and stream.isatty():
        raise InputError("standard input is a terminal: pipe a plan in (terraform show -json plan.out | "
                         "specguard scan -)", LABEL)
    try:
        data = stream.read()
    except OSError as e:
        raise InputError(f"cannot be read ({e.strerror or e})", LABEL)
    if not data.strip():
        raise InputError("empty (expected `terraform show -json` output)", LABEL)
    return parse_json(data, LABEL), hashlib.sha256(data).hexdigest()
