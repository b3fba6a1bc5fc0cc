"""``specguard audit azure``: subscriptions -> inventory -> model Resources.

Reads with DefaultAzureCredential through Azure Resource Manager (or Azure
Resource Graph with ``--strategy graph``), read-only, on a bounded pool of
threads.  A call that fails for good becomes an Unknown on the fields it feeds
and a coverage entry; the audit always finishes.
"""
from __future__ import annotations

import logging
import sys
from contextlib import contextmanager

from ...audit_options import AuditOptions
from ...errors import ScanError
from ...model import Resource
from ...status import Status
from . import arm_iam
from .arm_map import to_resources
from .inventory import GRAPH_BATCH, LISTINGS, Inventory, Reader, Work
from .session import Session, check_credential, describe_error, make_credential, resolve_endpoints, to_json

READABLE_STATES = {"enabled", "warned", "pastdue"}


def collect(args: AuditOptions, run, profile=None) -> list[Resource]:
    """``profile``: the run's (accepted as the AWS collector takes it; no Azure read depends on it)."""
    args = AuditOptions.of(args)   # typed options (a namespace from an older caller is converted)
    # the SDKs log failed credentials and retries as warnings; our own messages say what matters
    logging.getLogger("azure").addHandler(logging.NullHandler())
    logging.getLogger("azure").propagate = False
    ep = resolve_endpoints(getattr(args, "azure_cloud", None), getattr(args, "arm_endpoint", None),
                           getattr(args, "authority_host", None), getattr(args, "credential_scope", None))
    tenant = getattr(args, "tenant", None)
    status = Status(getattr(args, "quiet", False))   # what is happening, on a terminal, until the bar starts
    try:
        status.say(f"signing in to {ep.authority} for {ep.scope} (DefaultAzureCredential) ...")
        cred = make_credential(ep, tenant)
        check_credential(cred, ep)
    except BaseException:
        status.close()
        raise
    concurrency = getattr(args, "concurrency", 16)
    session = Session(cred, ep, concurrency=concurrency, max_retries=getattr(args, "max_retries", 3),
                      timeout=getattr(args, "timeout", 60.0))
    try:
        if not getattr(args, "subscription", None):
            status.say(f"listing the subscriptions at {ep.arm} ...")
        try:
            subs = subscriptions(session, getattr(args, "subscription", None) or [], tenant, run)
        finally:
            status.close()
        inv = Inventory()
        reader = Reader(session, inv)
        with _progress(getattr(args, "quiet", False), len(subs)) as progress:
            work = Work(concurrency, progress)
            submit(work, reader, subs, getattr(args, "strategy", "arm"))
            work.run()
    finally:
        session.close()
    for sub in subs:
        run.add_scope("subscriptions", sub)
        run.sources.append({"kind": "azure", "path": f"subscription {sub}"})
    run.coverage.extend(sorted(inv.failures, key=failure_key))
    run_notes(run)
    resources = to_resources(inv)
    # the reads finish in any order: sorted, two runs of the same estate write the same document
    resources.sort(key=resource_key)
    for loc in sorted({r.context["location"] for r in resources if r.context.get("location")}):
        run.add_scope("locations", loc)
    return resources


def resource_key(r: Resource) -> tuple:
    """The order of a run's resources (and so of its findings): by subscription, type and ID."""
    return (r.context.get("subscription", "").lower(), r.type, r.address.lower(), r.address)


def failure_key(entry: dict) -> tuple:
    """The order of the failed reads' coverage entries: by subscription, then what failed."""
    return ((entry.get("subscription") or "").lower(), entry.get("message", ""))


def submit(work: Work, reader: Reader, subs: list[str], strategy: str) -> None:
    """The first reads of the subscriptions (each returns its follow-up reads)."""
    if strategy == "graph":
        for i in range(0, len(subs), GRAPH_BATCH):
            batch = subs[i:i + GRAPH_BATCH]
            work.submit(reader.graph, batch)
            work.submit(reader.graph_resource_groups, batch)
    else:
        for sub in subs:
            work.submit(reader.resource_groups, sub)
            work.submit(reader.list_generic, sub)
            for arm_type in LISTINGS:
                work.submit(reader.list_type, sub, arm_type)
    for sub in subs:   # not in resource listings nor Resource Graph's Resources: either strategy
        work.submit(arm_iam.role_definitions, reader, sub)


def run_notes(run) -> None:
    """What is said once per Azure run, however many subscriptions (or units) it had."""
    run.add_coverage("not-checkable", LOG_02_AZURE, control="LOG-02")
    run.add_coverage("not-checkable", arm_iam.IAM_02_AZURE, control="IAM-02")


# CONTROLS.md: LOG-02 has no Azure column; the audit says why, once per run.
LOG_02_AZURE = ("LOG-02 (functions trace their requests) is not checked on Azure: a Function App's Application "
                "Insights settings are app settings, which Resource Manager returns only from POST "
                ".../config/appsettings/list, together with the app's secrets; a read-only audit does not call it")


def subscriptions(session: Session, wanted: list[str], tenant: str | None, run) -> list[str]:
    """The subscriptions to audit: those named, or every readable one the identity sees."""
    if wanted:
        return list(dict.fromkeys(s.strip() for s in wanted if s.strip()))
    try:
        found = [to_json(s) for s in session.client("subscriptions").subscriptions.list()]
    except Exception as e:
        why = describe_error(e)
        if why == "timeout" or why.startswith("connection error"):   # nothing answered: not a permission matter
            raise ScanError(f"could not reach Azure Resource Manager at {session.ep.arm} ({why}): check the "
                            "network, a proxy (HTTPS_PROXY) or --arm-endpoint")
        raise ScanError(f"could not list the subscriptions this identity can see ({why}); "
                        f"name them with --subscription")
    out = []
    for s in found:
        sid = s.get("subscriptionId") or (s.get("id") or "").rsplit("/", 1)[-1]
        if tenant and (s.get("tenantId") or "").lower() != tenant.lower():
            continue
        state = (s.get("state") or "").lower()
        if state and state not in READABLE_STATES:
            run.add_coverage("scope", f"subscription {sid} is {s.get('state')}: not audited", subscription=sid)
            continue
        out.append(sid)
    if not out:
        raise ScanError("this identity can see no enabled subscription" + (f" in tenant {tenant}" if tenant else ""))
    return sorted(out)


@contextmanager
def _progress(quiet: bool, n_subs: int):
    """A progress bar on a terminal (stderr); nothing when quiet or not a TTY."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn(f"Azure: {n_subs} subscription(s)"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("reads"), TimeElapsedColumn(), console=Console(stderr=True), transient=True) as p:
        task = p.add_task("audit", total=None)

        def update(done: int, total: int) -> None:
            p.update(task, completed=done, total=total)

        yield update
