"""Plan-gate benchmark: specguard vs Checkov on one large plan, whole processes.

    python3 bench/bench_plan.py --checkov-venv ~/.cache/specguard/checkov-venv \
        [--resources 10000] [--plan bench/out/plan-10k.json] [--skip-checkov]

Generates the plan (bench/gen_plan.py) unless --plan is given, then runs, each
as a separate process measured with wait4() (wall time and peak RSS of that
process tree):

  * ``specguard scan PLAN --format json -o OUT`` (every control of the spec profile);
  * ``specguard scan PLAN`` (terminal table to /dev/null, the default output);
  * ``checkov -f PLAN --framework terraform_plan --check CKV_AWS_16,CKV_AWS_157,CKV_AWS_133,CKV_AWS_103,CKV_AWS_23``
    from the given virtual environment;
  * ``specguard --version``.

and prints the figures (wall and CPU seconds) and the ratios against issue 21's targets: >= 100x
faster than Checkov on the same file in the same run, < 250 MB peak, --version < 0.1 s. ``--scaling 1000 10000 50000``
also scans plans of those sizes (generated once each) and prints seconds per 1,000 resources, so
a step that grows faster than linearly shows as a rising figure. ``--phases`` also prints the CPU
seconds of each step of one JSON scan (parse, schema check, plan reading, normalize, link, evaluate,
results document, rendering), measured inside that process.
"""
from __future__ import annotations

import argparse
import os
import resource
import pathlib
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
CHECKOV_CHECKS = "CKV_AWS_16,CKV_AWS_157,CKV_AWS_133,CKV_AWS_103,CKV_AWS_23"


def measure(cmd: list[str], env: dict | None = None, stdout=subprocess.DEVNULL) -> dict:
    """Wall seconds, peak RSS (MB, largest process of the tree) and exit status of one run."""
    e = dict(os.environ)
    e.update(env or {})
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.PIPE, env=e)
    _pid, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    # grandchildren (Checkov's worker processes) count too, when they set a new maximum
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    peak = max(usage.ru_maxrss, after if after > before else 0)
    err = p.stderr.read().decode(errors="replace") if p.stderr else ""
    p.stderr.close()
    # CPU seconds (user + system) of the process itself: on a loaded machine the wall time
    # includes waiting for a core, the CPU time does not
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": peak / 1024,
            "rc": os.waitstatus_to_exitcode(status), "stderr": err[-2000:]}


# Run inside a scan process: wraps the pipeline's steps with process_time() and prints them as JSON.
PHASES = """
import json, sys, time
t0 = time.process_time()
import scanner.cli as cli, scanner.pipeline as pl, scanner.render as render
import scanner.sources.terraform.plan as plan, scanner.sources.terraform.plan_schema as ps
import scanner.sources.terraform.normalize as norm, scanner.sources.terraform.declared as decl
times = {}
def wrap(mod, name):
    f = getattr(mod, name)
    def timed(*a, **k):
        t = time.process_time()
        try:
            return f(*a, **k)
        finally:
            times[name] = times.get(name, 0) + time.process_time() - t
    setattr(mod, name, timed)
for mod, name in ((plan, "parse_json"), (plan, "load_plan"), (ps, "first_error"), (decl, "declared_scope"),
                  (norm, "normalize"), (pl, "link"), (pl, "evaluate"), (pl, "build_document"), (render, "render")):
    wrap(mod, name)
cli.main(sys.argv[1:])
times["load_plan"] -= times.get("first_error", 0)   # shown on its own
print(json.dumps(dict(times, total=time.process_time() - t0)))
"""


