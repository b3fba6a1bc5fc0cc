# One flow log (web ACL association, set of cluster members, backup replication) whose target is chosen
# by a key known only at apply time covers one target, not every candidate:
# each is a possible target, which is never enough for a pass.
data "aws_ssm_parameter" "choice" {
  name = "/pattern/choice"
}

resource "aws_vpc" "x" {
  cidr_block = "10.30.0.0/16"
}

resource "aws_vpc" "y" {
  cidr_block = "10.31.0.0/16"
}

resource "aws_flow_log" "one" {
  vpc_id               = lookup({ x = aws_vpc.x.id, y = aws_vpc.y.id }, data.aws_ssm_parameter.choice.value, aws_vpc.x.id)
  traffic_type         = "ALL"
  log_destination_type = "s3"
  log_destination      = "arn:aws:s3:::pattern-flow-logs"
}

resource "aws_lb" "p" {
  name               = "pattern-p"
  load_balancer_type = "application"
  internal           = false
  subnets            = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
}

resource "aws_lb" "q" {
  name               = "pattern-q"
  load_balancer_type = "application"
  internal           = false
  subnets            = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
}

resource "aws_wafv2_web_acl_association" "one" {
  resource_arn = lookup({ p = aws_lb.p.arn, q = aws_lb.q.arn }, data.aws_ssm_parameter.choice.value, aws_lb.p.arn)
  web_acl_arn  = "arn:aws:wafv2:eu-west-1:111111111111:regional/webacl/pattern/0123456789abcdef"
}

resource "aws_rds_cluster" "m" {
  cluster_identifier          = "pattern-m"
  engine                      = "aurora-postgresql"
  master_username             = "app"
  manage_master_user_password = true
}

resource "aws_rds_cluster" "n" {
  cluster_identifier          = "pattern-n"
  engine                      = "aurora-postgresql"
  master_username             = "app"
  manage_master_user_password = true
}

resource "aws_rds_cluster_instance" "member" {
  count              = 2
  cluster_identifier = lookup({ m = aws_rds_cluster.m.id, n = aws_rds_cluster.n.id }, data.aws_ssm_parameter.choice.value, aws_rds_cluster.m.id)
  instance_class     = "db.r6g.large"
  engine             = "aurora-postgresql"
}

provider "aws" {
  alias  = "dr"
  region = "us-west-2"
}

resource "aws_db_instance" "src_a" {
  engine                  = "postgres"
  instance_class          = "db.t3.micro"
  allocated_storage       = 20
  backup_retention_period = 35
}

resource "aws_db_instance" "src_b" {
  engine                  = "postgres"
  instance_class          = "db.t3.micro"
  allocated_storage       = 20
  backup_retention_period = 35
}

resource "aws_db_instance_automated_backups_replication" "one" {
  provider               = aws.dr
  source_db_instance_arn = lookup({ a = aws_db_instance.src_a.arn, b = aws_db_instance.src_b.arn }, data.aws_ssm_parameter.choice.value, aws_db_instance.src_a.arn)
}

data "azurerm_client_config" "current" {}

resource "azurerm_virtual_network" "a" {
  name                = "pattern-a"
  resource_group_name = "rg-pattern"
  location            = "westeurope"
  address_space       = ["10.40.0.0/16"]
}

resource "azurerm_virtual_network" "b" {
  name                = "pattern-b"
  resource_group_name = "rg-pattern"
  location            = "westeurope"
  address_space       = ["10.41.0.0/16"]
}

resource "azurerm_network_watcher_flow_log" "one" {
  name                 = "pattern-flow-log"
  network_watcher_name = "pattern-watcher"
  resource_group_name  = "rg-pattern"
  target_resource_id   = lookup({ a = azurerm_virtual_network.a.id, b = azurerm_virtual_network.b.id }, data.azurerm_client_config.current.tenant_id, azurerm_virtual_network.a.id)
  storage_account_id   = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-pattern/providers/Microsoft.Storage/storageAccounts/patternlogs"
  enabled              = true
  retention_policy {
    enabled = true
    days    = 7
  }
}
