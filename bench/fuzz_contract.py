"""The fuzz contract of issue 13 over thousands of mutants (tests/ run a few hundred).

    python3 bench/fuzz_contract.py [--plan-mutants 1500] [--tf-mutants 800] [--structure-mutants 500] [--seed 13]

For each fixture plan (fixtures/*/violating/plan.json) and each fixture tree
(fixtures/aws-platform/violating, fixtures/azure-standby/violating, fixtures/tf/platform),
plus single-field mutants of each plan's structure (held to the contract only), scans that many mutants in a bounded worker (tests/fuzzlib.py: 1.5 GB address space, 30 s
per scan) and prints, per input: the mutants, how many only made a value malformed, exit
statuses, the slowest scan, the largest peak RSS and every violation of the contract (exit
0/1 with strict JSON or exit 2 with one line and nothing written; no fail/unknown turned into
a pass or left its resource). Exit status 1 when any violation was found.
"""
from __future__ import annotations

import argparse
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "tests"))

import fuzzlib  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--plan-mutants", type=int, default=1500, help="mutants per fixture plan")
    ap.add_argument("--tf-mutants", type=int, default=800, help="mutants per fixture .tf tree")
    ap.add_argument("--structure-mutants", type=int, default=500, help="structure mutants per fixture plan")
    ap.add_argument("--seed", type=int, default=13)
    args = ap.parse_args(argv)
    total, bad = 0, 0
    runs = [("plan", p, args.plan_mutants) for p in fuzzlib.PLANS] + \
           [("tf", t, args.tf_mutants) for t in fuzzlib.TREES] + \
           [("structure", p, args.structure_mutants) for p in fuzzlib.PLANS]
    make = {"plan": fuzzlib.plan_jobs, "tf": fuzzlib.tf_jobs, "structure": fuzzlib.structure_jobs}
    for k, (kind, name, n) in enumerate(runs):
        if n <= 0:
            continue
        tmp = fuzzlib.fresh_dir()
        t0 = time.monotonic()
        try:
            jobs = make[kind](name, n, args.seed + k, tmp)
            problems, fig = fuzzlib.run_contract(jobs, tmp)
        finally:
            fuzzlib.cleanup(tmp)
        total += fig["mutants"]
        bad += len(problems)
        exits = ", ".join(f"exit {e}: {c}" for e, c in sorted(fig["exit"].items()))
        print(f"{kind:9} {name:36} {fig['mutants']:5} mutants ({fig['malform']} malformed-only) | {exits} | "
              f"slowest {fig['max_seconds']:.2f} s | peak {fig['max_peak_mb']:.0f} MB | "
              f"{len(problems)} violations | {time.monotonic() - t0:.0f} s")
        for p in problems[:15]:
            print("     -", p)
        sys.stdout.flush()
    print(f"total: {total} mutants, {bad} violations")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
