"""Which provider versions a configuration admits, and the provider defaults that depend on them.

Terraform installs one version of each provider for a whole configuration: the newest release that
meets every ``required_providers`` constraint of the root module and of every module it calls (and
the deprecated ``version`` argument of ``provider`` blocks), or exactly the version that
``.terraform.lock.hcl`` selected.  A plan records the merged constraints in
``configuration.provider_config.*.version_constraint``.

Some defaults changed between major provider versions (azurerm 3.0 raised every ``min_tls_version``
default from TLS 1.0 to TLS 1.2).  A mapper that assumes the default of an attribute the
configuration leaves out asks ``assumed()``: the default holds only when every admitted version has
that same default; otherwise the value is Unknown, and the reason says which versions differ and
how to settle it.

Constraint syntax is Terraform's (``=``, ``!=``, ``>``, ``>=``, ``<``, ``<=``, ``~>``, comma for
"and"), read by a small parser here: PEP 440 specifiers (``packaging``) have ``~=`` but no ``~>``,
and Terraform's ``~> 1.2`` (>= 1.2.0, < 2.0.0) and ``~> 1.2.0`` (>= 1.2.0, < 1.3.0) follow the
number of parts written, which ``~=`` does not.  A set of versions is a sorted list of disjoint
intervals, so "wholly inside" is an interval computation, not a guess over sample versions.
"""
from __future__ import annotations

import json
import os
import re
from typing import Any, Iterable

from ...record import FrozenRecord, Record
from ...values import Origin, Tri, Unknown, Value, holds_unknown, plain, tri, unknown_tri

# ----------------------------------------------------------------------------- versions
# A version key sorts like Terraform's versions: numbers, then a release after its prereleases.
Key = tuple

_VERSION = re.compile(r"^(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")


class ConstraintError(ValueError):
    pass


def _parts(text: str) -> tuple[int, tuple[int, int, int], str]:
    """(how many numbers were written, (major, minor, patch), prerelease)."""
    m = _VERSION.match(text.strip())
    if not m:
        raise ConstraintError(f"{text.strip()!r} is not a version")
    nums = [g for g in m.group(1, 2, 3) if g is not None]
    padded = [int(n) for n in nums] + [0] * (3 - len(nums))
    return len(nums), (padded[0], padded[1], padded[2]), m.group(4) or ""


def version_key(text: str) -> Key:
    _n, (a, b, c), pre = _parts(text)
    return _key(a, b, c, pre)


def _key(a: int, b: int, c: int, pre: str = "") -> Key:
    return (a, b, c, 0 if pre else 1, pre)


# ----------------------------------------------------------------------------- version sets
class Interval(FrozenRecord):
    """A range of versions, each end open, closed or absent.  (Records, not dataclasses: scanner/record.py.)"""

    __slots__ = ("lo", "lo_incl", "hi", "hi_incl")

    def __init__(self, lo: Key | None, lo_incl: bool, hi: Key | None, hi_incl: bool):
        setattr_ = object.__setattr__
        setattr_(self, "lo", lo)             # None: no lower bound
        setattr_(self, "lo_incl", lo_incl)
        setattr_(self, "hi", hi)             # None: no upper bound
        setattr_(self, "hi_incl", hi_incl)

    def empty(self) -> bool:
        if self.lo is None or self.hi is None:
            return False
        return self.lo > self.hi or (self.lo == self.hi and not (self.lo_incl and self.hi_incl))


ALL = (Interval(None, False, None, False),)


def _lower_max(a: Interval, b: Interval) -> tuple[Key | None, bool]:
    if a.lo is None:
        return b.lo, b.lo_incl
    if b.lo is None or a.lo > b.lo:
        return a.lo, a.lo_incl
    if b.lo > a.lo:
        return b.lo, b.lo_incl
    return a.lo, a.lo_incl and b.lo_incl


def _upper_min(a: Interval, b: Interval) -> tuple[Key | None, bool]:
    if a.hi is None:
        return b.hi, b.hi_incl
    if b.hi is None or a.hi < b.hi:
        return a.hi, a.hi_incl
    if b.hi < a.hi:
        return b.hi, b.hi_incl
    return a.hi, a.hi_incl and b.hi_incl


