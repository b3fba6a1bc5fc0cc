# A separate rule whose group is known only at apply time (a variable with no value here, a data
# source of security groups) may be in any security group of the configuration: it leaves each
# group's verdict as it is only if that verdict holds with the rule too.
variable "sg_id" {
  type = string
}

data "aws_security_group" "existing" {
  name = "pattern-existing"
}

resource "aws_security_group" "web" {
  name = "pattern-web"
  tags = { Tier = "web" }
}

resource "aws_security_group" "app" {
  name = "pattern-app"
  tags = { Tier = "app" }
}

resource "aws_security_group_rule" "https_somewhere" {
  type              = "ingress"
  security_group_id = data.aws_security_group.existing.id
  from_port         = 443
  to_port           = 443
  protocol          = "tcp"
  cidr_blocks       = ["0.0.0.0/0"]
}

resource "aws_vpc_security_group_ingress_rule" "app_port_somewhere" {
  security_group_id = var.sg_id
  from_port         = 8080
  to_port           = 8080
  ip_protocol       = "tcp"
  cidr_ipv4         = "10.0.0.0/8"
}
