"""The fuzz contract of issue 13, shared by tests/test_*_fuzz.py (a few hundred mutants) and
bench/fuzz_*.py (thousands, by hand).

Every mutant is scanned in a worker process that holds the bounds: an address-space limit of
1.5 GB (RLIMIT_AS) and 30 s per scan (SIGALRM). The worker reports, per mutant, the exit
status, stderr, whether an output was written, whether it is strict JSON (no NaN/Infinity),
the seconds and the peak RSS of the scan, and the finding statuses. ``violations`` applies
the contract:

- exit 0/1 with a strict JSON results document, or exit 2 with one stderr line and nothing
  written; never exit 3, never a traceback, within 30 s and 1.5 GB;
- a mutant that only made a value malformed (``malform=True``) never turns a fail/unknown of
  the unmutated input into a pass, and never leaves a resource that had a fail/unknown
  without one (a finding may move to another control of the family, e.g. NET-03 -> NET-04
  when the Tier tag is what became unreadable).

Plan mutants change one attribute value inside a resource's ``values`` (the place the plan
adapter reads); .tf mutants change one attribute of a resource (or module call) in one file
of a fixture tree. ``malform`` operators only change a value's type (a string into a list,
a list into an object, a number into "inf", a required attribute into null, an enumerated
string padded): Terraform refuses such a value and a provider never plans one. ``hostile``
operators (.tf only) write expressions that stress the evaluator (functions on edge inputs,
limits, deep nesting, control characters); they are held to the contract without the pass
rule, since they may change a value validly.
"""
from __future__ import annotations

import copy
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
PLANS = ["aws-platform/violating/plan.json", "azure-standby/violating/plan.json"]
TREES = ["aws-platform/violating", "azure-standby/violating", "tf/platform"]
LIMIT_BYTES = 1536 * 1024 * 1024
LIMIT_SECONDS = 30


# ----------------------------------------------------------------------------- plan mutants
def _value_paths(values, prefix=()):
    """Every path below a resource's values (a leaf or a subtree)."""
    out = []
    if isinstance(values, dict):
        for k, v in values.items():
            out.append(prefix + (k,))
            out += _value_paths(v, prefix + (k,))
    elif isinstance(values, list):
        for i, v in enumerate(values):
            out.append(prefix + (i,))
            out += _value_paths(v, prefix + (i,))
    return out


def _enum_paths() -> dict[str, set[str]]:
    data = json.loads((ROOT / "scanner" / "data" / "provider-values.json").read_text())
    return {t: set(p) for t, p in data["values"].items()}


INF = "\x00INF\x00"   # replaced by a bare non-finite token after json.dumps


def malform(v, rnd: random.Random, enum: bool):
    """A value of another type than ``v`` (None when no operator applies)."""
    ops = []
    if isinstance(v, str):
        ops += [lambda: [v], lambda: {"0": v}, lambda: 0 if not v.strip("-").isdigit() else [v]]
        if enum:
            ops += [lambda: v + " ", lambda: " " + v]
    elif isinstance(v, bool):
        ops += [lambda: "true" if v else "false", lambda: int(v), lambda: [v]]
    elif isinstance(v, (int, float)):
        ops += [lambda: "inf", lambda: str(v), lambda: [v], lambda: INF, lambda: 10 ** 400]
    elif isinstance(v, list):
        ops += [lambda: {str(i): x for i, x in enumerate(v)}, lambda: json.dumps(v), lambda: [v] if v else [[1]],
                lambda: v[0] if v and not isinstance(v[0], (list, dict)) else {"0": v}]
    elif isinstance(v, dict):
        ops += [lambda: [v] if v else [[]], lambda: json.dumps(v), lambda: list(v.items()) or "x"]
    return rnd.choice(ops)() if ops else None


def plan_mutants(doc: dict, n: int, seed: int):
    """(description, mutated JSON text) pairs: one attribute value of one resource malformed."""
    rnd = random.Random(seed)
    enums = _enum_paths()
    resources = []

    def walk(mod, jp):
        for i, r in enumerate(mod.get("resources") or []):
            if isinstance(r.get("values"), dict) and r.get("mode", "managed") == "managed":
                resources.append((jp + ("resources", i), r))
        for i, c in enumerate(mod.get("child_modules") or []):
            walk(c, jp + ("child_modules", i))

    walk(doc["planned_values"]["root_module"], ("planned_values", "root_module"))
    produced = 0
    while produced < n:
        jp, r = rnd.choice(resources)
        paths = _value_paths(r["values"])
        if not paths:
            continue
        path = rnd.choice(paths)
        cur = r["values"]
        for p in path[:-1]:
            cur = cur[p]
        old = cur[path[-1]]
        names = ".".join(str(p) for p in path if isinstance(p, str))
        new = malform(old, rnd, names in enums.get(r["type"], ()))
        if new is None and old is None:
            continue
        d = copy.deepcopy(doc)
        tgt = d
        for p in jp + ("values",) + path[:-1]:
            tgt = tgt[p]
        tgt[path[-1]] = new
        text = json.dumps(d)
        if new == INF:
            text = text.replace(json.dumps(INF), rnd.choice(["Infinity", "-Infinity", "NaN", "1e999"]))
        produced += 1
        yield f"{r['address']} {'.'.join(map(str, path))}: {_short(old)} -> {_short(new)}", text


