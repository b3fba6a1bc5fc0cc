"""DR-01 on .tf source and plans: copies joined by reference, regions from providers and locations.

Each case is a small configuration; the fixtures (tests/test_fixtures.py) cover the seeds' platform.
"""
from conftest import write_tree

from scanner.results import Run
from scanner.sources.terraform import hcl

from test_hcl import findings, verdicts

PROVIDERS = '''
provider "aws" {
  region = "us-east-1"
}
provider "aws" {
  alias  = "dr"
  region = "us-west-2"
}
provider "aws" {
  alias  = "same"
  region = "us-east-1"
}
provider "aws" {
  alias = "nowhere"
}
'''


def scan(tmp_path, text, files=None):
    write_tree(tmp_path, {"main.tf": PROVIDERS + text, **(files or {})})
    return hcl.load_dir(str(tmp_path), run=Run())


def dr(tmp_path, text, files=None):
    return {a: s for (_, a), s in verdicts(scan(tmp_path, text, files), "DR-01").items()}


DB = '''
resource "aws_db_instance" "%s" {
  identifier                  = "%s"
  engine                      = "postgres"
  instance_class              = "db.m6g.large"
  manage_master_user_password = true
  %s
}
'''


def replica(name, source, provider):
    return DB % (name, name, f'replicate_source_db = {source}\n  provider = {provider}')


# ----------------------------------------------------------------------------- RDS instances
def test_replica_through_a_provider_of_another_region_passes_and_the_replica_is_not_applicable(tmp_path):
    got = dr(tmp_path, DB % ("main", "main", "") + replica("copy", "aws_db_instance.main.arn", "aws.dr"))
    assert got == {"aws_db_instance.main": "pass"}


def test_replica_in_the_same_region_fails(tmp_path):
    p = scan(tmp_path, DB % ("main", "main", "") + replica("copy", "aws_db_instance.main.arn", "aws.same"))
    f = findings(p, "DR-01")["aws_db_instance.main"]
    assert f.status == "fail"
    assert "same region (us-east-1)" in next(iter(f.evidence))


def test_replica_whose_provider_region_is_not_known_is_unknown(tmp_path):
    p = scan(tmp_path, DB % ("main", "main", "") + replica("copy", "aws_db_instance.main.arn", "aws.nowhere"))
    f = findings(p, "DR-01")["aws_db_instance.main"]
    assert f.status == "unknown" and "region" in f.message and "aws_db_instance.copy" in f.message


def test_primary_without_replica_fails(tmp_path):
    assert dr(tmp_path, DB % ("main", "main", "")) == {"aws_db_instance.main": "fail"}


def test_replica_in_a_module_given_the_dr_provider_passes(tmp_path):
    module = '''
variable "source_arn" {}
resource "aws_db_instance" "copy" {
  identifier          = "copy"
  instance_class      = "db.m6g.large"
  replicate_source_db = var.source_arn
}
'''
    got = dr(tmp_path, DB % ("main", "main", "") + '''
module "dr" {
  source     = "./modules/dr"
  source_arn = aws_db_instance.main.arn
  providers  = { aws = aws.dr }
}''', {"modules/dr/main.tf": module})
    assert got == {"aws_db_instance.main": "pass"}


def test_region_from_a_variable_and_the_resource_region_argument(tmp_path):
    got = dr(tmp_path, '''
variable "dr_region" {
  default = "eu-west-1"
}
provider "aws" {
  alias  = "var"
  region = var.dr_region
}
''' + DB % ("main", "main", "") + replica("copy", "aws_db_instance.main.arn", "aws.var"))
    assert got == {"aws_db_instance.main": "pass"}


def test_a_replica_named_only_in_one_branch_of_an_unknown_condition_never_passes(tmp_path):
    got = dr(tmp_path, '''
data "aws_ssm_parameter" "which" {
  name = "which"
}
''' + DB % ("a", "a", "") + DB % ("b", "b", "") + replica(
        "copy", 'data.aws_ssm_parameter.which.value == "a" ? aws_db_instance.a.arn : aws_db_instance.b.arn', "aws.dr"))
    assert got == {"aws_db_instance.a": "unknown", "aws_db_instance.b": "unknown"}


def test_a_replica_that_may_not_be_created_never_passes(tmp_path):
    got = dr(tmp_path, '''
data "aws_ssm_parameter" "n" {
  name = "n"
}
''' + DB % ("main", "main", "") + '''
resource "aws_db_instance" "copy" {
  count               = tonumber(data.aws_ssm_parameter.n.value)
  provider            = aws.dr
  identifier          = "copy"
  instance_class      = "db.m6g.large"
  replicate_source_db = aws_db_instance.main.arn
}''')
    assert got["aws_db_instance.main"] == "unknown"


