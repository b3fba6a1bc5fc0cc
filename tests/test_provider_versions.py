"""Provider defaults hold only for the provider versions a configuration admits (issue 12, class 6).

Constraint parsing is checked against Terraform's documented examples (language/expressions/
version-constraints: "~> 1.0.4 allows 1.0.5 and 1.0.10 but not 1.1.0", "~> 1.1 allows 1.2 and
1.10 but not 2.0", ">= 1.2.0, < 2.0.0"), the set arithmetic against version-by-version membership,
and the mappers end to end on .tf trees and plans.
"""
from __future__ import annotations

import itertools
import json
import random

import pytest

from conftest import write_tree
from planlib import Plan
from scanner.sources.terraform import hcl
from scanner.sources.terraform import provider_versions as pv
from scanner.sources.terraform.normalize import MAPPERS, normalize
from scanner.sources.terraform.plan import load_plan
from scanner.sources.terraform.tfmodel import TfProject, TfResource

# ----------------------------------------------------------------------------- constraint syntax
# (constraint, versions it admits, versions it refuses)
TERRAFORM_EXAMPLES = [
    ("~> 1.0.4", ["1.0.4", "1.0.5", "1.0.10"], ["1.0.3", "1.1.0", "2.0.0"]),
    ("~> 1.1", ["1.1.0", "1.2.0", "1.10.0", "1.99.99"], ["1.0.9", "2.0.0"]),
    ("~> 1", ["1.0.0", "1.9.0"], ["0.9.9", "2.0.0"]),                 # one number: like ~> 1.0
    ("~> 3.80", ["3.80.0", "3.117.1"], ["3.79.9", "4.0.0"]),
    ("~> 4.0.0", ["4.0.0", "4.0.9"], ["4.1.0"]),
    (">= 1.2.0, < 2.0.0", ["1.2.0", "1.99.0"], ["1.1.9", "2.0.0"]),
    ("1.2.0", ["1.2.0"], ["1.2.1", "1.1.9"]),                           # no operator: exactly
    ("= 1.2.0", ["1.2.0"], ["1.2.1"]),
    ("= 1.2", ["1.2.0"], ["1.2.1"]),                                   # missing numbers are zero
    ("!= 1.2.3", ["1.2.2", "1.2.4", "9.0.0"], ["1.2.3"]),
    ("> 1.2.0", ["1.2.1", "2.0.0"], ["1.2.0", "1.1.0"]),
    ("< 1.2.0", ["1.1.99", "0.1.0"], ["1.2.0", "1.3.0"]),
    ("<= 1.2.0", ["1.2.0", "1.0.0"], ["1.2.1"]),
    (">= 2.0, != 2.5.0, < 3.0", ["2.0.0", "2.4.9", "2.5.1", "2.99.0"], ["1.9.0", "2.5.0", "3.0.0"]),
    (">=3.30.0", ["3.30.0"], ["3.29.0"]),                              # no space after the operator
    ("~> 2.0, ~> 2.41", ["2.41.0", "2.99.0"], ["2.40.0", "3.0.0"]),    # comma: both at once
]


@pytest.mark.parametrize("constraint, admits, refuses", TERRAFORM_EXAMPLES)
def test_terraform_constraint_examples(constraint, admits, refuses):
    versions = pv.parse_constraint(constraint)
    for v in admits:
        assert pv.contains(versions, v), f"{constraint} should admit {v}"
    for v in refuses:
        assert not pv.contains(versions, v), f"{constraint} should refuse {v}"


@pytest.mark.parametrize("bad", ["", "  ", "v1.2.0", "~> 2.x", ">= 1.2.3.4", "=> 1.0", ">= 1.0,", "latest"])
def test_what_terraform_refuses_is_a_constraint_error(bad):
    with pytest.raises(pv.ConstraintError):
        pv.parse_constraint(bad)


GRID = [f"{a}.{b}.{c}" for a, b, c in itertools.product(range(5), range(4), range(4))]