def phases(plan: pathlib.Path, out: pathlib.Path) -> dict:
    r = subprocess.run([sys.executable, "-c", PHASES, "scan", str(plan), "--format", "json",
                        "-o", str(out / "results-phases.json"), "--quiet"], capture_output=True, text=True)
    import json
    return json.loads(r.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="specguard vs Checkov plan benchmark")
    ap.add_argument("--checkov-venv", help="virtual environment where Checkov is installed")
    ap.add_argument("--resources", type=int, default=10000)
    ap.add_argument("--plan", help="use this plan instead of generating one")
    ap.add_argument("--skip-checkov", action="store_true", help="only measure specguard")
    ap.add_argument("--out", default=str(HERE / "out"))
    ap.add_argument("--scaling", type=int, nargs="*", default=[],
                    help="also scan generated plans of these sizes (e.g. 1000 10000 50000)")
    ap.add_argument("--repeat", type=int, default=3, help="specguard runs per measurement (the best is kept)")
    ap.add_argument("--phases", action="store_true", help="also print each step's CPU seconds of one JSON scan")
    a = ap.parse_args(argv)
    if not a.skip_checkov and not a.checkov_venv:
        ap.error("--checkov-venv is required (or --skip-checkov)")
    out = pathlib.Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    plan = pathlib.Path(a.plan) if a.plan else out / f"plan-{a.resources}.json"
    if not a.plan:
        subprocess.run([sys.executable, str(HERE / "gen_plan.py"), str(a.resources), "-o", str(plan)], check=True)
    size = plan.stat().st_size / 1e6
    sg = [sys.executable, "-m", "scanner"]
    rows = []

    version = min((measure(sg + ["--version"]) for _ in range(3)), key=lambda m: m["wall"])
    rows.append(("specguard --version (best of 3)", version))
    best = lambda cmd: min((measure(cmd) for _ in range(a.repeat)), key=lambda m: m["wall"])  # noqa: E731
    sg_json = best(sg + ["scan", str(plan), "--format", "json", "-o", str(out / "results.json"), "--quiet"])
    rows.append(("specguard scan -> JSON file", sg_json))
    sg_table = best(sg + ["scan", str(plan), "--quiet"])
    rows.append(("specguard scan -> table (stdout)", sg_table))
    for name, m in rows[1:]:
        if m["rc"] not in (0, 1):
            print(f"{name} failed (exit {m['rc']}):\n{m['stderr']}", file=sys.stderr)
            return 2
    ck = None
    if not a.skip_checkov:
        exe = pathlib.Path(a.checkov_venv).expanduser() / "bin" / "checkov"
        ck = measure([str(exe), "-f", str(plan), "--framework", "terraform_plan", "--check", CHECKOV_CHECKS],
                     env={"BC_SKIP_MAPPING": "TRUE"})
        if ck["rc"] not in (0, 1):
            print(f"checkov failed (exit {ck['rc']}):\n{ck['stderr']}", file=sys.stderr)
            return 2
        rows.append(("checkov (5 checks)", ck))

    print(f"plan: {plan} ({size:.1f} MB)")
    for name, m in rows:
        print(f"  {name:<34} {m['wall']:8.2f} s  {m['cpu']:6.2f} s CPU  {m['rss_mb']:8.0f} MB peak  (exit {m['rc']})")
    ok = True
    if ck:
        for name, m in rows[1:3]:
            ratio = ck["wall"] / m["wall"]
            ok &= ratio >= 100
            print(f"  ratio checkov / {name}: {ratio:.1f}x faster (target >= 100x)")
        print(f"  memory checkov / specguard (JSON): {ck['rss_mb'] / sg_json['rss_mb']:.1f}x")
    peak = max(sg_json["rss_mb"], sg_table["rss_mb"])
    ok &= peak < 250 and version["wall"] < 0.1
    print(f"  specguard peak {peak:.0f} MB (target < 250 MB); --version {version['wall']:.3f} s (target < 0.1 s)")
    if a.phases:
        steps = phases(plan, out)
        print("  steps of one JSON scan (CPU s, in-process; the rest of total is start-up and imports): "
              + ", ".join(f"{k} {v:.3f}" for k, v in steps.items()))
    for n in a.scaling:
        sized = out / f"plan-{n}.json"
        if not sized.exists():
            subprocess.run([sys.executable, str(HERE / "gen_plan.py"), str(n), "-o", str(sized)], check=True)
        m = best(sg + ["scan", str(sized), "--format", "json", "-o", str(out / "results-scaling.json"), "--quiet"])
        print(f"  scaling: {n:>6} resources {m['wall']:7.2f} s  {m['wall'] / n * 1000:6.3f} s per 1,000  "
              f"(CPU {m['cpu']:6.2f} s, {m['cpu'] / n * 1000:6.3f} s per 1,000)  {m['rss_mb']:6.0f} MB peak")
    print("  targets met" if ok else "  targets NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
