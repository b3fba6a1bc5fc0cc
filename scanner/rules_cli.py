"""The command-line side of users' own controls: `specguard rules test DIR` and what
`specguard controls` says of a user's control (its origin)."""
from __future__ import annotations

import os
import sys
from typing import Any

from .terminal import printable


def test_directory(directory: str, profile: str | None = None) -> int:
    """Run DIR's controls against the examples beside them; print one line per example (and
    one per expectation that does not hold); 0 all hold, 1 one does not."""
    from .rules_test import report, run
    rc, lines = report(run(directory, profile))
    out = sys.stdout
    for line in lines:
        out.write(printable(line) + "\n")
    out.flush()
    return rc


def origin_text(origin: dict[str, Any] | None) -> str:
    """"acme.yaml:18", "acme_rules.py", "acme-specguard-rules 1.4.2"; "" for the catalogue."""
    if not origin:
        return ""
    if origin.get("kind") == "package":
        return f"{origin.get('package')} {origin.get('version')}".strip()
    where = os.path.relpath(origin["path"]) if origin.get("path") else ""
    return f"{where}:{origin['line']}" if origin.get("line") else where
