"""The pre-commit hook (.pre-commit-hooks.yaml): scan the .tf directories holding the changed files.

pre-commit runs ``python -m scanner.precommit [hook args] FILE...``; the hook's ``args`` (options of
``specguard scan``: ``--fail-on high``, ``--profile p.yaml``, ``--baseline b.json``) come first, the
changed files after.  Each directory holding a changed file is scanned once, as a root module,
in one run; the exit status is the gate's (1 refuses the commit, 2 is bad input).
"""
from __future__ import annotations

import os
import sys

# options of `specguard scan` that take a value (the next word, unless written --opt=value)
VALUED = {"--profile", "--waivers", "--fail-on", "--baseline", "--var-file", "--var", "--format", "-f", "-o",
          "--output", "--rules", "--source-dir", "--store", "--scope", "--checkov-results", "--checkov-mapping"}


def split(argv: list[str]) -> tuple[list[str], list[str]]:
    """(options, directories to scan) from the hook's arguments."""
    opts: list[str] = []
    dirs: list[str] = []
    it = iter(argv)
    for word in it:
        if word.startswith("-") and word != "-":
            opts.append(word)
            if word in VALUED:
                nxt = next(it, None)
                if nxt is not None:
                    opts.append(nxt)
            continue
        d = os.path.dirname(os.path.normpath(word)) or "."
        if d not in dirs:
            dirs.append(d)
    return opts, dirs


def main(argv: list[str] | None = None) -> int:
    opts, dirs = split(sys.argv[1:] if argv is None else argv)
    if not dirs:
        return 0   # no Terraform file changed
    from .cli import main as cli_main
    return cli_main(["scan", *dirs, *opts])


if __name__ == "__main__":
    raise SystemExit(main())