def _short(v) -> str:
    s = json.dumps(v) if v != INF else "<non-finite>"
    return s if len(s) <= 60 else s[:57] + "..."


# ----------------------------------------------------------------------------- .tf mutants
_ATTR = re.compile(r'^(\s*)([A-Za-z_][A-Za-z0-9_-]*)(\s*=\s*)(.+?)\s*$')
_META = {"count", "for_each", "provider", "providers", "depends_on", "source", "version", "lifecycle"}
HOSTILE = [
    'jsondecode("{")', 'split("", "abc")', 'keys([])', 'max()', 'range(1e9)', 'range(100000000)',
    '[for i in range(1000000) : i]', 'tonumber("x")', 'lookup({}, "x")', '1/0', '-1e999', '"\\u0000"',
    '"\\u001b[31mpass\\u001b[0m\\nPASS"', 'file("/etc/passwd")', 'templatefile("nope.tpl", {})',
    'sort([1, "a"])', 'sum([])', 'cidrsubnet("0.0.0.0/0", 200, 1)', 'format("%d", "x")', 'regex("(", "x")',
    'pow(10, 400)', 'parseint("zz", 99)', 'substr("abc", 5, -9)', 'base64decode("!!")', 'timeadd("x", "y")',
    'join("", [for i in range(200000) : "aaaaaaaaaa"])', "[" * 300 + "1" + "]" * 300,
    '{' * 200 + '}' * 200, 'flatten([[[[[[[[[[1]]]]]]]]]])', 'setproduct(range(1000), range(1000), range(1000))',
    'zipmap(["a", "a"], [1, 2])', 'element([], 0)', 'slice([1], 5, 1)', 'one([1, 2])', 'coalesce()',
    'strrev("\\ud800")', 'replace("aaaa", "", "b")', 'formatlist("%s", [])', 'tolist({a = 1})', 'merge([1])',
    'chunklist([1], 0)', 'indent(-5, "x")', 'title(null)', 'upper(1)', 'abs("x")', 'ceil(1e308 * 10)',
]


def _attr_lines(text: str) -> list[tuple[int, str, bool]]:
    """(line index, attribute name, in a resource/module body) for single-line attributes."""
    out, depth, kind = [], 0, []
    for i, line in enumerate(text.split("\n")):
        stripped = line.strip()
        m = _ATTR.match(line)
        top = kind[0] if kind else None
        if m and depth > 0 and top in ("resource", "module") and m.group(2) not in _META \
                and not m.group(4).endswith(("{", "[", "(", "<<EOF", "<<-EOF")) and "<<" not in m.group(4):
            out.append((i, m.group(2), True))
        opens, closes = stripped.count("{"), stripped.count("}")
        if depth == 0 and opens:
            kind = [stripped.split()[0]] if stripped else ["?"]
        depth = max(0, depth + opens - closes)
        if depth == 0:
            kind = []
    return out


def malform_expr(expr: str, rnd: random.Random, enum: bool) -> str | None:
    """An expression of another type than ``expr``, which Terraform would refuse."""
    ops = [lambda: f"[{expr}]", lambda: f'{{ "0" = {expr} }}']
    if re.fullmatch(r"-?\d+(\.\d+)?", expr):
        ops += [lambda: '"inf"', lambda: "1e999", lambda: '"Infinity"']
    if expr in ("true", "false"):
        ops += [lambda: '"maybe"', lambda: "[true]"]
    if enum and re.fullmatch(r'"[^"\\$%]*"', expr):
        ops += [lambda: expr[:-1] + ' "', lambda: '" ' + expr[1:]]
    return rnd.choice(ops)()