def _random_constraint(rng: random.Random) -> str:
    clauses = []
    for _ in range(rng.randint(1, 3)):
        op = rng.choice(["", "= ", "!= ", "> ", ">= ", "< ", "<= ", "~> ", "~> "])
        nums = [str(rng.randint(0, 4)), str(rng.randint(0, 3)), str(rng.randint(0, 3))][:rng.randint(1, 3)]
        clauses.append(op + ".".join(nums))
    return ", ".join(clauses)


def test_set_arithmetic_agrees_with_membership_version_by_version():
    rng = random.Random(12)
    for _ in range(300):
        a, b = _random_constraint(rng), _random_constraint(rng)
        sa, sb = pv.parse_constraint(a), pv.parse_constraint(b)
        both, not_a = pv.intersect(sa, sb), pv.complement(sa)
        for v in GRID:
            assert pv.contains(both, v) == (pv.contains(sa, v) and pv.contains(sb, v)), (a, b, v)
            assert pv.contains(not_a, v) == (not pv.contains(sa, v)), (a, v)
        if pv.is_subset(sa, sb):
            assert all(pv.contains(sb, v) for v in GRID if pv.contains(sa, v)), (a, b)


def test_every_table_entry_partitions_the_versions():
    for (type_, attr), d in pv.DEFAULTS.items():
        if not d.eras:
            continue
        sets = [e.version_set() for e in d.eras]
        for x, y in itertools.combinations(sets, 2):
            assert pv.is_empty(pv.intersect(x, y)), (type_, attr)
        union_gaps = pv.ALL
        for s in sets:
            union_gaps = pv.intersect(union_gaps, pv.complement(s))
        assert pv.is_empty(union_gaps), f"{type_}.{attr}: some versions have no default in the table"


# ----------------------------------------------------------------------------- what a tree admits
AZ = 'terraform {{\n  required_providers {{\n    azurerm = {{ source = "hashicorp/azurerm", version = "{}" }}\n  }}\n}}\n'
STORAGE = 'resource "azurerm_storage_account" "s" {\n  name = "s"\n}\n'


def _resource(project, address):
    return next(r for r in normalize(project) if r.address == address)


def _field(tmp_path, files, field="tls_min_version", address="azurerm_storage_account.s"):
    return _resource(hcl.load_dir(str(write_tree(tmp_path, files))), address)[field]


def test_root_and_module_constraints_intersect(tmp_path):
    write_tree(tmp_path, {
        "main.tf": AZ.format(">= 2.0") + 'module "m" {\n  source = "./m"\n}\n',
        "m/versions.tf": AZ.format("~> 3.5"),
        "m/other.tf": 'provider "azurerm" {\n  version = "!= 3.6.0"\n  features {}\n}\n',
    })
    adm = hcl.load_dir(str(tmp_path)).provider_versions().admitted("azurerm")
    assert adm.constraints == [">= 2.0", "~> 3.5", "!= 3.6.0"] or sorted(adm.constraints) == sorted(
        [">= 2.0", "~> 3.5", "!= 3.6.0"])
    assert pv.contains(adm.versions, "3.80.0") and not pv.contains(adm.versions, "3.6.0")
    assert not pv.contains(adm.versions, "2.99.0") and not pv.contains(adm.versions, "4.0.0")


def test_lock_file_selection_wins_over_constraints(tmp_path):
    write_tree(tmp_path, {
        "main.tf": AZ.format(">= 2.0") + STORAGE,
        ".terraform.lock.hcl": '''
            provider "registry.terraform.io/hashicorp/azurerm" {
              version     = "3.80.0"
              constraints = ">= 2.0"
              hashes = ["h1:abc="]
            }
            ''',
    })
    v = _resource(hcl.load_dir(str(tmp_path)), "azurerm_storage_account.s")["tls_min_version"]
    assert v.known and v.value == "1.2"
    assert ".terraform.lock.hcl selects azurerm 3.80.0" in v.origin.path


def test_shorthand_and_tf_json_requirements(tmp_path):
    write_tree(tmp_path, {
        "a.tf": 'terraform {\n  required_providers {\n    azurerm = "~> 3.1"\n  }\n}\n' + STORAGE,
        "b.tf.json": json.dumps({"terraform": {"required_providers": {
            "azurerm": {"source": "hashicorp/azurerm", "version": "< 3.90"}}}}),
    })
    adm = hcl.load_dir(str(tmp_path)).provider_versions().admitted("azurerm")
    assert sorted(adm.constraints) == ["< 3.90", "~> 3.1"]
    assert pv.contains(adm.versions, "3.89.0") and not pv.contains(adm.versions, "3.90.0")


