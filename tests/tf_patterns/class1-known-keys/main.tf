# A known index or key picks one element: only that element's references are the value's. Where
# the element cannot be told apart (a collection a function builds), each is only possible.
data "aws_kms_alias" "managed" {
  name = "alias/aws/rds"
}

resource "aws_kms_key" "cmk" {
  enable_key_rotation = true
}

resource "aws_vpc" "a" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_vpc" "b" {
  cidr_block = "10.1.0.0/16"
}

resource "aws_vpc" "multi" {
  for_each   = toset(["m1", "m2"])
  cidr_block = "10.2.0.0/16"
}

locals {
  vpcs     = [aws_vpc.a.id, aws_vpc.b.id]
  all_vpcs = aws_vpc.multi
  keys     = [for k in [aws_kms_key.cmk.arn, data.aws_kms_alias.managed.target_key_arn] : k]
}

resource "aws_flow_log" "literal_index" {
  vpc_id               = [aws_vpc.a.id, aws_vpc.b.id][0]
  traffic_type         = "ALL"
  log_destination_type = "s3"
  log_destination      = "arn:aws:s3:::pattern-flow-logs"
}

module "net" {
  source = "./net"
  vpcs   = local.vpcs
  all    = local.all_vpcs
}

resource "aws_db_instance" "picked_from_for" {
  engine            = "postgres"
  instance_class    = "db.t3.micro"
  allocated_storage = 20
  storage_encrypted = true
  kms_key_id        = local.keys[1]   # the AWS-managed key, not the customer key
}