def tf_mutants(tree: Path, n: int, seed: int, hostile_share: float = 0.35):
    """(description, relative file, new text, malform?) for one attribute of one file."""
    rnd = random.Random(seed)
    files = sorted(p for p in tree.rglob("*.tf") if ".terraform" not in p.parts)
    cands = []
    for f in files:
        text = f.read_text()
        for i, name, _ in _attr_lines(text):
            cands.append((f, i, name))
    enum_names = {p.split(".")[-1] for paths in _enum_paths().values() for p in paths}
    for _ in range(n):
        f, i, name = rnd.choice(cands)
        lines = f.read_text().split("\n")
        m = _ATTR.match(lines[i])
        expr = m.group(4)
        hostile = rnd.random() < hostile_share
        new = rnd.choice(HOSTILE) if hostile else malform_expr(expr, rnd, name in enum_names)
        lines[i] = f"{m.group(1)}{m.group(2)}{m.group(3)}{new}"
        rel = f.relative_to(tree)
        yield f"{rel}:{i + 1} {name}: {expr[:50]} -> {new[:60]}", str(rel), "\n".join(lines), not hostile


# ----------------------------------------------------------------------------- the worker
WORKER = r"""
import gc, io, contextlib, json, os, resource, signal, sys, time
sys.path.insert(0, {tests!r})
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
from scanner.cli import main

class Timeout(BaseException):
    pass

def on_alarm(*_):
    raise Timeout()

signal.signal(signal.SIGALRM, on_alarm)

def refuse(token):
    raise ValueError(token)

def peak_reset():
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass

def peak_kb():
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

for line in sys.stdin:
    job = json.loads(line)
    out = job["out"]
    err = io.StringIO()
    gc.collect()
    peak_reset()
    t0 = time.monotonic()
    rec = {{"id": job["id"]}}
    signal.alarm({seconds})
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            rc = main(["scan", job["input"], "-q", "--format", "json", "-o", out])
    except Timeout:
        rc = "timeout"
    except MemoryError:
        rc = "memory"
    except BaseException as e:
        rc = "exception " + type(e).__name__ + ": " + str(e)[:200]
    finally:
        signal.alarm(0)
        gc.enable()
    rec.update(rc=rc, seconds=round(time.monotonic() - t0, 3), peak_kb=peak_kb(), stderr=err.getvalue()[-2000:],
               written=os.path.exists(out))
    if rec["written"] and rc in (0, 1):
        try:
            doc = json.loads(open(out, encoding="utf-8").read(), parse_constant=refuse)
            rec["statuses"] = {{f["control_id"] + " " + f["resource"]["address"]: f["status"]
                                for f in doc["findings"]}}
        except Exception as e:
            rec["json_error"] = type(e).__name__ + ": " + str(e)[:200]
        os.unlink(out)
    print(json.dumps(rec), flush=True)
"""


def run_jobs(jobs: list[dict], tmp: Path) -> list[dict]:
    """Scan each job's input in one bounded worker process; records in job order."""
    code = WORKER.format(tests=str(ROOT / "tests"), limit=LIMIT_BYTES, seconds=LIMIT_SECONDS)
    env = dict(os.environ, PYTHONHASHSEED="0")
    env.pop("SPECGUARD_DEBUG", None)
    feed = "".join(json.dumps({k: j[k] for k in ("id", "input", "out")}) + "\n" for j in jobs)
    proc = subprocess.run([sys.executable, "-c", code], input=feed, capture_output=True, text=True, env=env,
                          cwd=str(tmp))
    recs = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    if len(recs) != len(jobs):
        raise RuntimeError(f"the fuzz worker stopped after {len(recs)} of {len(jobs)} jobs: {proc.stderr[-3000:]}")
    return recs


def violations(rec: dict, baseline: dict[str, str] | None, malformed: bool) -> list[str]:
    """What breaks the contract in one record (empty: it holds)."""
    bad = []
    rc = rec["rc"]
    if rc not in (0, 1, 2):
        return [f"exit {rc}"]
    if "Traceback" in rec["stderr"] or "internal error" in rec["stderr"]:
        bad.append("a traceback or internal error on stderr")
    if rec["seconds"] > LIMIT_SECONDS:
        bad.append(f"{rec['seconds']} s")
    if rec["peak_kb"] > LIMIT_BYTES // 1024:
        bad.append(f"{rec['peak_kb']} kB peak RSS")
    if rc == 2:
        lines = [line for line in rec["stderr"].splitlines() if line.strip()]
        if len(lines) != 1:
            bad.append(f"exit 2 with {len(lines)} stderr lines")
        if rec["written"]:
            bad.append("exit 2 but an output was written")
        return bad
    if not rec["written"]:
        bad.append(f"exit {rc} without an output")
    if "json_error" in rec:
        bad.append(f"results are not strict JSON: {rec['json_error']}")
    if malformed and baseline is not None and "statuses" in rec:
        # a resource whose tier (or kind) a malformed value hides may move its finding to the
        # control that covers "not known which applies" (NET-04): the resource must keep a
        # fail or unknown, and no fail or unknown may become a pass
        still = {key.split(" ", 1)[1] for key, st in rec["statuses"].items() if st in ("fail", "unknown")}
        for key, status in baseline.items():
            if status not in ("fail", "unknown"):
                continue
            got = rec["statuses"].get(key)
            if got == "pass":
                bad.append(f"{key}: {status} became pass")
            elif got is None and key.split(" ", 1)[1] not in still:
                bad.append(f"{key}: {status} vanished")
    return bad