def intersect(a: Iterable[Interval], b: Iterable[Interval]) -> tuple[Interval, ...]:
    out = []
    for x in a:
        for y in b:
            lo, li = _lower_max(x, y)
            hi, hiu = _upper_min(x, y)
            iv = Interval(lo, li, hi, hiu)
            if not iv.empty():
                out.append(iv)
    return tuple(sorted(out, key=lambda i: (i.lo is not None, i.lo or (), not i.lo_incl)))


def complement(a: Iterable[Interval]) -> tuple[Interval, ...]:
    """The versions not in ``a`` (``a`` sorted and disjoint, as ``intersect`` returns it)."""
    out = []
    lo, lo_incl = None, False            # where the next gap starts (None: from the lowest version)
    for iv in a:
        if iv.lo is not None:
            gap = Interval(lo, lo_incl, iv.lo, not iv.lo_incl)
            if not gap.empty():
                out.append(gap)
        if iv.hi is None:
            return tuple(out)
        lo, lo_incl = iv.hi, not iv.hi_incl
    out.append(Interval(lo, lo_incl, None, False))
    return tuple(out)


def is_empty(a: Iterable[Interval]) -> bool:
    return not any(not iv.empty() for iv in a)


def is_subset(a: Iterable[Interval], b: Iterable[Interval]) -> bool:
    return is_empty(intersect(a, complement(b)))


def contains(a: Iterable[Interval], version: str) -> bool:
    k = version_key(version)
    return not is_empty(intersect(a, (Interval(k, True, k, True),)))


# ----------------------------------------------------------------------------- constraints
_CLAUSE = re.compile(r"^(=|!=|>=|<=|>|<|~>)?\s*(\S+)$")


def parse_constraint(text: str) -> tuple[Interval, ...]:
    """The versions a Terraform version constraint admits ("~> 3.80", ">= 2.0, != 2.5.0, < 4.0").

    Raises ConstraintError for what Terraform would refuse (an empty clause, a "v" prefix,
    a wildcard, more than three numbers).
    """
    if not isinstance(text, str) or not text.strip():
        raise ConstraintError("an empty version constraint")
    result: tuple[Interval, ...] = ALL
    for clause in text.split(","):
        clause = clause.strip()
        m = _CLAUSE.match(clause)
        if not m:
            raise ConstraintError(f"{clause!r} is not a version constraint")
        result = intersect(result, _clause(m.group(1) or "=", m.group(2)))
    return result


def _clause(op: str, ver: str) -> tuple[Interval, ...]:
    count, (a, b, c), pre = _parts(ver)
    k = _key(a, b, c, pre)
    if op == "=":
        return (Interval(k, True, k, True),)
    if op == "!=":
        return (Interval(None, False, k, False), Interval(k, False, None, False))
    if op == ">":
        return (Interval(k, False, None, False),)
    if op == ">=":
        return (Interval(k, True, None, False),)
    if op == "<":
        return (Interval(None, False, k, False),)
    if op == "<=":
        return (Interval(None, False, k, True),)
    # "~>": only the rightmost number written may grow; "~> 1" and "~> 1.2" both stay below 2.0.0
    upper = _key(a, b + 1, 0) if count == 3 else _key(a + 1, 0, 0)
    return (Interval(k, True, upper, False),)


# ----------------------------------------------------------------------------- what a configuration admits
class Admitted(Record):
    """The versions of one provider a configuration admits, and what says so."""

    __slots__ = ("provider", "versions", "constraints", "locked", "unreadable")

    def __init__(self, provider: str, versions: tuple[Interval, ...] = ALL, constraints: list[str] | None = None,
                 locked: str | None = None, unreadable: list[str] | None = None):
        self.provider = provider
        self.versions = versions
        self.constraints = [] if constraints is None else constraints   # as written, deduplicated
        self.locked = locked                                              # the lock file's selected version
        self.unreadable = [] if unreadable is None else unreadable      # constraints this parser could not read

    def describe(self) -> str:
        if self.locked:
            return f".terraform.lock.hcl selects {self.provider} {self.locked}"
        if self.constraints:
            return f"required_providers admits {', '.join(self.constraints)}"
        return ""


