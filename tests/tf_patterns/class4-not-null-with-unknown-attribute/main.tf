# A non-null object with one unknown attribute is != null; length() of a list of unknowns is known.
data "aws_vpc" "shared" {
  id = "vpc-0123456789abcdef0"
}

variable "enabled" {
  default = true
}

locals {
  rules = {
    from_vpc = { port = 5432, cidr = data.aws_vpc.shared.cidr_block }
  }
  azs = [data.aws_vpc.shared.id, data.aws_vpc.shared.arn]
}

resource "aws_security_group" "db" {
  name = "pattern-db"
}

resource "aws_vpc_security_group_ingress_rule" "from_vpc" {
  for_each          = var.enabled && local.rules != null ? local.rules : {}
  security_group_id = aws_security_group.db.id
  ip_protocol       = "tcp"
  from_port         = each.value.port
  to_port           = each.value.port
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_kms_key" "per_az" {
  count               = length(local.azs)
  enable_key_rotation = false || false && data.aws_vpc.shared.enable_dns_support
}
