"""Azure subscriptions as work units: the coordinator signs in and lists them (``plan``), a worker
audits one with its own DefaultAzureCredential (``unit``), and the coordinator records them as one
local audit does (``merge``).  Nothing but the subscription id and the options is shipped."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from ..results import Run
from ..sources.azure import audit as az
from ..sources.azure.arm_map import TF_TYPES, to_resources
from ..sources.azure.inventory import GENERIC, Failure, Inventory, Reader, Work
from ..sources.azure.session import Session, check_credential, make_credential, resolve_endpoints
from ..status import Status
from .units import UnitResult, evaluate_unit, in_run_order, profile_for, stamp

UNIT_API = "specguard:unit"


@dataclass
class Plan:
    units: list[str]      # subscription ids, sorted (as aws.collect's subscriptions())


def _quiet_sdk_logs() -> None:
    # the SDKs log failed credentials and retries as warnings; our own messages say what matters
    logging.getLogger("azure").addHandler(logging.NullHandler())
    logging.getLogger("azure").propagate = False


def _session(opts):
    ep = resolve_endpoints(opts.azure_cloud, opts.arm_endpoint, opts.authority_host, opts.credential_scope)
    cred = make_credential(ep, opts.tenant)
    check_credential(cred, ep)
    return Session(cred, ep, concurrency=opts.concurrency, max_retries=opts.max_retries, timeout=opts.timeout)


def plan(opts, run: Run) -> Plan:
    _quiet_sdk_logs()
    status = Status(opts.quiet)
    try:
        ep = resolve_endpoints(opts.azure_cloud, opts.arm_endpoint, opts.authority_host, opts.credential_scope)
        status.say(f"signing in to {ep.authority} for {ep.scope} (DefaultAzureCredential) ...")
        session = _session(opts)
        try:
            if not opts.subscription:
                status.say(f"listing the subscriptions at {ep.arm} ...")
            subs = az.subscriptions(session, list(opts.subscription), opts.tenant, run)
        finally:
            session.close()
    finally:
        status.close()
    return Plan(subs)


def unit(opts, sub: str) -> UnitResult:
    """One subscription, on a worker: listed, read, mapped, linked and evaluated."""
    started = time.monotonic()
    _quiet_sdk_logs()
    session = _session(opts)
    inv = Inventory()
    try:
        work = Work(opts.concurrency)
        az.submit(work, Reader(session, inv), [sub], opts.strategy)
        work.run()
    finally:
        session.close()
    resources = to_resources(inv)
    locations = list(dict.fromkeys(r.context["location"] for r in resources if r.context.get("location")))
    findings, rules = evaluate_unit(resources, profile_for(opts), sort_key)
    detail = {"failures": list(inv.failures), "locations": locations}
    return stamp(UnitResult("azure", sub, findings, [], detail, rules, len(resources)), started)


def failed(opts, p: Plan, sub: str, reason: str) -> UnitResult:
    """A subscription whose unit failed for good: a placeholder for every type the audit reads."""
    why = Failure(UNIT_API, reason)
    inv = Inventory()
    for arm_type in TF_TYPES:
        scope_id = f"/subscriptions/{sub}/resources" if arm_type == GENERIC else f"/subscriptions/{sub}/providers/{arm_type}"
        inv.unlisted.append((scope_id, sub, arm_type, why))
    resources = to_resources(inv)
    findings, rules = evaluate_unit(resources, profile_for(opts), sort_key)
    return UnitResult("azure", sub, findings, [], {"failures": [], "locations": [], "unit_failed": reason}, rules,
                      len(resources))


def merge(opts, run: Run, p: Plan, results: dict[str, UnitResult]) -> list[UnitResult]:
    for sub in p.units:
        res = results[sub]
        run.add_scope("subscriptions", sub)
        src = {"kind": "azure", "path": f"subscription {sub}"}
        if res.detail.get("unit_failed"):
            src["error"] = res.detail["unit_failed"]
        run.sources.append(src)
    run.coverage.extend(sorted((e for sub in p.units for e in results[sub].detail["failures"]), key=az.failure_key))
    az.run_notes(run)
    for sub in p.units:
        reason = results[sub].detail.get("unit_failed")
        if reason:
            run.add_coverage("unit-failed", f"the audit of subscription {sub} failed for good on the Dask cluster "
                             f"({reason}): its controls are unknown", subscription=sub, error=reason)
    for loc in sorted({loc for sub in p.units for loc in results[sub].detail["locations"]}):
        run.add_scope("locations", loc)
    return [results[sub] for sub in p.units]


def sort_key(r) -> tuple:
    """The order ``azure.collect`` sorts its resources in."""
    return az.resource_key(r)


def ordered(results: list[UnitResult], profile):
    return in_run_order(results, profile, sort_key)
