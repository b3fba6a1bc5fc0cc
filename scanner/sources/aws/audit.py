"""``specguard audit aws``: every collector over every account and region, concurrently.

Work is split into units (account x region x service; S3 and CloudFront once
per account).  Units run on one thread pool, the per-resource calls they fan
out on another, and a semaphore in ``guard.Calls`` keeps at most
``--concurrency`` API calls in flight.  A call that fails for good becomes
Unknown fields or a placeholder resource (see ``scope.py``) plus one coverage
entry; the audit always finishes.
"""
from __future__ import annotations

import sys
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Callable

from ...audit_options import AuditOptions
from ...errors import InputError, ScanError
from ...model import Resource
from ...redact import redact
from ...results import Run
from . import accounts as acc
from . import collect_iam
from . import collect_backup, collect_edge, collect_msg, collect_net, collect_rds, collect_store
from . import collect_dlq
from . import tagging
from .guard import Calls, Failure
from .needs import ALL, Needs
from .needs import of_profile as needs_of
from .scope import KeyManagers, Scope
from ...status import Status
from . import startup
from .startup import describe_source

# (unit name, collector) -- run once per account and region
REGIONAL: list[tuple[str, Callable[[Scope], list[Resource]]]] = [
    ("ec2 security groups", collect_net.security_groups),
    ("ec2 volumes", collect_store.volumes),
    ("rds", collect_rds.collect),
    ("kms", collect_msg.keys),
    ("elbv2", collect_net.load_balancers),
    ("apigateway", collect_net.domain_names),
    ("apigateway stages", collect_edge.rest_api_stages),
    ("ec2 vpcs", collect_edge.vpcs),
    ("lambda", collect_edge.functions),
    ("efs", collect_store.file_systems),
    ("dynamodb", collect_store.tables),
    ("elasticache", collect_store.caches),
    ("kinesis", collect_msg.streams),
    ("sqs", collect_msg.queues),
    ("sns", collect_msg.topics),
    ("sns subscriptions", collect_dlq.subscriptions),
    ("secretsmanager", collect_msg.secrets),
    ("backup", collect_backup.plans),
]
# read once per account, not once per region
GLOBAL: list[tuple[str, Callable[[Scope, set], list[Resource]]]] = [
    ("s3", collect_store.buckets),
    ("cloudfront", lambda scope, regions: collect_net.distributions(scope)),
    # IAM is global (IAM-01, IAM-02): once per account
    ("iam policies", lambda scope, regions: collect_iam.policies(scope)),
    ("iam role policies", lambda scope, regions: collect_iam.role_policies(scope)),
    ("iam credential report", lambda scope, regions: collect_iam.console_users(scope)),
]


class DeadScope(Scope):
    """A scope every call of which has already failed (an account that could not be entered, a crashed
    collector): running the collectors on it yields their placeholders, so the scope reads as unknown."""

    def __init__(self, base: Scope, failure: Failure, keys: KeyManagers | None = None):
        # a key cache of its own: its failures must not become the answers the live collectors get
        super().__init__(base.calls, None, base.account, base.region, base.partition, keys or KeyManagers(), None,
                         base.home_region)
        self.failure = failure

    def at(self, region):
        return DeadScope(Scope(self.calls, None, self.account, region, self.partition, self.keys, None,
                               self.home_region), self.failure, self.keys)

    def call(self, service, op, expect=(), **params):
        return self.failure

    def pages(self, service, op, key, **params):
        return [], self.failure


def collect(args: AuditOptions, run: Run, profile=None) -> list[Resource]:
    """``profile``: the run's (its controls decide which per-resource reads are needed: needs.py);
    None: every read is made."""
    args = AuditOptions.of(args)   # typed options (a namespace from an older caller is converted)
    regions_opt, only, skip = checked(args)
    calls = new_calls(args)
    status = Status(getattr(args, "quiet", False))   # what is happening, on a terminal, until the units start
    try:
        accounts, home, partition = _start(args, calls, status, regions_opt, only, skip, run)
    finally:
        status.close()

    resources = _run_units(args, calls, accounts, partition, home, ALL if profile is None else needs_of(profile))
    _record(run, calls, accounts)
    run.aws_calls = calls   # operations made and HTTP attempts, for tests and the benchmark
    return resources


