"""SEC-01 on .tf source and plans: who keeps a database's administrator password, and where a
password written in configuration is (never what it is)."""
import json

from conftest import write_tree
from planlib import Plan

from scanner.results import Run
from scanner.sources.terraform import hcl

from test_hcl import findings, verdicts

SECRET = "Sw0rdf1sh-Qx7"   # the password these configurations write


def scan(tmp_path, text):
    write_tree(tmp_path, {"main.tf": text})
    return hcl.load_dir(str(tmp_path), run=Run())


def sec(tmp_path, text):
    return {a: s for (_, a), s in verdicts(scan(tmp_path, text), "SEC-01").items()}


RDS = '''
resource "random_password" "db" {
  length = 24
}
resource "aws_db_instance" "managed" {
  identifier                  = "managed"
  instance_class              = "db.m6g.large"
  username                    = "admin"
  manage_master_user_password = true
}
resource "aws_db_instance" "literal" {
  identifier     = "literal"
  instance_class = "db.m6g.large"
  username       = "admin"
  password       = "%s"
}
resource "aws_db_instance" "generated" {
  identifier     = "generated"
  instance_class = "db.m6g.large"
  username       = "admin"
  password       = random_password.db.result
}
resource "aws_db_instance" "replica" {
  identifier          = "replica"
  instance_class      = "db.m6g.large"
  replicate_source_db = aws_db_instance.managed.identifier
}
resource "aws_rds_cluster" "managed" {
  cluster_identifier          = "managed"
  master_username             = "admin"
  manage_master_user_password = true
}
resource "aws_rds_cluster" "literal" {
  cluster_identifier = "literal"
  master_username    = "admin"
  master_password    = "%s"
}
resource "aws_rds_cluster_instance" "member" {
  identifier         = "member"
  cluster_identifier = aws_rds_cluster.literal.id
  instance_class     = "db.r6g.large"
}
''' % (SECRET, SECRET)


def test_rds_managed_passes_written_fails_replicas_and_members_not_applicable(tmp_path):
    assert sec(tmp_path, RDS) == {"aws_db_instance.managed": "pass", "aws_db_instance.literal": "fail",
                                  "aws_db_instance.generated": "fail", "aws_rds_cluster.managed": "pass",
                                  "aws_rds_cluster.literal": "fail"}


def test_the_evidence_says_where_and_never_what(tmp_path):
    got = findings(scan(tmp_path, RDS), "SEC-01")
    f = got["aws_db_instance.literal"]
    assert f.status == "fail"
    assert f.file == "main.tf" and f.line == RDS.splitlines().index(f'  password       = "{SECRET}"') + 1
    assert any(k.startswith("password (set in configuration") for k in f.evidence)
    c = got["aws_rds_cluster.literal"]
    assert c.line == RDS.splitlines().index(f'  master_password    = "{SECRET}"') + 1
    for f in got.values():
        text = json.dumps([f.message, f.evidence, f.file, f.line], default=str)
        assert SECRET not in text and SECRET[3:9] not in text


def test_manage_flag_not_known_is_unknown(tmp_path):
    got = sec(tmp_path, '''
data "aws_ssm_parameter" "flag" {
  name = "flag"
}
resource "aws_db_instance" "x" {
  identifier                  = "x"
  instance_class              = "db.m6g.large"
  manage_master_user_password = data.aws_ssm_parameter.flag.value
}''')
    assert got == {"aws_db_instance.x": "unknown"}


def test_no_password_and_no_manage_flag_fails(tmp_path):
    got = findings(scan(tmp_path, '''
resource "aws_db_instance" "snap" {
  identifier          = "snap"
  instance_class      = "db.m6g.large"
  snapshot_identifier = "snap-1"
}'''), "SEC-01")
    assert got["aws_db_instance.snap"].status == "fail"
    assert "snapshot" in json.dumps(got["aws_db_instance.snap"].evidence)


def test_secondary_cluster_of_a_global_cluster_is_not_applicable(tmp_path):
    got = sec(tmp_path, '''
resource "aws_rds_global_cluster" "g" {
  global_cluster_identifier = "g"
}
resource "aws_rds_cluster" "secondary" {
  cluster_identifier        = "secondary"
  global_cluster_identifier = aws_rds_global_cluster.g.id
}''')
    assert got == {}


AZURE = '''
provider "azurerm" {
  features {}
}
resource "azurerm_mssql_server" "entra" {
  name                = "entra"
  resource_group_name = "rg"
  location            = "eastus2"
  version             = "12.0"
  azuread_administrator {
    login_username              = "dba"
    object_id                   = "00000000-0000-0000-0000-000000000001"
    azuread_authentication_only = true
  }
}
resource "azurerm_mssql_server" "mixed" {
  name                         = "mixed"
  resource_group_name          = "rg"
  location                     = "eastus2"
  version                      = "12.0"
  administrator_login          = "sqladmin"
  administrator_login_password = "%s"
  azuread_administrator {
    login_username = "dba"
    object_id      = "00000000-0000-0000-0000-000000000001"
  }
}
resource "azurerm_postgresql_flexible_server" "entra" {
  name                = "entra"
  resource_group_name = "rg"
  location            = "eastus2"
  authentication {
    active_directory_auth_enabled = true
    password_auth_enabled         = false
  }
}
resource "azurerm_postgresql_flexible_server" "default" {
  name                   = "default"
  resource_group_name    = "rg"
  location               = "eastus2"
  administrator_login    = "pgadmin"
  administrator_password = "%s"
}
resource "azurerm_postgresql_flexible_server" "replica" {
  name                = "replica"
  resource_group_name = "rg"
  location            = "centralus"
  create_mode         = "Replica"
  source_server_id    = azurerm_postgresql_flexible_server.entra.id
}
''' % (SECRET, SECRET)


def test_azure_entra_only_passes_password_login_fails_replica_not_applicable(tmp_path):
    p = scan(tmp_path, AZURE)
    assert {a: s for (_, a), s in verdicts(p, "SEC-01").items()} == {
        "azurerm_mssql_server.entra": "pass", "azurerm_mssql_server.mixed": "fail",
        "azurerm_postgresql_flexible_server.entra": "pass", "azurerm_postgresql_flexible_server.default": "fail"}
    got = findings(p, "SEC-01")
    assert got["azurerm_mssql_server.mixed"].line == AZURE.splitlines().index(
        f'  administrator_login_password = "{SECRET}"') + 1
    assert SECRET not in json.dumps([[f.message, f.evidence] for f in got.values()], default=str)


def test_plan_with_the_password_in_planned_values_fails_without_showing_it():
    plan = Plan()
    plan.add("aws_db_instance", "literal", {"identifier": "literal", "password": SECRET,
                                            "manage_master_user_password": None})
    plan.add("aws_db_instance", "managed", {"identifier": "managed", "password": None,
                                            "manage_master_user_password": True})
    got = {f.resource.address: f for f in plan.findings("SEC-01")}
    assert {a: f.status for a, f in got.items()} == {"aws_db_instance.literal": "fail",
                                                     "aws_db_instance.managed": "pass"}
    assert SECRET not in json.dumps([[f.message, f.evidence] for f in got.values()], default=str)