# ----------------------------------------------------------------------------- mappers: the brief's cases
def test_default_inside_the_admitted_range_is_taken_and_named(tmp_path):
    v = _field(tmp_path, {"main.tf": AZ.format("~> 3.80") + STORAGE})
    assert v.known and v.value == "1.2"
    assert v.origin.path == ("min_tls_version (unset: azurerm >= 3.0 defaults to TLS1_2; "
                             "required_providers admits ~> 3.80)")


def test_range_admitting_an_older_default_is_unknown_with_the_fix(tmp_path):
    v = _field(tmp_path, {"main.tf": AZ.format(">= 2.0") + STORAGE})
    assert not v.known
    assert v.reason == ("min_tls_version unset: azurerm before 3.0 defaults to TLS1_0 and required_providers "
                        "admits >= 2.0; pin azurerm >= 3.0 or set min_tls_version")


def test_nothing_constraining_the_version_is_unknown(tmp_path):
    v = _field(tmp_path, {"main.tf": STORAGE})
    assert not v.known
    assert "nothing pins the azurerm version" in v.reason and "pin azurerm >= 3.0 or set min_tls_version" in v.reason


def test_range_wholly_in_the_old_default_takes_the_old_default(tmp_path):
    v = _field(tmp_path, {"main.tf": AZ.format("~> 2.90") + STORAGE})
    assert v.known and v.value == "1.0"
    assert "azurerm before 3.0 defaults to TLS1_0; required_providers admits ~> 2.90" in v.origin.path


def test_written_value_needs_no_version(tmp_path):
    v = _field(tmp_path, {"main.tf": 'resource "azurerm_storage_account" "s" {\n  min_tls_version = "TLS1_2"\n}\n'})
    assert v.known and v.value == "1.2" and v.origin.path == "min_tls_version"


def test_unreadable_constraint_is_named(tmp_path):
    v = _field(tmp_path, {"main.tf": AZ.format("~> 3.x") + STORAGE})
    assert not v.known and "cannot read the constraint '~> 3.x'" in v.reason


def test_verdict_never_passes_on_an_unpinned_default(tmp_path):
    from test_hcl import findings
    write_tree(tmp_path / "pinned", {"main.tf": AZ.format("~> 3.80") + STORAGE})
    write_tree(tmp_path / "loose", {"main.tf": AZ.format(">= 2.0") + STORAGE})
    pinned = findings(hcl.load_dir(str(tmp_path / "pinned")), "TLS-03")["azurerm_storage_account.s"]
    loose = findings(hcl.load_dir(str(tmp_path / "loose")), "TLS-03")["azurerm_storage_account.s"]
    assert pinned.status == "pass"
    assert loose.status == "unknown"


def test_outcome_decided_by_every_admitted_default_is_not_unknown(tmp_path):
    """Azure SQL: no minimum before azurerm 3.0, 1.2 from 3.0: below the required 1.3 either way."""
    from test_hcl import findings
    sql = 'resource "azurerm_mssql_server" "db" {\n  name = "db"\n  version = "12.0"\n}\n'
    write_tree(tmp_path, {"main.tf": AZ.format(">= 2.0") + sql})
    project = hcl.load_dir(str(tmp_path))
    v = _resource(project, "azurerm_mssql_server.db")["tls_min_version"]
    assert not v.known and v.candidates == ("1.0", "1.2")
    assert v.ge(1.0).is_true and v.eq("1.3").is_false and v.eq("1.2").is_unknown
    f = findings(project, "TLS-03")["azurerm_mssql_server.db"]
    assert f.status == "fail" and f.message == "minimum TLS version is 1.0 or 1.2, below 1.3"
    assert f.evidence["minimum_tls_version"]["one of"] == ["1.0", "1.2"]


