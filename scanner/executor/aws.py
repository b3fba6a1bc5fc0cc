"""AWS accounts as work units: the coordinator lists them (``plan``), a worker audits one (``unit``:
its own credential chain, then --role-arn and --org-role into the account, every region of it), and
the coordinator puts the accounts back together as one local audit records them (``merge``).

The coordinator ships names only (the account id and name, the role names, the options): a worker's
credentials are its own, never a task argument.
"""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from ..results import Run
from ..sources.aws import accounts as acc
from ..sources.aws import audit as aws
from ..sources.aws.guard import Failure
from ..status import Status
from .units import UnitResult, evaluate_unit, in_run_order, profile_for, stamp

UNIT_API = "specguard:unit"   # the "call" a unit that failed for good stands for, in its placeholders


@dataclass
class Plan:
    units: list[str]                         # account ids, in the Organization's listing order
    items: dict[str, dict]                   # id -> the listing's item (Id, Name)
    regions_opt: list[str]
    home: str
    partition: str
    calls: Any                               # the coordinator's Calls (identity and listing)
    names: dict[str, str] = field(default_factory=dict)


def plan(opts, run: Run) -> Plan:
    regions_opt, only, skip = aws.checked(opts)
    calls = aws.new_calls(opts)
    status = Status(opts.quiet)
    try:
        session, home, partition, current = aws.identity(opts, calls, status)
        listed = aws.members(opts, calls, session, home, current, only, skip, status)
    finally:
        status.close()
    items = {item["Id"]: {"Id": item["Id"], "Name": item.get("Name", "")} for item in listed}
    return Plan(list(items), items, regions_opt, home, partition, calls)


def unit(opts, item: dict) -> UnitResult:
    """One account, on a worker: entered with the worker's own credentials, collected in every
    region, linked and evaluated; its findings come back slim (units.shrink)."""
    started = time.monotonic()
    regions_opt, _, _ = aws.checked(opts)
    calls = aws.new_calls(opts)
    silent = Status(True)
    session, home, partition, current = aws.identity(opts, calls, silent)
    a = aws.enter(opts, calls, session, home, partition, current, item)
    urun = Run()
    aws.account_regions(calls, a, home, partition, regions_opt, urun, silent, first=False)
    profile = profile_for(opts)
    resources = aws._run_units(opts.but(quiet=True), calls, [a], partition, home,  # noqa: SLF001 - the collectors' scheduler
                               aws.needs_of(profile))
    findings, rules = evaluate_unit(resources, profile, sort_key)
    detail = {"name": a.name, "regions": list(a.regions), "failure": a.failure, "regions_failure": a.regions_failure,
              "failures": list(calls.failures), "operations": dict(calls.operations), "attempts": calls.attempts}
    return stamp(UnitResult("aws", a.id, findings, urun.coverage, detail, rules, len(resources)), started)


def failed(opts, p: Plan, aid: str, reason: str) -> UnitResult:
    """A unit that failed for good: the placeholders of every collector, as for an account that
    could not be entered, so each of its controls reads unknown with the reason."""
    why = Failure(UNIT_API, "global", aid, reason)
    a = acc.Account(aid, None, why, list(p.regions_opt) or ["*"], p.items[aid].get("Name", ""))
    resources = aws._run_units(opts.but(quiet=True), aws.new_calls(opts), [a], p.partition, p.home)  # noqa: SLF001
    findings, rules = evaluate_unit(resources, profile_for(opts), sort_key)
    detail = {"name": a.name, "regions": a.regions, "failure": None, "regions_failure": None, "failures": [],
              "operations": {}, "attempts": 0, "unit_failed": reason}
    return UnitResult("aws", aid, findings, [], detail, rules, len(resources))


def merge(opts, run: Run, p: Plan, results: dict[str, UnitResult]) -> list[UnitResult]:
    """The accounts' results in the listing's order, recorded as ``aws.collect`` records them."""
    accounts = []
    failures = list(p.calls.failures)
    operations, attempts = Counter(p.calls.operations), p.calls.attempts
    for aid in p.units:
        res = results[aid]
        d = res.detail
        accounts.append(acc.Account(aid, None, d["failure"], d["regions"], d["name"], d["regions_failure"]))
        run.coverage.extend(res.coverage)   # regions-unknown, recorded first as in a local run
        failures += d["failures"]
        operations.update(d["operations"])
        attempts += d["attempts"]
    aws._record(run, SimpleNamespace(failures=failures), accounts)  # noqa: SLF001 - the same records
    for aid in p.units:
        reason = results[aid].detail.get("unit_failed")
        if reason:
            for src in run.sources:
                if src.get("account") == aid:
                    src["error"] = reason
            run.add_coverage("unit-failed", f"the audit of account {aid} failed for good on the Dask cluster "
                             f"({reason}): its controls are unknown", account=aid, error=reason)
    # operations made and HTTP attempts over every unit, for tests and the benchmark
    run.aws_calls = SimpleNamespace(operations=operations, attempts=attempts, failures=failures)
    return [results[aid] for aid in p.units]


def sort_key(r) -> tuple:
    """The order ``aws.collect`` sorts its resources in."""
    return (r.context.get("account", ""), r.context.get("region", ""), r.type, r.address)


def ordered(results: list[UnitResult], profile):
    return in_run_order(results, profile, sort_key)
