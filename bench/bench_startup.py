"""Whole-process time of two specguard installs, interleaved: the `.tf` scan of the 500-resource tree
and `specguard --version` (issue 12: the scan at most 20% slower than before; issue 21: --version < 0.1 s).

    python3 bench/bench_startup.py A B [--runs 15] [--resources 500] [--extras aws,azure,store]

A and B are each a virtual environment with specguard installed (a folder with bin/specguard) or a
git revision of this repository (main, HEAD, a22a63d, ...): a revision is checked out in a temporary
worktree and installed with `pip install .` (not editable, byte-compiled, as a user gets it) into a
temporary venv, both removed afterwards (--keep DIR keeps them there).  --extras installs those extras
too (`--version` with every extra installed is what issue 21 measures).

Each round runs A and B one after the other (alternating which goes first), so a machine loaded by
other work slows both alike; the figures are the minimum and the median over the rounds, with B's
ratio to A, of the wall time and of the CPU time.  On a busy machine --instructions is the steadier
figure: the instructions one scan executes, counted by valgrind.  The tree is bench_hcl.py's generator; the command is
`specguard scan DIR --format json -o FILE`, as a CI job runs it.  Exit status 0 (figures only).
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from bench_hcl import generate  # noqa: E402


def install(rev: str, where: str, extras: str) -> str:
    """A venv with specguard as of revision ``rev`` installed from a clean checkout; its path."""
    src = os.path.join(where, "src")
    venv = os.path.join(where, "venv")
    subprocess.run(["git", "-C", REPO, "worktree", "add", "--detach", "-q", src, rev], check=True)
    try:
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        target = src + (f"[{extras}]" if extras else "")
        subprocess.run([os.path.join(venv, "bin", "pip"), "install", "-q", "--disable-pip-version-check", target],
                       check=True)
    finally:
        subprocess.run(["git", "-C", REPO, "worktree", "remove", "--force", src], check=False)
    return venv


def side(spec: str, tmp: str, label: str, extras: str) -> tuple[str, str]:
    """(name shown, path of the specguard executable) for a venv path or a revision."""
    exe = os.path.join(spec, "bin", "specguard")
    if os.path.isfile(exe):
        return spec, exe
    commit = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", spec], check=True,
                            capture_output=True, text=True).stdout.strip()
    print(f"installing {spec} ({commit}) ...", file=sys.stderr)
    venv = install(spec, os.path.join(tmp, label), extras)
    return f"{spec} ({commit})", os.path.join(venv, "bin", "specguard")


def timed(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one run of ``cmd``."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(p.pid, 0)
    elapsed = time.perf_counter() - t0
    err = p.stderr.read().decode(errors="replace")
    p.stderr.close()
    rc = os.waitstatus_to_exitcode(status)
    if rc not in (0, 1):
        sys.exit(f"{' '.join(cmd)} failed ({rc}): {err.strip()[-500:]}")
    return elapsed, usage.ru_utime + usage.ru_stime


def instructions(cmd: list[str]) -> int | None:
    """Instructions executed by one run of ``cmd`` (valgrind --tool=callgrind), None without valgrind."""
    if shutil.which("valgrind") is None:
        return None
    r = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *cmd],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                       env={**os.environ, "PYTHONHASHSEED": "0"})
    for line in r.stderr.splitlines():
        if "Collected :" in line:
            return int(line.rsplit(":", 1)[1])
    return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("a", help="the reference: a venv folder or a git revision")
    ap.add_argument("b", help="the one compared with it: a venv folder or a git revision")
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--resources", type=int, default=500)
    ap.add_argument("--extras", default="", help="extras installed with a revision, e.g. aws,azure,store")
    ap.add_argument("--keep", metavar="DIR", help="build venvs and the tree here and keep them")
    ap.add_argument("--instructions", action="store_true",
                    help="also count the instructions of one scan of each under valgrind (callgrind): a figure "
                         "other work on the machine does not change")
    args = ap.parse_args(argv)
    tmp = args.keep or tempfile.mkdtemp(prefix="specguard-startup-")
    os.makedirs(tmp, exist_ok=True)
    try:
        sides = [side(args.a, tmp, "a", args.extras), side(args.b, tmp, "b", args.extras)]
        tree = os.path.join(tmp, "tree")
        if not os.path.isdir(tree):
            generate(tree, args.resources)
        out = os.path.join(tmp, "results.json")
        scan = {name: [] for name, _ in sides}
        version = {name: [] for name, _ in sides}
        for name, exe in sides:   # once untimed: the page cache holds both installs
            timed([exe, "scan", tree, "--format", "json", "-o", out])
        for i in range(args.runs):
            for name, exe in (sides if i % 2 == 0 else sides[::-1]):
                scan[name].append(timed([exe, "scan", tree, "--format", "json", "-o", out]))
                version[name].append(timed([exe, "--version"]))
        (a, _), (b, _) = sides
        os.system("uptime")   # how loaded the machine was: wall and CPU times grow with it, instructions do not
        print(f"{args.runs} interleaved runs each; A = {a}, B = {b}")
        print("wall: the whole process as a user waits for it; cpu: its user + system time (less "
              "sensitive to other work on the machine)")
        for title, fig in ((f"specguard scan DIR ({args.resources} resources) --format json -o FILE", scan),
                           ("specguard --version", version)):
            print(title)
            for k, kind in enumerate(("wall", "cpu")):
                for name, _ in sides:
                    v = [t[k] for t in fig[name]]
                    print(f"  {kind:<4} {name:<40} min {min(v):.3f} s   median {statistics.median(v):.3f} s")
                va, vb = [t[k] for t in fig[a]], [t[k] for t in fig[b]]
                print(f"  {kind:<4} B / A: min {min(vb) / min(va):.2f}   "
                      f"median {statistics.median(vb) / statistics.median(va):.2f}")
                if fig is scan and kind == "cpu":
                    worst = max(min(vb) / min(va), statistics.median(vb) / statistics.median(va))
                    print(f"  issue 12 (B at most 20% slower than A, CPU min and median): "
                          f"{'met' if worst <= 1.20 else 'NOT met'} ({worst:.2f})")
        if args.instructions:
            counts = {name: instructions([exe, "scan", tree, "--format", "json", "-o", out]) for name, exe in sides}
            if None in counts.values():
                print("instructions: valgrind is not installed")
            else:
                print("instructions of one scan (valgrind, callgrind)")
                for name, _ in sides:
                    print(f"  {name:<40} {counts[name]:,}")
                print(f"  B / A: {counts[b] / counts[a]:.3f}   issue 12 (at most 1.20): "
                      f"{'met' if counts[b] / counts[a] <= 1.20 else 'NOT met'}")
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