class ProviderVersions:
    """Constraints and locked versions gathered from a configuration, by provider type name."""

    def __init__(self) -> None:
        self._constraints: dict[str, list[str]] = {}
        self._locked: dict[str, str] = {}

    def constrain(self, source_or_name: str, constraint: Any) -> None:
        if isinstance(constraint, str) and constraint.strip():
            seen = self._constraints.setdefault(provider_type(source_or_name), [])
            if constraint.strip() not in seen:
                seen.append(constraint.strip())

    def lock(self, source_or_name: str, version: Any) -> None:
        if isinstance(version, str) and version.strip():
            self._locked[provider_type(source_or_name)] = version.strip()

    def admitted(self, provider: str) -> Admitted:
        out = Admitted(provider)
        out.constraints = list(self._constraints.get(provider, []))
        locked = self._locked.get(provider)
        if locked:
            try:
                k = version_key(locked)
                out.locked, out.versions = locked, (Interval(k, True, k, True),)
                return out
            except ConstraintError:
                out.unreadable.append(locked)
        versions: tuple[Interval, ...] = ALL
        for c in out.constraints:
            try:
                versions = intersect(versions, parse_constraint(c))
            except ConstraintError:
                out.unreadable.append(c)
        out.constraints = [c for c in out.constraints if c not in out.unreadable]
        out.versions = versions
        return out


def provider_type(source_or_name: str) -> str:
    """"registry.terraform.io/hashicorp/azurerm", "hashicorp/azurerm" or "azurerm" -> "azurerm"."""
    return source_or_name.strip().rstrip("/").split("/")[-1].lower()


LOCK_FILE = ".terraform.lock.hcl"


def read_lock_file(directory: str, into: ProviderVersions) -> None:
    """The versions ``terraform init`` selected (``.terraform.lock.hcl`` in the root module)."""
    path = os.path.join(directory, LOCK_FILE)
    if not os.path.isfile(path):
        return
    from .hcl_files import parse_hcl_file
    from .hcl_parse import Block
    for item in parse_hcl_file(path, path).body:
        if isinstance(item, Block) and item.type == "provider" and item.labels:
            into.lock(item.labels[0], _literal(item.attrs().get("version")))


def read_module_requirements(src, into: ProviderVersions) -> None:
    """``required_providers`` (and provider blocks' ``version``) of one parsed module directory."""
    for block, _frel in getattr(src, "providers", []):
        into.constrain(block.labels[0], _literal(block.attrs().get("version")))
    for path in src.files:
        if path.endswith(".tf.json"):
            _json_requirements(path, into)
            continue
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
        except (OSError, UnicodeDecodeError):
            continue   # the loader read it already; a file gone since then adds no constraint
        if "required_providers" not in text:
            continue   # most files have none: parse again only those that do
        from .hcl_files import parse_hcl_file
        from .hcl_parse import Block
        for item in parse_hcl_file(path, path).body:
            if isinstance(item, Block) and item.type == "terraform":
                for rp in item.blocks("required_providers"):
                    for name, attr in rp.attrs().items():
                        _requirement(name, _literal(attr), into)


def _requirement(name: str, spec: Any, into: ProviderVersions) -> None:
    if isinstance(spec, str):            # the pre-0.13 shorthand: azurerm = "~> 2.0"
        into.constrain(name, spec)
    elif isinstance(spec, dict):
        source = spec.get("source")
        into.constrain(source if isinstance(source, str) and source else name, spec.get("version"))


def _json_requirements(path: str, into: ProviderVersions) -> None:
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except (OSError, UnicodeDecodeError, ValueError):
        return
    blocks = doc.get("terraform") if isinstance(doc, dict) else None
    for tb in blocks if isinstance(blocks, list) else [blocks]:
        rps = tb.get("required_providers") if isinstance(tb, dict) else None
        for rp in rps if isinstance(rps, list) else [rps]:
            for name, spec in (rp.items() if isinstance(rp, dict) else ()):
                _requirement(name, spec, into)