def checked(args: AuditOptions) -> tuple[list[str], list[str], list[str]]:
    """The regions and account filters given, checked before any credential is looked at."""
    regions_opt = acc.check_regions(acc.parse_list(getattr(args, "regions", None)))
    only = acc.check_accounts(acc.parse_list(getattr(args, "accounts", None)), "--accounts")
    skip = acc.check_accounts(acc.parse_list(getattr(args, "exclude_accounts", None)), "--exclude-accounts")
    if (only or skip) and not getattr(args, "org_role", None):
        raise InputError("--accounts / --exclude-accounts choose accounts of an organization: give --org-role too")
    if getattr(args, "external_id", None) and not (args.role_arn or args.org_role):
        raise InputError("--external-id goes with --role-arn or --org-role")
    return regions_opt, only, skip


def new_calls(args: AuditOptions) -> Calls:
    return Calls(concurrency=args.concurrency, max_attempts=args.max_attempts, connect_timeout=args.timeout,
                 read_timeout=args.timeout)


def _start(args, calls, status, regions_opt, only, skip, run):
    """Credentials, caller, accounts and their regions: everything before the first collector."""
    session, home, partition, current = identity(args, calls, status)
    accounts = _accounts(args, calls, session, home, partition, current, only, skip, status)
    first = True
    for a in accounts:
        first = account_regions(calls, a, home, partition, regions_opt, run, status, first)
    return accounts, home, partition


def identity(args: AuditOptions, calls: Calls, status) -> tuple:
    """The credentials (the standard chain, then --role-arn): (session, home region, partition, account)."""
    profile = getattr(args, "aws_profile", None)
    status.say(f"looking for AWS credentials ({f'profile {profile}' if profile else 'the default chain'}) ...")
    session = acc.base_session(profile)
    source = describe_source(session, profile)
    home = acc.home_region(session)
    ident = acc.caller(calls, session, home, source, status)
    partition = ident["Arn"].split(":")[1]
    current = ident["Account"]
    if args.role_arn:
        status.say(f"assuming {args.role_arn} ...")
        assumed = acc.assume(calls, session, home, args.role_arn, args.external_id, current)
        if isinstance(assumed, Failure):
            raise ScanError(f"could not assume {args.role_arn}: {assumed.error}")
        session = assumed
        current = acc.caller(calls, session, home, f"assumed role {args.role_arn}", status)["Account"]
    return session, home, partition, current


def account_regions(calls: Calls, a: acc.Account, home: str, partition: str, regions_opt: list[str], run: Run,
                    status, first: bool) -> bool:
    """Set the regions an account is audited in (listed, unless --regions); False once EC2 was called."""
    if a.session is not None and not regions_opt:
        status.say(f"listing the enabled regions of account {a.id} ...")
        # the first listing is the first call to EC2: bounded, so an endpoint that never answers
        # ends the audit in seconds; any other failure is read again with the audit's retries
        got = startup.first_listing(calls, a, home, partition) if first else None
        first = False
        if got is None:
            got = acc.enabled_regions(calls, a.session, home, a.id, partition)
        if isinstance(got, Failure):
            # the account's regions are not known: audit the home region, and let placeholders of
            # every regional type stand for the regions that could not be listed (unknown, not absent)
            a.regions = [home]
            a.regions_failure = got
            run.add_coverage("regions-unknown", f"{got.message}; only {home} was audited, the account's "
                             "other regions are unknown", account=a.id, region=home, operation=got.api,
                             error=got.error)
        else:
            a.regions = got
    else:
        a.regions = list(regions_opt) or ["*"]
    return first


