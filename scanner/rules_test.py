"""``specguard rules test DIR``: users test their own controls against examples, in their own CI.

DIR holds the rules (``*.yaml``, ``*.yml``, ``*.py`` directly in it) and one subdirectory per
example: a Terraform plan (every ``*.json`` in it) or a ``.tf`` tree, with ``expected.yaml``::

    aws_db_instance.scratch:
      ACME-DB-01: fail
      ACME-DB-02: fail
    aws_rds_cluster.ledger: {ACME-DB-01: unknown}

Every finding of the directory's controls must be listed with its status (``pass``, ``fail``,
``unknown``, ``waived``), and ``not_applicable`` says a control must give no finding for that
address: an unlisted verdict is how a false pass slips in.  Exit 0 when every example matches,
1 when one does not, 2 for bad input.
"""
from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field

from .errors import InputError, shown

EXPECTED = "expected.yaml"
STATUSES = ("pass", "fail", "unknown", "waived", "not_applicable")


@dataclass
class ExampleResult:
    path: str
    checked: int = 0
    problems: list[str] = field(default_factory=list)


def examples(directory: str) -> list[str]:
    if not os.path.isdir(directory):
        raise InputError("not a directory", directory)
    found = sorted(os.path.join(directory, n) for n in os.listdir(directory)
                   if os.path.isfile(os.path.join(directory, n, EXPECTED)))
    if not found:
        raise InputError(f"no examples: a subdirectory with a plan or .tf files and an {EXPECTED}", directory)
    return found


def _expected(path: str) -> dict[str, dict[str, str]]:
    from .yamlfile import read_yaml
    data = read_yaml(path, "expectations").data or {}
    if not isinstance(data, dict):
        raise InputError("expectations are a mapping of address -> {control id: status}", path)
    for addr, per in data.items():
        if not isinstance(per, dict):
            raise InputError(f"{shown(addr)}: a mapping of control id -> status", path, str(addr))
        for cid, status in per.items():
            if status not in STATUSES:
                raise InputError(f"{shown(addr)} {shown(cid)}: unknown status {shown(status)} "
                                 f"(expected {', '.join(STATUSES)})", path, f"{addr}.{cid}")
    return data


def _inputs(example: str) -> list[str]:
    plans = sorted(os.path.join(example, n) for n in os.listdir(example) if n.endswith(".json"))
    if plans:
        return plans
    if any(n.endswith(".tf") for n in os.listdir(example)):
        return [example]
    raise InputError("no plan (*.json) and no .tf files beside the expectations", example)


def run(directory: str, profile: str | None = None) -> list[ExampleResult]:
    from .user_rules import INSTALLED
    token = INSTALLED.set(False)   # DIR's own controls only: installed packages are not loaded
    try:
        return _run(directory, profile)
    finally:
        INSTALLED.reset(token)


def _run(directory: str, profile: str | None) -> list[ExampleResult]:
    from .pipeline import scan_paths
    from .user_rules import load
    own = {c.id for c in load([directory]).controls}
    out = []
    for ex in examples(directory):
        expected = _expected(os.path.join(ex, EXPECTED))
        for cid in {c for per in expected.values() for c in per}:
            if cid not in own:
                raise InputError(f"{shown(cid)} is not a control of {directory}", os.path.join(ex, EXPECTED))
        ns = argparse.Namespace(paths=_inputs(ex), var=[], var_file=[], source_dir=None, profile=profile,
                                waivers=None, rules=[directory], checkov_results=None, no_source_waivers=False)
        doc = scan_paths(ns)
        got: dict[tuple[str, str], dict] = {}
        for f in doc["findings"]:
            if f["control_id"] in own:
                got[(f["resource"]["address"], f["control_id"])] = f
        res = ExampleResult(ex)
        for addr, per in expected.items():
            for cid, want in per.items():
                f = got.pop((addr, cid), None)
                res.checked += 1
                have = f["status"] if f else "not_applicable"
                if have != want:
                    why = f" ({f['message']})" if f else ""
                    res.problems.append(f"{addr} {cid}: expected {want}, got {have}{why}")
        for (addr, cid), f in sorted(got.items()):
            res.problems.append(f"{addr} {cid}: {f['status']} ({f['message']}) is not in {EXPECTED}")
        out.append(res)
    return out


def report(results: list[ExampleResult]) -> tuple[int, list[str]]:
    lines = []
    for r in results:
        if r.problems:
            lines.append(f"FAIL {r.path}: {len(r.problems)} of {r.checked} expectation(s) do not hold")
            lines += [f"  {p}" for p in r.problems]
        else:
            lines.append(f"ok   {r.path}: {r.checked} expectation(s) hold")
    return (1 if any(r.problems for r in results) else 0), lines