def _literal(attr) -> Any:
    """A constant attribute's value (None when absent or not a constant)."""
    if attr is None:
        return None
    from .hcl_eval import EvalError, Scope, evaluate

    def no_refs(name):
        raise EvalError(f"{name} is not a constant")
    try:
        v = evaluate(attr.expr, Scope(no_refs))
    except EvalError:
        return None
    return None if isinstance(v, Unknown) else v


def from_source(modules: Iterable, root_dir: str) -> ProviderVersions:
    """What a .tf tree admits: every loaded module's requirements, and the root's lock file."""
    pv = ProviderVersions()
    for src in modules:
        read_module_requirements(src, pv)
    read_lock_file(root_dir, pv)
    return pv


def from_plan(config: dict, lock_dir: str | None) -> ProviderVersions:
    """What a plan admits: ``configuration.provider_config`` (every module's entries), and the lock
    file of the configuration's directory when one is known."""
    pv = ProviderVersions()
    for key, entry in ((config or {}).get("provider_config") or {}).items():
        if isinstance(entry, dict):
            name = entry.get("full_name") or entry.get("name") or key.split(":")[-1].split(".")[0]
            pv.constrain(str(name), entry.get("version_constraint"))
    if lock_dir:
        read_lock_file(lock_dir, pv)
    return pv


# ----------------------------------------------------------------------------- the table of defaults
class NotEstablished:
    """An era whose default specguard does not take as shown (the reason says why)."""

    def __init__(self, why: str):
        self.why = why


class Era(FrozenRecord):
    """The provider versions one default holds for, and that default."""

    __slots__ = ("versions", "label", "value", "shown")

    def __init__(self, versions: str, label: str, value: Any, shown: str = ""):
        setattr_ = object.__setattr__
        setattr_(self, "versions", versions)   # Terraform constraint syntax: the versions it holds for ("": all)
        setattr_(self, "label", label)         # how evidence names them: ">= 3.0", "before 3.0"
        setattr_(self, "value", value)         # the attribute's value when left out (or NotEstablished)
        setattr_(self, "shown", shown)         # how evidence shows the value, when not the value itself

    def version_set(self) -> tuple[Interval, ...]:
        return parse_constraint(self.versions) if self.versions else ALL

    def show(self) -> str:
        return self.shown or (self.value if isinstance(self.value, str) else json.dumps(self.value))


class Default(FrozenRecord):
    """An attribute's default as the provider's versions changed it (eras oldest first)."""

    __slots__ = ("provider", "eras", "source")

    def __init__(self, provider: str, eras: tuple[Era, ...], source: str):
        setattr_ = object.__setattr__
        setattr_(self, "provider", provider)
        setattr_(self, "eras", eras)       # empty: the default never changed between provider versions
        setattr_(self, "source", source)   # where this was read


# Required from 3.0 (no default a valid configuration can rely on); before 3.0 exactly one of it and
# the deprecated ssl_enforcement ("Enabled"/"Disabled", read by the mappers) was to be set.
_SSL_REQUIRED = (Era("", "any version", NotEstablished(
    "azurerm requires ssl_enforcement_enabled (from 3.0; before, it or the deprecated ssl_enforcement)")),)

_TLS12_SINCE_3 = "azurerm 3.0.0 changelog: \"the min_tls_version property now defaults to 1.2\" (#10276)"