def test_redis_minimum_tls_becomes_known_when_pinned(tmp_path):
    redis = 'resource "azurerm_redis_cache" "r" {\n  name = "r"\n}\n'
    v = _field(tmp_path, {"main.tf": AZ.format(">= 3.0, < 5.0") + redis}, address="azurerm_redis_cache.r")
    assert v.known and v.value == "1.2" and "azurerm >= 3.0 defaults to 1.2" in v.origin.path


def test_mssql_server_before_3_has_no_minimum(tmp_path):
    sql = 'resource "azurerm_mssql_server" "db" {\n  name = "db"\n  version = "12.0"\n}\n'
    v = _field(tmp_path, {"main.tf": AZ.format("~> 2.99") + sql}, address="azurerm_mssql_server.db")
    assert v.known and v.value == "1.0"
    assert "no minimum (Azure SQL accepts TLS 1.0)" in v.origin.path


def test_https_only_default_changed_in_2_0(tmp_path):
    v = _field(tmp_path, {"main.tf": AZ.format("~> 1.44") + STORAGE}, field="requires_tls")
    assert v.known and v.value is False
    v = _field(tmp_path / "b", {"main.tf": AZ.format(">= 1.0") + STORAGE}, field="requires_tls")
    assert not v.known and "azurerm before 2.0 defaults to false" in v.reason


class _Pinned(TfProject):
    """A project whose configuration admits what the given constraints/lock admit."""

    def __init__(self, provider: str, *constraints: str, locked: str | None = None):
        super().__init__()
        self._pv = pv.ProviderVersions()
        for c in constraints:
            self._pv.constrain(f"hashicorp/{provider}", c)
        if locked:
            self._pv.lock(f"registry.terraform.io/hashicorp/{provider}", locked)

    def provider_versions(self):
        return self._pv


def _assumed(type_, attr, project, value=None):
    tf = TfResource(address=f"{type_}.x", type=type_, name="x", mode="managed", module="", project=project)
    return pv.assumed(tf, attr, value, "mapper's note")


def test_a_range_of_versions_whose_default_is_not_established():
    # MariaDB got ssl_minimal_tls_version_enforced in a release between 3.47 and 3.56
    v = _assumed("azurerm_mariadb_server", "ssl_minimal_tls_version_enforced", _Pinned("azurerm", "~> 3.50"))
    assert not v.known and "between 3.47 and 3.56" in v.reason
    assert v.reason.endswith("pin azurerm >= 3.56 or set ssl_minimal_tls_version_enforced")
    v = _assumed("azurerm_mariadb_server", "ssl_minimal_tls_version_enforced", _Pinned("azurerm", locked="3.40.0"))
    assert v.known and v.value == "TLSEnforcementDisabled"
    # SSE-SQS: certain from 4.36 on only
    v = _assumed("aws_sqs_queue", "sqs_managed_sse_enabled", _Pinned("aws", "~> 4.0.0"))
    assert not v.known and "pin aws >= 4.36 or set sqs_managed_sse_enabled" in v.reason
    v = _assumed("aws_sqs_queue", "sqs_managed_sse_enabled", _Pinned("aws", "~> 5.80"))
    assert v.known and v.value is True


def test_a_required_attribute_is_never_assumed():
    v = _assumed("azurerm_postgresql_server", "ssl_enforcement_enabled", _Pinned("azurerm", locked="3.80.0"), True)
    assert not v.known
    assert v.reason.startswith("ssl_enforcement_enabled unset: azurerm requires ssl_enforcement_enabled")
    assert v.reason.endswith("; set ssl_enforcement_enabled")


def test_contradictory_constraints_admit_nothing():
    v = _assumed("azurerm_storage_account", "min_tls_version", _Pinned("azurerm", "~> 2.0", ">= 3.0"))
    assert not v.known and "admit no version" in v.reason


def test_an_unchanged_default_keeps_the_mappers_words():
    v = _assumed("azurerm_key_vault", "purge_protection_enabled", _Pinned("azurerm"), False)
    assert v.known and v.value is False and v.origin.path == "purge_protection_enabled (unset: mapper's note)"