# ----------------------------------------------------------------------------- Aurora global clusters
CLUSTER = '''
resource "aws_rds_cluster" "%s" {
  cluster_identifier          = "%s"
  engine                      = "aurora-postgresql"
  manage_master_user_password = %s
  global_cluster_identifier   = %s
  %s
}
'''


def test_global_cluster_with_a_member_in_another_region_passes_for_both(tmp_path):
    got = dr(tmp_path, '''
resource "aws_rds_global_cluster" "g" {
  global_cluster_identifier = "g"
  engine                    = "aurora-postgresql"
}''' + CLUSTER % ("primary", "primary", "true", "aws_rds_global_cluster.g.id", "")
                 + CLUSTER % ("secondary", "secondary", "null", "aws_rds_global_cluster.g.id", "provider = aws.dr"))
    assert got == {"aws_rds_cluster.primary": "pass", "aws_rds_cluster.secondary": "pass"}


def test_global_cluster_created_from_the_primary_passes(tmp_path):
    got = dr(tmp_path, CLUSTER % ("primary", "primary", "true", "null", "") + '''
resource "aws_rds_global_cluster" "g" {
  global_cluster_identifier    = "g"
  source_db_cluster_identifier = aws_rds_cluster.primary.arn
}''' + CLUSTER % ("secondary", "secondary", "null", "aws_rds_global_cluster.g.id", "provider = aws.dr"))
    assert got == {"aws_rds_cluster.primary": "pass", "aws_rds_cluster.secondary": "pass"}


def test_cluster_alone_fails_and_one_in_a_global_cluster_outside_the_configuration_is_unknown(tmp_path):
    got = dr(tmp_path, CLUSTER % ("alone", "alone", "true", "null", "")
             + CLUSTER % ("joined", "joined", "true", '"external-global"', ""))
    assert got == {"aws_rds_cluster.alone": "fail", "aws_rds_cluster.joined": "unknown"}


# ----------------------------------------------------------------------------- DynamoDB
TABLE = '''
resource "aws_dynamodb_table" "%s" {
  name         = "%s"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "id"
  attribute {
    name = "id"
    type = "S"
  }
  %s
}
'''


def test_dynamodb_replica_blocks_and_replica_resources(tmp_path):
    got = dr(tmp_path, '''
data "aws_region" "peer" {
  provider = aws.nowhere
}
''' + TABLE % ("global", "global", 'replica {\n    region_name = "eu-central-1"\n  }')
        + TABLE % ("same", "same", 'replica {\n    region_name = "us-east-1"\n  }')
        + TABLE % ("unknown", "unknown", 'replica {\n    region_name = data.aws_region.peer.name\n  }')
        + TABLE % ("alone", "alone", "")
        + TABLE % ("split", "split", "") + '''
resource "aws_dynamodb_table_replica" "split" {
  provider         = aws.dr
  global_table_arn = aws_dynamodb_table.split.arn
}''')
    assert got == {"aws_dynamodb_table.global": "pass", "aws_dynamodb_table.same": "fail",
                   "aws_dynamodb_table.unknown": "unknown", "aws_dynamodb_table.alone": "fail",
                   "aws_dynamodb_table.split": "pass"}


# ----------------------------------------------------------------------------- S3
BUCKET = '''
resource "aws_s3_bucket" "%s" {
  bucket   = "%s"
  provider = %s
  tags     = { Criticality = "%s" }
}
'''
REPLICATION = '''
resource "aws_s3_bucket_replication_configuration" "%s" {
  bucket = aws_s3_bucket.%s.id
  role   = "arn:aws:iam::111122223333:role/replication"
  rule {
    id     = "all"
    status = "%s"
    destination {
      bucket = %s
    }
  }
}
'''


def test_critical_buckets_replicate_to_a_bucket_in_another_region(tmp_path):
    got = dr(tmp_path,
             BUCKET % ("ok", "ok", "aws", "critical") + BUCKET % ("ok_copy", "ok-copy", "aws.dr", "replica")
             + REPLICATION % ("ok", "ok", "Enabled", "aws_s3_bucket.ok_copy.arn")
             + BUCKET % ("same", "same", "aws", "critical") + BUCKET % ("same_copy", "same-copy", "aws", "replica")
             + REPLICATION % ("same", "same", "Enabled", "aws_s3_bucket.same_copy.arn")
             + BUCKET % ("off", "off", "aws", "critical")
             + REPLICATION % ("off", "off", "Disabled", "aws_s3_bucket.ok_copy.arn")
             + BUCKET % ("outside", "outside", "aws", "critical")
             + REPLICATION % ("outside", "outside", "Enabled", '"arn:aws:s3:::somebody-elses-bucket"')
             + BUCKET % ("none", "none", "aws", "critical")
             + BUCKET % ("plain", "plain", "aws", "low"))
    assert got == {"aws_s3_bucket.ok": "pass", "aws_s3_bucket.same": "fail", "aws_s3_bucket.off": "fail",
                   "aws_s3_bucket.outside": "unknown", "aws_s3_bucket.none": "fail"}