# (resource type, attribute) -> Default.  Every default a mapper assumes is listed, also those that
# never changed (no eras), so that tests/test_provider_versions.py can check nothing is left out.
DEFAULTS: dict[tuple[str, str], Default] = {
    # ---- azurerm: changed in 3.0.0 (changelog "3.0.0 (March 24, 2022)", upgrade guide "Resources with
    # a min_tls_version field: the default minimum TLS version will be 1.2")
    ("azurerm_storage_account", "min_tls_version"): Default("azurerm", (
        Era("< 3.0.0", "before 3.0", "TLS1_0"),
        Era(">= 3.0.0", ">= 3.0", "TLS1_2"),
    ), _TLS12_SINCE_3),
    ("azurerm_mssql_server", "minimum_tls_version"): Default("azurerm", (
        Era("< 3.0.0", "before 3.0", "1.0", "no minimum (Azure SQL accepts TLS 1.0)"),
        Era(">= 3.0.0", ">= 3.0", "1.2"),
    ), "azurerm 3.0.0 changelog: azurerm_mssql_server minimum_tls_version now defaults to 1.2"),
    ("azurerm_postgresql_server", "ssl_minimal_tls_version_enforced"): Default("azurerm", (
        Era("< 3.0.0", "before 3.0", "TLSEnforcementDisabled"),
        Era(">= 3.0.0", ">= 3.0", "TLS1_2"),
    ), "azurerm 2.x docs: defaults to TLSEnforcementDisabled; 3.0.0 changelog: now defaults to 1.2"),
    ("azurerm_mysql_server", "ssl_minimal_tls_version_enforced"): Default("azurerm", (
        Era("< 3.0.0", "before 3.0", "TLSEnforcementDisabled"),
        Era(">= 3.0.0", ">= 3.0", "TLS1_2"),
    ), "azurerm 3.0.0 changelog: azurerm_mysql_server ssl_minimal_tls_version_enforced now defaults to 1.2"),
    # MariaDB got the setting only in 2023 (PR #20782, merged 2023-03-07; 3.56.0 is documented with the
    # TLS1_2 default): before it, Azure enforced no minimum.  The first release with it is not pinned down.
    ("azurerm_mariadb_server", "ssl_minimal_tls_version_enforced"): Default("azurerm", (
        Era("< 3.47.0", "before 3.47", "TLSEnforcementDisabled", "no setting (Azure enforces no minimum)"),
        Era(">= 3.47.0, < 3.56.0", "3.47 to 3.55", NotEstablished(
            "azurerm added ssl_minimal_tls_version_enforced to azurerm_mariadb_server in a release between "
            "3.47 and 3.56")),
        Era(">= 3.56.0", ">= 3.56", "TLS1_2"),
    ), "terraform-provider-azurerm #18679, #20782; azurerm 3.56.0 docs"),
    ("azurerm_redis_cache", "minimum_tls_version"): Default("azurerm", (
        Era("< 3.0.0", "before 3.0", "1.0"),
        Era(">= 3.0.0", ">= 3.0", "1.2"),
    ), "azurerm 3.0.0 changelog: azurerm_redis_cache minimum_tls_version now defaults to 1.2"),
    # ---- azurerm: changed in 2.0.0 ("updating the default value for enable_https_traffic_only from
    # false to true", #5808); https_traffic_only_enabled (3.x, 4.x) kept true
    ("azurerm_storage_account", "enable_https_traffic_only"): Default("azurerm", (
        Era("< 2.0.0", "before 2.0", False),
        Era(">= 2.0.0", ">= 2.0", True),
    ), "azurerm 2.0.0 changelog (#5808)"),
    ("azurerm_storage_account", "https_traffic_only_enabled"): Default("azurerm", (
        Era("< 2.0.0", "before 2.0", False),
        Era(">= 2.0.0", ">= 2.0", True),
    ), "azurerm 2.0.0 changelog (#5808)"),
    # Required from 3.0 (no default a valid configuration can rely on); before 3.0 the deprecated
    # ssl_enforcement ("Enabled"/"Disabled") could decide instead.
    ("azurerm_postgresql_server", "ssl_enforcement_enabled"): Default("azurerm", _SSL_REQUIRED, "azurerm 3.x docs: (Required)"),
    ("azurerm_mysql_server", "ssl_enforcement_enabled"): Default("azurerm", _SSL_REQUIRED, "azurerm 3.x docs: (Required)"),
    ("azurerm_mariadb_server", "ssl_enforcement_enabled"): Default("azurerm", _SSL_REQUIRED, "azurerm 3.x docs: (Required)"),
    # ---- aws: SSE-SQS.  AWS turned SSE-SQS on for new queues in October 2022; the provider's schema
    # default false sent nothing and drifted back to false until sqs_managed_sse_enabled became
    # Optional+Computed and configured values were always sent (PRs #26843, #27335, released in
    # 4.36.0; the 3.x backports #27313/#27338 went into a 3.x release specguard does not pin down).
    ("aws_sqs_queue", "sqs_managed_sse_enabled"): Default("aws", (
        Era("< 4.36.0", "before 4.36", NotEstablished(
            "the provider's schema default was false until 4.36 (3.x releases backported the change)")),
        Era(">= 4.36.0", ">= 4.36", True),
    ), "terraform-provider-aws #22197, #26843, #27335"),
    # ---- never changed between provider versions (the default is the cloud API's or the schema's).
    # Checked against the azurerm 2.0/3.0/4.0 changelogs and upgrade guides (4.0 changed no default of
    # these types: it renamed enable_https_traffic_only / enable_non_ssl_port and removed the single
    # servers) and the aws 4.0/5.0 upgrade guides (renames in aws_elasticache_replication_group and the
    # S3 split resources, no default change for these attributes).
    ("azurerm_storage_account", "customer_managed_key"): Default("azurerm", (), "Azure: Microsoft-managed keys"),
    ("azurerm_key_vault", "purge_protection_enabled"): Default("azurerm", (), "schema default false since 2.0"),
    ("azurerm_redis_cache", "enable_non_ssl_port"): Default("azurerm", (), "schema default false"),
    ("azurerm_redis_cache", "non_ssl_port_enabled"): Default("azurerm", (), "schema default false"),
    ("azurerm_redis_cache", "zones"): Default("azurerm", (), "no zones unless listed"),
    ("azurerm_postgresql_server", "azurerm_postgresql_server_key"): Default("azurerm", (), "service-managed key"),
    ("azurerm_mysql_server", "azurerm_mysql_server_key"): Default("azurerm", (), "service-managed key"),
    **{(t, a): Default("azurerm", (), note) for t in (
        "azurerm_postgresql_server", "azurerm_mysql_server", "azurerm_mariadb_server",
        "azurerm_postgresql_flexible_server", "azurerm_mysql_flexible_server")
       for a, note in (("backup_retention_days", "Azure default 7 days"),
                       ("geo_redundant_backup_enabled", "schema default false"))},
    **{(t, a): Default("azurerm", (), note) for t in (
        "azurerm_postgresql_flexible_server", "azurerm_mysql_flexible_server")
       for a, note in (("customer_managed_key", "service-managed key"),
                       ("high_availability", "no high_availability block: disabled"))},
    ("azurerm_mssql_server", "transparent_data_encryption"): Default("azurerm", (), "service-managed key"),
    ("azurerm_sql_server", "transparent_data_encryption"): Default("azurerm", (), "service-managed key"),
    ("azurerm_sql_server", "minimum_tls_version"): Default("azurerm", (), "no such setting: not assumed"),
    ("azurerm_mssql_database", "zone_redundant"): Default("azurerm", (), "schema default false"),
    ("azurerm_sql_database", "zone_redundant"): Default("azurerm", (), "schema default false"),
    ("azurerm_mssql_database", "short_term_retention_policy"): Default("azurerm", (), "Azure default 7 days"),
    # geo-redundant by default in every version (spelt "GRS" in 2.x, "Geo" from 3.0)
    ("azurerm_mssql_database", "storage_account_type"): Default("azurerm", (), "geo-redundant backups by default"),
    # map_network.py: the frontdoor schema default TLS12 (3.x and 4.x); the ALB listener's HTTP; for an
    # HTTPS listener without ssl_policy and an application gateway without ssl_policy the mappers take the
    # oldest default policy (TLS 1.0), which can only fail, never pass, whatever the version.
    ("azurerm_cdn_frontdoor_custom_domain", "tls.minimum_tls_version"): Default("azurerm", (), "schema default TLS12"),
    ("aws_lb_listener", "protocol"): Default("aws", (), "HTTP, the ALB default"),
    ("aws_alb_listener", "protocol"): Default("aws", (), "HTTP, the ALB default"),
    ("aws_lb_listener", "ssl_policy"): Default("aws", (), "ELBSecurityPolicy-2016-08 or later: TLS 1.0 assumed"),
    ("aws_alb_listener", "ssl_policy"): Default("aws", (), "ELBSecurityPolicy-2016-08 or later: TLS 1.0 assumed"),
    ("azurerm_application_gateway", "ssl_policy"): Default("azurerm", (), "AppGwSslPolicy20150501 assumed (TLS 1.0)"),
    ("aws_db_instance", "backup_retention_period"): Default("aws", (), "RDS API default 1 day"),
    ("aws_db_instance", "kms_key_id"): Default("aws", (), "no key written: the AWS-managed aws/rds key"),
    ("aws_rds_cluster", "kms_key_id"): Default("aws", (), "no key written: the AWS-managed aws/rds key"),
    ("aws_rds_cluster", "backup_retention_period"): Default("aws", (), "RDS API default 1 day"),
    ("aws_db_instance", "multi_az"): Default("aws", (), "single-AZ unless set"),
    ("aws_s3_bucket", "versioning"): Default("aws", (), "S3: new buckets are unversioned"),
    ("aws_ebs_volume", "encrypted"): Default("aws", (), "the account's EBS encryption-by-default decides"),
    ("aws_efs_file_system", "encrypted"): Default("aws", (), "EFS API default unencrypted"),
    ("aws_elasticache_replication_group", "at_rest_encryption_enabled"): Default(
        "aws", (), "false for redis (true for valkey: assuming false only ever fails)"),
    ("aws_elasticache_replication_group", "transit_encryption_enabled"): Default("aws", (), "default false"),
    ("aws_elasticache_replication_group", "automatic_failover_enabled"): Default("aws", (), "default false"),
    ("aws_elasticache_replication_group", "multi_az_enabled"): Default("aws", (), "default false"),
    ("aws_elasticache_replication_group", "snapshot_retention_limit"): Default("aws", (), "default 0"),
    ("aws_elasticache_replication_group", "num_cache_clusters"): Default("aws", (), "one node"),
    ("aws_elasticache_replication_group", "replicas_per_node_group"): Default("aws", (), "no replicas"),
    ("aws_kms_key", "enable_key_rotation"): Default("aws", (), "default false"),
    ("aws_kms_key", "customer_master_key_spec"): Default("aws", (), "SYMMETRIC_DEFAULT"),
    ("aws_kinesis_stream", "encryption_type"): Default("aws", (), "default NONE"),
    ("aws_secretsmanager_secret", "kms_key_id"): Default("aws", (), "the AWS-managed aws/secretsmanager key"),
    ("aws_sns_topic", "kms_master_key_id"): Default("aws", (), "no KMS key"),
    ("aws_sqs_queue", "kms_master_key_id"): Default("aws", (), "no KMS key"),
    ("aws_dynamodb_table", "server_side_encryption"): Default("aws", (), "AWS-owned key"),
    ("aws_dynamodb_table", "point_in_time_recovery"): Default("aws", (), "PITR off"),
    # Lambda's own default (PassThrough: not traced), the same in every provider version
    ("aws_lambda_function", "tracing_config"): Default("aws", (), "PassThrough: requests are not traced"),
    # MSG-01 / SEC-02 (issue 17): schema defaults that never changed
    ("azurerm_servicebus_queue", "dead_lettering_on_message_expiration"): Default(
        "azurerm", (), "azurerm docs, servicebus_queue: defaults to false"),
    ("azurerm_servicebus_subscription", "dead_lettering_on_message_expiration"): Default(
        "azurerm", (), "azurerm docs, servicebus_subscription: defaults to false"),
    ("azurerm_key_vault_secret", "expiration_date"): Default("azurerm", (), "optional, no default: no expiry"),
}