# ----------------------------------------------------------------------------- plans
def _plan_with_storage(constraint: str | None) -> Plan:
    p = Plan()
    p.add("azurerm_storage_account", "s", {"name": "s"})
    entry = {"name": "azurerm", "full_name": "registry.terraform.io/hashicorp/azurerm"}
    if constraint:
        entry["version_constraint"] = constraint
    p.doc["configuration"]["provider_config"]["azurerm"] = entry
    p.doc["configuration"]["provider_config"]["module.m:azurerm"] = dict(entry, module_address="module.m",
                                                                         version_constraint="< 3.50")
    return p


def test_plan_version_constraints_of_every_module(tmp_path):
    path = _plan_with_storage("~> 3.0").write(tmp_path / "plan.json")
    project = load_plan(path)
    adm = project.provider_versions().admitted("azurerm")
    assert adm.constraints == ["~> 3.0", "< 3.50"]
    v = _resource(project, "azurerm_storage_account.s")["tls_min_version"]
    assert v.known and v.value == "1.2"
    assert "required_providers admits ~> 3.0, < 3.50" in v.origin.path


def test_plan_lock_file_beside_it_or_in_the_source_dir(tmp_path):
    lock = 'provider "registry.terraform.io/hashicorp/azurerm" {\n  version = "3.117.0"\n}\n'
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / ".terraform.lock.hcl").write_text(lock)
    path = _plan_with_storage(">= 2.0").write(tmp_path / "plan.json")
    project = load_plan(path)
    assert not _resource(project, "azurerm_storage_account.s")["tls_min_version"].known
    project = load_plan(path)
    project.source_dir = str(tmp_path / "src")          # what the pipeline sets for --source-dir
    v = _resource(project, "azurerm_storage_account.s")["tls_min_version"]
    assert v.known and ".terraform.lock.hcl selects azurerm 3.117.0" in v.origin.path
    (tmp_path / ".terraform.lock.hcl").write_text(lock)
    assert _resource(load_plan(path), "azurerm_storage_account.s")["tls_min_version"].known


def test_cli_reads_the_source_dirs_lock_file(tmp_path, run_cli):
    write_tree(tmp_path / "src", {"main.tf": AZ.format(">= 2.0") + STORAGE,
                                  ".terraform.lock.hcl": 'provider "registry.terraform.io/hashicorp/azurerm" {\n'
                                                         '  version = "3.80.0"\n}\n'})
    plan = _plan_with_storage(">= 2.0").write(tmp_path / "plan.json")
    out = tmp_path / "r.json"
    run_cli("scan", plan, "--source-dir", str(tmp_path / "src"), "--format", "json", "-o", str(out))
    doc = json.loads(out.read_text())
    tls = [f for f in doc["findings"] if f["control_id"] == "TLS-03"
           and f["resource"]["address"] == "azurerm_storage_account.s"]
    assert tls and tls[0]["status"] == "pass"
    assert any(".terraform.lock.hcl selects azurerm 3.80.0" in k for k in json.dumps(tls[0]["evidence"]).split('"'))


# ----------------------------------------------------------------------------- the table is complete
def _bare(type_: str) -> TfResource:
    tf = TfResource(address=f"{type_}.x", type=type_, name="x", mode="managed", module="")
    tf.project = TfProject(resources=[tf])
    return tf


def test_every_default_the_mappers_assume_is_in_the_table():
    """A resource with nothing written: every "(unset: ...)" in its evidence names a table entry."""
    from scanner.model import Resource
    from scanner.sources.terraform.normalize import _load_mappers
    _load_mappers()
    assert len(MAPPERS) > 30 and "azurerm_storage_account" in MAPPERS
    missing, seen = [], 0
    for type_, (kind, mapper) in sorted(MAPPERS.items()):
        if mapper is None:
            continue
        tf = _bare(type_)
        r = Resource(kind, type_, tf.address, tf.provider, tf.source)
        mapper(tf, r)
        for name in list(r.fields):
            v = r[name]
            path = v.origin.path if v.origin else ""
            if " (unset:" in path:
                attr = path.split(" (unset:")[0].split(" (from ")[-1]
                seen += 1
                if (type_, attr) not in pv.DEFAULTS:
                    missing.append(f"{type_}.{attr}")
    assert seen > 20, "the bare resources should show the mappers' unchanged defaults"
    assert not missing, f"defaults assumed without a table entry: {sorted(set(missing))}"