def test_the_profile_names_the_critical_tag(tmp_path):
    from scanner.engine import evaluate
    from scanner.link import link
    from scanner.profile import spec_profile
    from scanner.sources.terraform.normalize import normalize

    p = scan(tmp_path, BUCKET % ("tier1", "tier1", "aws", "tier-1"))
    prof = spec_profile()
    prof.controls["DR-01"].params.update({"tag": "Criticality", "value": "tier-1"})
    got = {(f.control_id, f.resource.address): f.status for f in evaluate(link(normalize(p)), prof)
           if f.control_id == "DR-01"}
    assert got == {("DR-01", "aws_s3_bucket.tier1"): "fail"}


# ----------------------------------------------------------------------------- Azure
AZ = '''
provider "azurerm" {
  features {}
}
'''


def test_postgres_replica_in_another_location_passes_and_in_the_same_fails(tmp_path):
    got = dr(tmp_path, AZ + '''
resource "azurerm_postgresql_flexible_server" "a" {
  name                = "a"
  resource_group_name = "rg"
  location            = "eastus2"
}
resource "azurerm_postgresql_flexible_server" "a_copy" {
  name                = "a-copy"
  resource_group_name = "rg"
  location            = "Central US"
  create_mode         = "Replica"
  source_server_id    = azurerm_postgresql_flexible_server.a.id
}
resource "azurerm_postgresql_flexible_server" "b" {
  name                = "b"
  resource_group_name = "rg"
  location            = "eastus2"
}
resource "azurerm_postgresql_flexible_server" "b_copy" {
  name                = "b-copy"
  resource_group_name = "rg"
  location            = "eastus2"
  create_mode         = "Replica"
  source_server_id    = azurerm_postgresql_flexible_server.b.id
}
resource "azurerm_postgresql_flexible_server" "c" {
  name                = "c"
  resource_group_name = "rg"
  location            = "eastus2"
}
resource "azurerm_postgresql_flexible_server" "c_restore" {
  name                = "c-restore"
  resource_group_name = "rg"
  location            = "centralus"
  create_mode         = "GeoRestore"
  source_server_id    = azurerm_postgresql_flexible_server.c.id
}''')
    assert got == {"azurerm_postgresql_flexible_server.a": "pass", "azurerm_postgresql_flexible_server.b": "fail",
                   "azurerm_postgresql_flexible_server.c": "fail",
                   "azurerm_postgresql_flexible_server.c_restore": "fail"}


SQL = '''
resource "azurerm_mssql_server" "%s" {
  name                = "%s"
  resource_group_name = "rg"
  location            = "%s"
  version             = "12.0"
}
'''


def test_sql_database_in_a_failover_group_with_a_partner_elsewhere(tmp_path):
    got = dr(tmp_path, AZ + SQL % ("main", "main", "eastus2") + SQL % ("peer", "peer", "centralus") + '''
resource "azurerm_mssql_database" "in_group" {
  name      = "in-group"
  server_id = azurerm_mssql_server.main.id
}
resource "azurerm_mssql_database" "outside_group" {
  name      = "outside-group"
  server_id = azurerm_mssql_server.main.id
}
resource "azurerm_mssql_database" "external_partner" {
  name      = "external-partner"
  server_id = azurerm_mssql_server.main.id
}
resource "azurerm_mssql_failover_group" "fog" {
  name      = "fog"
  server_id = azurerm_mssql_server.main.id
  databases = [azurerm_mssql_database.in_group.id]
  partner_server {
    id = azurerm_mssql_server.peer.id
  }
  read_write_endpoint_failover_policy {
    mode          = "Automatic"
    grace_minutes = 60
  }
}
resource "azurerm_mssql_failover_group" "external" {
  name      = "external"
  server_id = azurerm_mssql_server.main.id
  databases = [azurerm_mssql_database.external_partner.id]
  partner_server {
    id = "/subscriptions/0/resourceGroups/rg/providers/Microsoft.Sql/servers/elsewhere"
  }
  read_write_endpoint_failover_policy {
    mode = "Manual"
  }
}''')
    assert got == {"azurerm_mssql_database.in_group": "pass", "azurerm_mssql_database.outside_group": "fail",
                   "azurerm_mssql_database.external_partner": "unknown"}