class AnyOf(Unknown):
    """One of several defaults, as the provider version installed decides: unknown, yet a test that
    every candidate answers alike is decided (a minimum TLS of 1.0 or 1.2 is below 1.3 either way)."""

    __slots__ = ("candidates",)

    def __init__(self, reason: str, origin: Origin | None, candidates: Iterable[Any]):
        super().__init__(reason, origin)
        self.candidates = tuple(candidates)

    def test(self, predicate) -> Tri:
        if any(holds_unknown(c) for c in self.candidates):
            # a predicate would read an unknown part as a plain value (a tag set with a tag known
            # only after apply): no decision (TAG-01 judges such sets itself, unknown parts included)
            return unknown_tri(self.reason)
        try:
            answers = {bool(predicate(c)) for c in self.candidates}
        except Exception:   # a predicate meant for one shape of value: no decision from it
            return unknown_tri(self.reason)
        return tri(answers.pop()) if len(answers) == 1 else unknown_tri(self.reason)

    def map(self, fn, path=None) -> "Value":
        origin = self.origin if path is None else Origin(self.origin.source, path, self.origin.file,
                                                          self.origin.line)
        mapped = [fn(c) for c in self.candidates]
        if any(m is None for m in mapped):
            return Unknown(self.reason, origin)
        return AnyOf(self.reason, origin, mapped)

    def evidence(self) -> Any:
        return {"unknown": self.reason, "one of": [plain(c) for c in self.candidates]}

    def __repr__(self):
        return f"AnyOf({list(self.candidates)!r}: {self.reason!r} @ {self.origin.path})"