def members(args: AuditOptions, calls: Calls, session, home: str, current: str, only: list[str], skip: list[str],
            status) -> list[dict]:
    """The accounts to audit, as listed (Id, Name): the Organization's active ones (--org-role, filtered)
    or the credentials' own."""
    if not args.org_role:
        return [{"Id": current, "Name": ""}]
    status.say("listing the accounts of the AWS Organization ...")
    listed = acc.org_accounts(calls, session, home, current)
    out = [item for item in listed if item.get("Status", "ACTIVE") == "ACTIVE"
           and not (only and item["Id"] not in only) and item["Id"] not in skip]
    missing = [a for a in only if a not in {x["Id"] for x in listed}]
    if missing:
        raise InputError(f"--accounts: {', '.join(missing)} not in the organization")
    return out


def enter(args: AuditOptions, calls: Calls, session, home: str, partition: str, current: str, item: dict
          ) -> acc.Account:
    """One listed account, entered: the credentials' own, or through --org-role (a Failure if refused)."""
    aid = item["Id"]
    if aid == current:
        return acc.Account(aid, session, name=item.get("Name", ""))
    if not args.org_role:
        raise ScanError(f"these credentials are for account {current}, not {aid}")
    role = f"arn:{partition}:iam::{aid}:role/{args.org_role}"
    s = acc.assume(calls, session, home, role, args.external_id, aid)
    if isinstance(s, Failure):
        return acc.Account(aid, None, s, name=item.get("Name", ""))
    return acc.Account(aid, s, name=item.get("Name", ""))


def _accounts(args, calls, session, home, partition, current, only, skip, status) -> list[acc.Account]:
    listed = members(args, calls, session, home, current, only, skip, status)
    return [enter(args, calls, session, home, partition, current, item) for item in listed]


def _run_units(args, calls: Calls, accounts: list[acc.Account], partition: str, home: str,
               needs: Needs = ALL) -> list[Resource]:
    """``needs``: the reads the run's controls need (a call none of them needs is not made)."""
    fanout = ThreadPoolExecutor(max_workers=calls.concurrency, thread_name_prefix="specguard-aws-call")
    units = []   # (account, region label, name, thunk)
    for a in accounts:
        keys = KeyManagers()
        base = Scope(calls, a.session, a.id, "global", partition, keys, fanout, home, needs=needs)
        # None: which regions are enabled is not known, so a bucket is read in whatever region it is in
        regions = None if a.regions_failure is not None else set(a.regions)
        for name, fn in GLOBAL:
            units.append((a, "global", name, _unit(base, a, lambda s, fn=fn, regions=regions: fn(s, regions))))
        for region in a.regions:
            for name, fn in REGIONAL:
                units.append((a, region, name, _unit(base.at(region), a, fn)))
        if a.regions_failure is not None:
            for name, fn in REGIONAL:
                units.append((a, "*", name, _dead_unit(base.at("*"), a.regions_failure, fn)))
    progress = _Progress(args, accounts, units)
    out: list[Resource] = []
    try:
        # a unit spends most of its life waiting for its fan-out; with only `concurrency` unit threads,
        # the units queued behind them would not even list until those finish.  The semaphore of
        # Calls, not this pool, bounds the calls in flight.
        unit_threads = max(1, min(len(units), 4 * calls.concurrency))
        with ThreadPoolExecutor(max_workers=unit_threads, thread_name_prefix="specguard-aws-unit") as pool:
            futures = {pool.submit(thunk): (a, region, name) for a, region, name, thunk in units}
            for fut in as_completed(futures):
                out += fut.result()
                progress.done(*futures[fut])
    finally:
        progress.close()
        fanout.shutdown(wait=True)
    out.sort(key=lambda r: (r.context.get("account", ""), r.context.get("region", ""), r.type, r.address))
    return out