def plan_jobs(fixture: str, n: int, seed: int, tmp: Path):
    """The baseline, then n malformed-value mutants of a fixture plan (files written as consumed)."""
    doc = json.loads((FIXTURES / fixture).read_text())
    yield {"id": "baseline", "input": str(FIXTURES / fixture), "out": str(tmp / "out-baseline.json"),
           "what": "the unmutated plan", "malform": False, "files": []}
    for k, (what, text) in enumerate(plan_mutants(doc, n, seed)):
        p = tmp / f"plan-{k}.json"
        p.write_text(text)
        yield {"id": k, "input": str(p), "out": str(tmp / f"out-{k}.json"), "what": what, "malform": True,
               "files": [str(p)]}


def structure_jobs(fixture: str, n: int, seed: int, tmp: Path):
    """The baseline, then n single-field mutants of a plan's structure (tests/test_plan_fuzz.py's
    mutations: any key, any replacement, drops included): held to the contract, not to the pass
    rule (dropping a resource is a valid change)."""
    from test_plan_fuzz import DROP, mutations
    doc = json.loads((FIXTURES / fixture).read_text())
    yield {"id": "baseline", "input": str(FIXTURES / fixture), "out": str(tmp / "out-baseline.json"),
           "what": "the unmutated plan", "malform": False, "files": []}
    for k, (path, new, d) in enumerate(mutations(doc, n, seed)):
        p = tmp / f"struct-{k}.json"
        p.write_text(json.dumps(d))
        what = f"{'.'.join(map(str, path))} = {'<dropped>' if new is DROP else _short(new)}"
        yield {"id": k, "input": str(p), "out": str(tmp / f"out-{k}.json"), "what": what, "malform": False,
               "files": [str(p)]}


def tf_jobs(tree_name: str, n: int, seed: int, tmp: Path):
    """The baseline, then n mutants of a fixture .tf tree (one attribute of one file each)."""
    tree = FIXTURES / tree_name
    yield {"id": "baseline", "input": str(tree), "out": str(tmp / "out-baseline.json"),
           "what": "the unmutated tree", "malform": False, "files": []}
    for k, (what, rel, text, mal) in enumerate(tf_mutants(tree, n, seed)):
        d = tmp / f"tree-{k}"
        shutil.copytree(tree, d, ignore=shutil.ignore_patterns("plan.json", "expected.yaml", ".terraform"))
        (d / rel).write_text(text)
        yield {"id": k, "input": str(d), "out": str(tmp / f"out-{k}.json"), "what": what, "malform": mal,
               "files": [str(d)]}


def run_contract(jobs, tmp: Path, chunk: int = 250) -> tuple[list[str], dict]:
    """(violations described, figures) for jobs whose first is the baseline.

    Jobs run in chunks, each in a fresh bounded worker; a chunk's files are removed after it."""
    jobs = iter(jobs)
    base_job = next(jobs)
    (base,) = run_jobs([base_job], tmp)
    problems = [f"baseline: {v}" for v in violations(base, None, False)]
    baseline = base.get("statuses")
    figures = {"mutants": 0, "malform": 0, "exit": {}, "max_seconds": 0.0, "max_peak_mb": 0.0}
    while True:
        batch = [j for _, j in zip(range(chunk), jobs)]
        if not batch:
            break
        for job, rec in zip(batch, run_jobs(batch, tmp)):
            figures["mutants"] += 1
            figures["malform"] += job["malform"]
            key = str(rec["rc"]) if rec["rc"] in (0, 1, 2) else "other"
            figures["exit"][key] = figures["exit"].get(key, 0) + 1
            figures["max_seconds"] = max(figures["max_seconds"], rec["seconds"])
            figures["max_peak_mb"] = max(figures["max_peak_mb"], round(rec["peak_kb"] / 1024, 1))
            for v in violations(rec, baseline, job["malform"]):
                problems.append(f"{job['what']}: {v} | {rec['stderr'].strip()[:300]}")
        for job in batch:
            for f in job["files"]:
                (shutil.rmtree if os.path.isdir(f) else os.unlink)(f)
    return problems, figures


def fresh_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="specguard-fuzz-"))


def cleanup(d: Path) -> None:
    shutil.rmtree(d, ignore_errors=True)
