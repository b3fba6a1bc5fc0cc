"""The pre-commit hook (.pre-commit-hooks.yaml): scan the .tf directories holding the changed files.

pre-commit runs ``python -m scanner.precommit [hook args] FILE...``; the hook's ``args`` (options of
``specguard scan``: ``--fail-on high``, ``--profile p.yaml``, ``--baseline b.json``) come first, the
changed files after.  The directories holding changed files are scanned in one run; the exit status
is the gate's (1 refuses the commit, 2 is bad input).

A directory that another directory of the repository calls as a local module (``source = "./x"``,
``"../x"``) is scanned through its caller, the root module: scanned alone its variables have no
values and every finding reading them would be unknown.  The calls are found with a regular
expression over the repository's .tf files rather than by parsing them with python-hcl2: the hook
runs on every commit, and a parse of every file would cost seconds on a large repository for the
one attribute needed (a call the expression misses only means that module is scanned as a root).
"""
from __future__ import annotations

import os
import re
import sys

_LOCAL_SOURCE = re.compile(r'^\s*source\s*=\s*"(\.{1,2}/[^"]*)"', re.MULTILINE)
_SKIP_DIRS = {".git", ".terraform", "node_modules", ".venv"}

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


def callers(top: str = ".") -> dict[str, set[str]]:
    """Module directory -> the directories whose .tf files call it by a local path."""
    out: dict[str, set[str]] = {}
    for d, subdirs, files in os.walk(top):
        subdirs[:] = [s for s in subdirs if s not in _SKIP_DIRS]
        for name in files:
            if not name.endswith(".tf"):
                continue
            try:
                with open(os.path.join(d, name), encoding="utf-8", errors="replace") as fh:
                    text = fh.read()
            except OSError:
                continue
            for src in _LOCAL_SOURCE.findall(text):
                callee = os.path.relpath(os.path.normpath(os.path.join(d, src)), top)
                out.setdefault(callee, set()).add(os.path.relpath(d, top))
    return out


def roots(dirs: list[str], calls: dict[str, set[str]]) -> list[str]:
    """The root modules to scan for the changed directories, in the order first reached."""
    out: list[str] = []

    def walk(d: str, seen: frozenset) -> None:
        up = sorted(c for c in calls.get(d, ()) if c not in seen)
        if not up:
            if d not in out:
                out.append(d)
            return
        for c in up:
            walk(c, seen | {d})

    for d in dirs:
        walk(os.path.normpath(d), frozenset())
    return out


def main(argv: list[str] | None = None) -> int:
    opts, dirs = split(sys.argv[1:] if argv is None else argv)
    if not dirs:
        return 0   # no Terraform file changed
    from .cli import main as cli_main
    return cli_main(["scan", *roots(dirs, callers(".")), *opts])


if __name__ == "__main__":
    raise SystemExit(main())