def _unit(scope: Scope, account: acc.Account, fn: Callable[[Scope], list[Resource]]):
    def run() -> list[Resource]:
        if account.failure is not None:
            return fn(DeadScope(scope, account.failure))
        try:
            return fn(scope)
        except Exception as e:  # a collector bug must not end the audit, nor pass anything
            f = Failure(f"specguard:{getattr(fn, '__name__', 'collector')}", scope.region, scope.account,
                        f"internal error {e.__class__.__name__}", redact(e)[:200])
            with scope.calls._lock:  # noqa: SLF001 - the failure log is the guard's
                scope.calls.failures.append(f)
            try:
                return fn(DeadScope(scope, f))   # its placeholders: the scope reads as unknown
            except Exception:
                return []   # the coverage entry above still says what was not read

    return run


def _dead_unit(scope: Scope, failure: Failure, fn: Callable[[Scope], list[Resource]]):
    """The placeholders of a collector for a scope that could not be listed at all."""
    return lambda: fn(DeadScope(scope, failure))


def _record(run: Run, calls: Calls, accounts: list[acc.Account]) -> None:
    for a in accounts:
        run.add_scope("accounts", a.id)
        for r in a.regions:
            if r != "*":
                run.add_scope("regions", r)
        src = {"kind": "aws", "path": f"account {a.id}", "account": a.id, "regions": list(a.regions)}
        if a.failure is not None:
            src["error"] = a.failure.message
        run.sources.append(src)
    for a in accounts:
        if a.failure is not None:
            run.add_coverage("account-unreachable", f"{a.failure.message}: nothing of account {a.id} could be read",
                             account=a.id, operation=a.failure.api, error=a.failure.error)
    # one entry per operation, scope and error; "calls" says how many calls (resources) it cost
    counts = Counter((f.account, f.region, f.api, f.error) for f in calls.failures)
    first = {}
    for f in calls.failures:
        first.setdefault((f.account, f.region, f.api, f.error), f)
    for key in sorted(counts):
        f = first[key]
        if f.api == "sts:AssumeRole" and any(a.failure == f for a in accounts):
            continue
        service, _, op = f.api.partition(":")
        message = f.message
        if f.api == tagging.API:   # nothing was left unread: say so, and what it cost
            message += "; tags were read with each service's own tag call instead"
        run.add_coverage("api-error", message, service=service, operation=op, region=f.region,
                         account=f.account, error=f.error, calls=counts[key])


class _Progress:
    """Accounts, regions and services done, for a person at a terminal (stderr), never otherwise."""

    def __init__(self, args, accounts: list[acc.Account], units: list):
        self.bar = None
        if getattr(args, "quiet", False) or not sys.stderr.isatty() or not units:
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
        self.left: dict = {}
        for a, region, _, _ in units:
            self.left.setdefault(("account", a.id), 0)
            self.left[("account", a.id)] += 1
            if region != "global":
                self.left.setdefault(("region", a.id, region), 0)
                self.left[("region", a.id, region)] += 1
        self.lock = threading.Lock()
        self.bar = Progress(TextColumn("{task.description:<9}"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), transient=True, console=_stderr_console())
        self.t_acc = self.bar.add_task("accounts", total=len(accounts))
        self.t_reg = self.bar.add_task("regions", total=sum(1 for k in self.left if k[0] == "region"))
        self.t_svc = self.bar.add_task("services", total=len(units))
        self.bar.start()

    def done(self, account, region, name):
        if self.bar is None:
            return
        with self.lock:
            self.bar.advance(self.t_svc)
            if region != "global":
                k = ("region", account.id, region)
                self.left[k] -= 1
                if self.left[k] == 0:
                    self.bar.advance(self.t_reg)
            k = ("account", account.id)
            self.left[k] -= 1
            if self.left[k] == 0:
                self.bar.advance(self.t_acc)

    def close(self):
        if self.bar is not None:
            self.bar.stop()


def _stderr_console():
    from rich.console import Console
    return Console(stderr=True)