def lookup(type_: str, paths: Iterable[str]) -> tuple[str, Default] | None:
    for p in paths:
        d = DEFAULTS.get((type_, p))
        if d is not None:
            return p, d
    return None


def admitted_for(project, provider: str) -> Admitted:
    """What ``project`` admits of ``provider`` (everything, when the project cannot say)."""
    reader = getattr(project, "provider_versions", None)
    if reader is None:
        return Admitted(provider)
    return reader().admitted(provider)


def assumed(tf, path: str, value: Any, note: str, key: str | None = None) -> Value:
    """The default of an attribute ``tf`` leaves out, as evidence; Unknown when the provider
    versions admitted do not all have the same default.

    ``value``/``note`` are the mapper's own default, used as is when the table has no versions
    for ``(tf.type, key or path)``.
    """
    o = tf.origin(path)
    entry = DEFAULTS.get((tf.type, key or path))
    if entry is None or not entry.eras:
        return Value(value, Origin(o.source, f"{path} (unset: {note})", o.file, o.line))
    adm = admitted_for(tf.project, entry.provider)
    prov = entry.provider
    eras = [e for e in entry.eras if not is_empty(intersect(adm.versions, e.version_set()))]
    if not eras:
        return Unknown(f"{path} unset: the {prov} version constraints admit no version "
                       f"({adm.describe() or 'none given'})", o)
    target = _target(entry.eras, value)
    if len(eras) == 1 and not isinstance(eras[0].value, NotEstablished):
        e = eras[0]
        told = f"; {adm.describe()}" if adm.describe() else ""
        return Value(e.value, Origin(o.source, f"{path} (unset: {prov} {e.label} defaults to {e.show()}{told})",
                                     o.file, o.line))
    others = [e for e in eras if e is not target] or eras
    why = "; ".join(e.value.why if isinstance(e.value, NotEstablished) else f"{prov} {e.label} defaults to {e.show()}"
                    for e in others)
    if target is None:      # no version has a default to rely on: no pin helps
        return Unknown(f"{path} unset: {why}; set {path}", o)
    if adm.locked or adm.constraints:
        what = adm.describe()
    else:
        what = f"nothing pins the {prov} version (no required_providers version, no {LOCK_FILE})"
    if adm.unreadable:
        what += f"; specguard cannot read the constraint {', '.join(repr(u) for u in adm.unreadable)}"
    fix = (f"pin {prov} {target.label} or set {path}"
           if target is not None and not isinstance(target.value, NotEstablished) else f"set {path}")
    reason = f"{path} unset: {why} and {what}; {fix}"
    if not any(isinstance(e.value, NotEstablished) for e in eras):
        return AnyOf(reason, o, [e.value for e in eras])
    return Unknown(reason, o)


def _target(eras: Iterable[Era], value: Any) -> Era | None:
    """The era to recommend pinning: the newest with an established default (the table lists eras
    oldest first, and every change recorded here made the default safer)."""
    known = [e for e in eras if not isinstance(e.value, NotEstablished)]
    return known[-1] if known else None
