"""specguard's .tf verdicts on real public Terraform: the examples of public modules (issue 12).

    python bench/bench_realworld.py [--corpus /work/realworld] [--checkov] [--json FILE] [--list-unknowns]

The corpus is NOT in the repository (code fetched from public repositories is never committed):
one directory per repository, `<owner>__<repo>/`, laid out as in the repository (module root,
modules/, examples/) so that `source = "../../"` resolves.  bench/realworld/SOURCES.md names the
repositories, their snapshot commits and licences.  The corpus defaults to $SPECGUARD_REALWORLD,
then /work/realworld.

Every `examples/*` directory (and the extra directories named in EXTRA_DIRS) is scanned as a
user would: `specguard scan DIR --format json -o FILE`, one whole process each.  Printed:
directories, crashes (exit 3) and input errors (exit 2) with their message, findings by status,
% unknown, unknowns grouped by cause, and whole-process time against Checkov on the same
directories (--checkov: Checkov from its own venv, built by tests/checkov_env.py; never a
dependency of specguard).
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_CORPUS = os.environ.get("SPECGUARD_REALWORLD", "/work/realworld")

# repositories whose scannable roots are not under examples/ (paths or globs)
EXTRA_DIRS = {
    "bridgecrewio__terragoat": ["terraform/aws", "terraform/azure"],
    "nccgroup__sadcloud": ["sadcloud"],
    "RhinoSecurityLabs__cloudgoat": ["cloudgoat/scenarios/*/*/terraform"],
    "OWASP__wrongsecrets": ["aws", "azure"],
}

# Unknown reasons -> causes.  Reasons read "<what> is not known: <cause> (expression: ...)"; the
# cause is normalised so that one cause is one line whatever resource or attribute it hit.
# The first pattern that matches wins; order from specific to general.
OFF_DISK = "module not followed (not on disk)"
CAUSES: list[tuple[str, str]] = [
    # the root cause first: a message nests causes ("for_each ... is not known (a for expression's
    # condition is not known (function basename() is not evaluated))"); the innermost decides
    (r"function (\w+)\(\) is not (?:evaluated|supported)|unsupported function:? (\w+)|"
     r"call to unknown function (\w+)", "function {0}() not supported"),
    (r"\b(timestamp|uuid|bcrypt|plantimestamp)\(\)", "function {0}() (unknown by nature)"),
    (r"has no attribute|no attribute named|unsupported attribute",
     "attribute missing from an object (optional() / type conversion)"),
    (r"module that is not followed|not a local directory|module [\w.\[\]\"]+ is not followed|"
     r"comes from module [\w-]+ \((?:registry|git|remote)", OFF_DISK),
    (r"read from a data source|\bdata\.\w+\.\w+", "data source"),
    (r"known only after apply", "known only after apply"),
    (r"variable [\w.\"]+ has no (?:value|default)|has no value", "variable has no value"),
    (r"whether (?:it|the resource|this resource) is created|may or may not exist|"
     r"(?:count|for_each) = .* is not known", "count/for_each not known (existence)"),
    (r"default group applies", "no security group attached: the VPC's default group is not visible"),
    (r"rejected by Terraform", "a value Terraform would reject (wrong type)"),
    (r"leads outside the scanned directory|outside the scanned tree", "a file outside the scanned tree"),
    (r"unexpected shape \((\w+)\)", "mapper error turned unknown ({0})"),
    (r"account's [\w -]+ setting", "account-level default not visible"),
    (r"default of family", "engine family default not known"),
    (r"provider default|provider version|required_providers", "provider default not established"),
    (r"each\.(?:value|key)|count\.index", "each/count value not known"),
    (r"not supported|unsupported", "expression not supported"),
]
_COMPILED = [(re.compile(p, re.I), label) for p, label in CAUSES]


def cause_of(message: str) -> str:
    """The cause of an unknown finding, from its message."""
    text = message.split(" is not known: ", 1)[-1] if " is not known: " in message else message
    text = re.sub(r"\(expression: .*", "", text, flags=re.S)
    for rx, label in _COMPILED:
        m = rx.search(text)
        if m:
            groups = [g for g in m.groups() if g]
            return label.format(*(g.lower() if label.startswith("function") else g for g in groups))
    # unmatched: the text itself without addresses, names and numbers, so alike ones group
    text = re.sub(r"\b(module|var|local|each|aws|azurerm)\.[\w.\[\]\"-]+", "<ref>", text)
    text = re.sub(r"'[^']*'|\"[^\"]*\"|\d+", "<v>", text)
    return "other: " + text[:90]


def example_dirs(corpus: pathlib.Path) -> list[pathlib.Path]:
    """Every examples/* directory holding .tf files, plus EXTRA_DIRS; sorted."""
    out = []
    for repo in sorted(p for p in corpus.iterdir() if p.is_dir()):
        ex = repo / "examples"
        if ex.is_dir():
            out += [d for d in sorted(ex.iterdir()) if d.is_dir() and any(d.glob("*.tf"))]
        for extra in EXTRA_DIRS.get(repo.name, []):   # a path or a glob
            out += [d for d in sorted(repo.glob(extra)) if d.is_dir() and any(d.glob("*.tf"))]
    return out


def _children_cpu() -> float:
    # CPU seconds (user + system) of finished child processes: on a shared, loaded machine this moves
    # far less than wall time, so two revisions can be compared
    import resource
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def scan(directory: pathlib.Path, python: str = sys.executable, env: dict | None = None) -> dict:
    """`specguard scan DIR --format json` as one process: exit status, time, results (or stderr)."""
    fd, out = tempfile.mkstemp(prefix="specguard-rw-", suffix=".json")
    os.close(fd)
    os.unlink(out)
    t0, c0 = time.perf_counter(), _children_cpu()
    r = subprocess.run([python, "-m", "scanner", "scan", str(directory), "--quiet", "--format", "json",
                        "-o", out], capture_output=True, text=True, env=env, cwd=str(directory))
    elapsed, cpu = time.perf_counter() - t0, _children_cpu() - c0
    doc = None
    if os.path.exists(out):
        with open(out) as fh:
            doc = json.load(fh)
        os.unlink(out)
    return {"dir": str(directory), "rc": r.returncode, "seconds": elapsed, "cpu": cpu, "doc": doc,
            "stderr": r.stderr.strip()}


def checkov_time(checkov: pathlib.Path, directory: pathlib.Path) -> float:
    from checkov_env import run_checkov  # tests/checkov_env.py
    t0 = time.perf_counter()  # wall time: Checkov's worker processes are its own children
    # --skip-download: the Bridgecrew API is not reachable here; waiting for it would flatter specguard
    run_checkov(checkov, "-d", str(directory), "--framework", "terraform", "--quiet", "--compact",
                "--skip-download")
    return time.perf_counter() - t0


EXPECTATIONS = HERE / "realworld" / "expectations.yaml"
STATUSES = {"pass", "fail", "unknown", "waived", "none"}


def load_expectations(path: pathlib.Path = EXPECTATIONS) -> list[dict]:
    """The expectations file, checked for shape (a typo must not silently match nothing)."""
    import yaml
    entries = yaml.safe_load(path.read_text())
    for i, e in enumerate(entries):
        missing = {"dir", "address", "control", "status", "why"} - set(e)
        accepted = e.get("status")
        accepted = set(accepted) if isinstance(accepted, list) else {accepted}
        if missing or not accepted <= STATUSES:
            raise ValueError(f"{path} entry {i + 1} ({e.get('address')}): missing {sorted(missing)} "
                             f"or a status not in {sorted(STATUSES)}")
    return entries


def accepted(entry: dict) -> set[str]:
    s = entry["status"]
    return set(s) if isinstance(s, list) else {s}


def matches(entry: dict, finding: dict) -> bool:
    addr, want = finding["address"], entry["address"]
    hit = addr.startswith(want[:-1]) if want.endswith("*") else addr == want
    return hit and entry["control"] in ("*", finding["control"])


def verdicts(entry: dict, findings: list[dict]) -> list[str]:
    """The statuses specguard gave for an entry (["none"] when it gave no finding)."""
    got = [f["status"] for f in findings if f["dir"] == entry["dir"] and matches(entry, f)]
    return got or ["none"]


def holds(entry: dict, got: list[str]) -> bool:
    return set(got) <= accepted(entry)


def unreviewed_passes(entries: list[dict], findings: list[dict]) -> list[dict]:
    """Passes no expectation speaks of: each must be read against the source and listed.

    (A pass that an expectation says is NOT a pass is that expectation's mismatch, reported there.)
    """
    return [f for f in findings if f["status"] == "pass"
            and not any(e["dir"] == f["dir"] and matches(e, f) for e in entries)]


def flat(corpus: pathlib.Path, runs: list[dict]) -> list[dict]:
    return [{"dir": short(corpus, r["dir"]), "address": f["resource"]["address"],
             "control": f["control_id"], "status": f["status"], "message": f["message"],
             "evidence": f.get("evidence")}
            for r in runs for f in (r["doc"] or {}).get("findings", [])]


def report_expectations(entries: list[dict], findings: list[dict], out=sys.stdout) -> int:
    """Print every expectation that does not hold and every unreviewed pass; return how many."""
    bad = 0
    for e in entries:
        got = verdicts(e, findings)
        if not holds(e, got):
            bad += 1
            tag = " (known: xfail)" if e.get("xfail") else ""
            print(f"  MISMATCH{tag} {e['dir']} {e['address']} {e['control']}: expected "
                  f"{'/'.join(sorted(accepted(e)))}, got {'/'.join(got)} -- {e['why']}", file=out)
    for f in unreviewed_passes(entries, findings):
        bad += 1
        print(f"  UNREVIEWED PASS {f['dir']} {f['address']} {f['control']}: {f['message'][:120]}", file=out)
    return bad


def short(corpus: pathlib.Path, d: str) -> str:
    return str(pathlib.Path(d).relative_to(corpus))


def summarise(corpus: pathlib.Path, runs: list[dict]) -> dict:
    status = collections.Counter()
    causes = collections.Counter()
    examples: dict[str, str] = {}
    by_control = collections.Counter()
    crashes, input_errors = [], []
    for r in runs:
        where = short(corpus, r["dir"])
        if r["rc"] == 3 or (r["rc"] not in (0, 1, 2)):
            crashes.append((where, r["rc"], (r["stderr"].splitlines() or [""])[-1]))
        elif r["rc"] == 2:
            input_errors.append((where, r["stderr"]))
        for f in (r["doc"] or {}).get("findings", []):
            status[f["status"]] += 1
            if f["status"] == "unknown":
                c = cause_of(f["message"])
                causes[c] += 1
                by_control[f["control_id"]] += 1
                examples.setdefault(c, f"{where} {f['resource']['address']} {f['control_id']}: "
                                         + " ".join(f["message"].split())[:220])
    total = sum(status.values())
    # The corpus holds no .terraform/: registry and git modules are not on disk, as before
    # `terraform init`.  In CI the scan runs after init, so the figure that matters for the gate
    # leaves out the findings that only wait for a module to be downloaded.
    offdisk = causes.get(OFF_DISK, 0)
    return {"directories": len(runs), "crashes": crashes, "input_errors": input_errors,
            "status": dict(status), "total": total,
            "unknown_pct": (100.0 * status["unknown"] / total) if total else 0.0,
            "unknown_pct_after_init": (100.0 * (status["unknown"] - offdisk) / (total - offdisk))
            if total > offdisk else 0.0,
            "causes": causes.most_common(), "cause_examples": examples,
            "unknown_by_control": by_control.most_common(),
            "specguard_seconds": sum(r["seconds"] for r in runs),
            "specguard_cpu_seconds": sum(r["cpu"] for r in runs)}


def report(s: dict, out=sys.stdout) -> None:
    p = lambda *a: print(*a, file=out)  # noqa: E731
    p(f"directories: {s['directories']}")
    p(f"crashes (exit 3): {len(s['crashes'])}")
    for where, rc, msg in s["crashes"]:
        p(f"  {where}: exit {rc}: {msg}")
    p(f"input errors (exit 2): {len(s['input_errors'])}")
    for where, msg in s["input_errors"]:
        p(f"  {where}: {msg}")
    st = s["status"]
    p("findings: " + ", ".join(f"{k} {st.get(k, 0)}" for k in ("pass", "fail", "unknown", "waived"))
      + f" (total {s['total']})")
    p(f"unknown: {s['unknown_pct']:.1f}%; leaving out the unknowns that wait for a module not on disk "
      f"(terraform init would fetch it): {s['unknown_pct_after_init']:.1f}%")
    p("unknowns by cause:")
    for cause, n in s["causes"]:
        p(f"  {n:5d}  {cause}")
        p(f"         e.g. {s['cause_examples'][cause]}")
    p("unknowns by control: " + ", ".join(f"{c} {n}" for c, n in s["unknown_by_control"]))
    p(f"specguard, whole process, all directories: {s['specguard_seconds']:.2f} s wall, "
      f"{s['specguard_cpu_seconds']:.2f} s CPU")
    if "checkov_seconds" in s:
        n = s["checkov_dirs"]
        p(f"checkov -d DIR --framework terraform, {n} directories: {s['checkov_seconds']:.2f} s; "
          f"specguard on the same {n}: {s['specguard_seconds_same_dirs']:.2f} s")
        p(f"ratio: {s['checkov_seconds'] / s['specguard_seconds_same_dirs']:.1f}x (wall time, one run each)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=DEFAULT_CORPUS)
    ap.add_argument("--checkov", action="store_true", help="time Checkov on the same directories too")
    ap.add_argument("--checkov-sample", type=int, metavar="N",
                    help="time Checkov on N directories spread over the corpus only (it takes ~10-20 s a "
                         "directory); the ratio compares specguard's time on the same N")
    ap.add_argument("--json", metavar="FILE", help="write the figures (and every finding) here as JSON")
    ap.add_argument("--only", metavar="SUBSTRING", help="only directories whose path contains this")
    ap.add_argument("--expect", action="store_true",
                    help="also check bench/realworld/expectations.yaml and list what does not hold")
    ap.add_argument("--commit", metavar="REV",
                    help="measure this commit of specguard (git archive into a temporary directory, run "
                         "with PYTHONPATH there) instead of the working tree, which others may be editing")
    args = ap.parse_args(argv)
    corpus = pathlib.Path(args.corpus)
    if not corpus.is_dir():
        sys.exit(f"{corpus}: no corpus (see bench/realworld/SOURCES.md for how to build it)")
    dirs = [d for d in example_dirs(corpus) if not args.only or args.only in str(d)]
    sys.path.insert(0, str(HERE))
    from bench_hcl import compile_bytecode
    env = dict(os.environ)
    tree = None
    if args.commit:
        tree = tempfile.mkdtemp(prefix="specguard-rev-")
        # the package layout as installed: rules/ is the package scanner.rules (pyproject's package-dir)
        for part, into in (("scanner", tree), ("rules", os.path.join(tree, "scanner"))):
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.commit, part],
                                     capture_output=True, check=True).stdout
            subprocess.run(["tar", "-x", "-C", into], input=archive, check=True)
        env["PYTHONPATH"] = tree
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        subprocess.run([sys.executable, "-m", "compileall", "-q", tree], check=True, env=env,
                       stdout=subprocess.DEVNULL)
        rev = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", args.commit],
                             capture_output=True, text=True, check=True).stdout.strip()
        print(f"specguard at commit {rev}")
    else:
        compile_bytecode(env)
        print("specguard: the working tree (uncommitted edits included)")
    runs = [scan(d, env=env) for d in dirs]
    s = summarise(corpus, runs)
    if args.checkov or args.checkov_sample:
        sys.path.insert(0, str(ROOT / "tests"))
        from checkov_env import ensure
        venv = ensure()
        picked = list(range(len(dirs)))
        if args.checkov_sample and args.checkov_sample < len(dirs):
            step = len(dirs) / args.checkov_sample
            picked = sorted({int(i * step) for i in range(args.checkov_sample)})
        s["checkov_dirs"] = len(picked)
        s["checkov_seconds"] = sum(checkov_time(venv, dirs[i]) for i in picked)
        s["specguard_seconds_same_dirs"] = sum(runs[i]["seconds"] for i in picked)
    report(s)
    if tree:
        import shutil
        shutil.rmtree(tree, ignore_errors=True)
    findings = flat(corpus, runs)
    if args.expect:
        entries = load_expectations()
        print(f"expectations ({len(entries)}, {sum(1 for e in entries if e.get('xfail'))} marked as known wrong):")
        n = report_expectations(entries, findings)
        print(f"  {n} not holding" if n else "  all hold, and every pass was reviewed")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({**s, "findings": findings}, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
