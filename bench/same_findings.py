"""Prove a change leaves every finding as it was: scan the same inputs with two revisions and compare.

    python3 bench/same_findings.py REV_A [REV_B] [--realworld-every 4] [--no-big]

REV_A and REV_B are git revisions (checked out with `git worktree add` into a temporary
directory, removed afterwards), or folders holding a copy of scanner/, rules/ and reports/;
REV_B defaults to the working tree as it is ("."). Each
input is scanned by `python -m scanner scan INPUT --format json -o OUT` with PYTHONPATH
pointing at that revision, and the two JSON documents are compared, so every finding
(control, address, status, message, evidence, fingerprint, severity), the summary and
the coverage must be equal, and the documents less their "run" block (times, versions)
must be byte-identical. Inputs: the 10,000-resource bench plan, the fixtures' plans and
.tf trees, tests/tf_patterns/*, and every Nth example of /work/realworld/*/examples/*.
Prints one line per input that differs and exits 1 if any does.
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
REALWORLD = pathlib.Path("/work/realworld")


def inputs(every: int, big: bool) -> list[pathlib.Path]:
    out = []
    if big:
        plan = ROOT / "bench" / "out" / "plan-10k.json"
        if not plan.exists():
            subprocess.run([sys.executable, str(ROOT / "bench" / "gen_plan.py"), "10000", "-o", str(plan)], check=True)
        out.append(plan)
    for d in sorted((ROOT / "fixtures").glob("*/*")):
        if (d / "plan.json").exists():
            out += [d / "plan.json", d]
    out += sorted(p for p in (ROOT / "tests" / "tf_patterns").iterdir() if p.is_dir())
    if REALWORLD.exists() and every:
        examples = sorted(REALWORLD.glob("*/examples/*"))
        out += [p for i, p in enumerate(examples) if i % every == 0 and p.is_dir()]
    return out


def checkout(rev: str, tmp: pathlib.Path) -> pathlib.Path:
    if rev == ".":
        return ROOT
    if pathlib.Path(rev, "scanner").is_dir():
        return pathlib.Path(rev)   # a copy of the tree made beforehand (the live tree changes while this runs)
    dest = tmp / rev.replace("/", "_")
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(dest), rev], check=True)
    return dest


# The packages live in three folders (pyproject's package-dir: rules/ is scanner.rules, reports/ is
# scanner.reports), and the venv's editable install maps them to /work/main: PYTHONPATH alone would
# take scanner from the revision but its rules from the main tree. This finder, first on
# sys.meta_path, maps all three to the revision's folders.
LAUNCHER = """
import importlib.machinery, importlib.util, pathlib, runpy, sys
src = pathlib.Path(sys.argv.pop(1))
where = {"scanner": src / "scanner", "scanner.rules": src / "rules", "scanner.reports": src / "reports"}
class Revision:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name in where:
            return importlib.util.spec_from_file_location(name, where[name] / "__init__.py")
        parent = name.rpartition(".")[0]
        if parent in where:
            return importlib.machinery.PathFinder.find_spec(name, [str(where[parent])])
        return None
sys.meta_path.insert(0, Revision)
sys.argv[0] = "specguard"
runpy.run_module("scanner", run_name="__main__", alter_sys=True)
"""


def scan(src: pathlib.Path, target: pathlib.Path, out: pathlib.Path) -> tuple[int, bytes, str]:
    r = subprocess.run([sys.executable, "-c", LAUNCHER, str(src), "scan", str(target), "--format", "json",
                        "-o", str(out), "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    return r.returncode, out.read_bytes() if out.exists() else b"", r.stderr.strip()[-300:]


def strip_run(doc: bytes) -> bytes:
    """The canonical document less its "run" block (the top-level keys are sorted: it sits
    between "findings" and "schema_version")."""
    i = doc.rfind(b',"run":{')
    j = doc.find(b'},"schema_version":', i)
    return doc[:i] + doc[j + 1:] if i >= 0 and j >= 0 else doc


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("rev_a")
    ap.add_argument("rev_b", nargs="?", default=".")
    ap.add_argument("--realworld-every", type=int, default=4, help="scan every Nth real-world example (0: none)")
    ap.add_argument("--no-big", action="store_true", help="leave out the 10,000-resource plan")
    a = ap.parse_args(argv)
    bad = 0
    with tempfile.TemporaryDirectory(prefix="same-findings-") as t:
        tmp = pathlib.Path(t)
        trees = []
        try:
            src_a, src_b = checkout(a.rev_a, tmp), checkout(a.rev_b, tmp)
            trees = [s for s in (src_a, src_b) if s.parent == tmp]
            items = inputs(a.realworld_every, not a.no_big)
            for i, target in enumerate(items):
                ra = scan(src_a, target, tmp / f"a{i}.json")
                rb = scan(src_b, target, tmp / f"b{i}.json")
                name = os.path.relpath(target, ROOT)
                if ra[0] != rb[0] or strip_run(ra[1]) != strip_run(rb[1]):
                    da, db = (json.loads(r[1]) if r[1] else {} for r in (ra, rb))
                    bad += 1
                    fa = {(f["control_id"], f["resource"]["address"]): f for f in da.get("findings", [])}
                    fb = {(f["control_id"], f["resource"]["address"]): f for f in db.get("findings", [])}
                    diff = sorted(k for k in fa.keys() | fb.keys() if fa.get(k) != fb.get(k))
                    print(f"DIFF {name}: exit {ra[0]} vs {rb[0]}, {len(diff)} findings differ "
                          f"{diff[:3]} {ra[2] or ''} {rb[2] or ''}")
                else:
                    n = len(json.loads(ra[1]).get("findings", [])) if ra[1] else 0
                    print(f"same {name}: exit {ra[0]}, {n} findings, identical bytes")
        finally:
            for tree in trees:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)
    print(f"{bad} input(s) differ" if bad else "all inputs: same findings")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
