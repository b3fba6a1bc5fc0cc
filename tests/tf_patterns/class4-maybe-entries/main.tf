# Rules and cluster instances that may not exist (count not known) or may belong elsewhere decide
# nothing when the answer is the same with and without them, and keep it unknown otherwise.
data "aws_ssm_parameter" "flag" {
  name = "/pattern/flag"
}

resource "aws_security_group" "app" {
  name = "pattern-app"
  tags = { Tier = "app" }
}

resource "aws_security_group" "db" {
  name = "pattern-db"
  tags = { Tier = "db" }
  ingress {
    from_port       = 5432
    to_port         = 5432
    protocol        = "tcp"
    security_groups = [aws_security_group.app.id]
  }
}

resource "aws_security_group_rule" "db_maybe_private_egress" {
  count             = data.aws_ssm_parameter.flag.value == "1" ? 1 : 0
  type              = "egress"
  security_group_id = aws_security_group.db.id
  from_port         = 443
  to_port           = 443
  protocol          = "tcp"
  cidr_blocks       = ["10.0.0.0/8"]
}

resource "aws_security_group" "db_open" {
  name = "pattern-db-open"
  tags = { Tier = "db" }
}

resource "aws_security_group_rule" "db_maybe_internet_egress" {
  count             = data.aws_ssm_parameter.flag.value == "1" ? 1 : 0
  type              = "egress"
  security_group_id = aws_security_group.db_open.id
  from_port         = 443
  to_port           = 443
  protocol          = "tcp"
  cidr_blocks       = ["0.0.0.0/0"]
}

resource "aws_security_group" "plain" {
  name = "pattern-plain"
}

resource "aws_security_group_rule" "plain_maybe_private" {
  count             = data.aws_ssm_parameter.flag.value == "1" ? 1 : 0
  type              = "ingress"
  security_group_id = aws_security_group.plain.id
  from_port         = 22
  to_port           = 22
  protocol          = "tcp"
  cidr_blocks       = ["10.0.0.0/8"]
}

resource "aws_security_group" "plain_open" {
  name = "pattern-plain-open"
}

resource "aws_security_group_rule" "plain_maybe_internet" {
  count             = data.aws_ssm_parameter.flag.value == "1" ? 1 : 0
  type              = "ingress"
  security_group_id = aws_security_group.plain_open.id
  from_port         = 22
  to_port           = 22
  protocol          = "tcp"
  cidr_blocks       = ["0.0.0.0/0"]
}

resource "aws_rds_cluster" "c" {
  cluster_identifier          = "pattern-c"
  engine                      = "aurora-postgresql"
  master_username             = "app"
  manage_master_user_password = true
}

resource "aws_rds_cluster_instance" "maybe_public" {
  count               = data.aws_ssm_parameter.flag.value == "1" ? 1 : 0
  cluster_identifier  = aws_rds_cluster.c.id
  instance_class      = "db.r6g.large"
  engine              = "aurora-postgresql"
  publicly_accessible = true
}

resource "aws_rds_cluster" "d" {
  cluster_identifier          = "pattern-d"
  engine                      = "aurora-postgresql"
  master_username             = "app"
  manage_master_user_password = true
}

resource "aws_rds_cluster_instance" "maybe_private" {
  count              = data.aws_ssm_parameter.flag.value == "1" ? 1 : 0
  cluster_identifier = aws_rds_cluster.d.id
  instance_class     = "db.r6g.large"
  engine             = "aurora-postgresql"
}

# a rule whose group is one of two (the condition is read at apply time) may be in either
resource "aws_security_group" "web_a" {
  name = "pattern-web-a"
  tags = { Tier = "web" }
}

resource "aws_security_group" "web_b" {
  name = "pattern-web-b"
  tags = { Tier = "web" }
}

resource "aws_security_group_rule" "https_either" {
  type              = "ingress"
  security_group_id = data.aws_ssm_parameter.flag.value == "1" ? aws_security_group.web_a.id : aws_security_group.web_b.id
  from_port         = 443
  to_port           = 443
  protocol          = "tcp"
  cidr_blocks       = ["0.0.0.0/0"]
}

resource "aws_security_group" "web_c" {
  name = "pattern-web-c"
  tags = { Tier = "web" }
}

resource "aws_security_group" "web_d" {
  name = "pattern-web-d"
  tags = { Tier = "web" }
}

resource "aws_security_group_rule" "ssh_either" {
  type              = "ingress"
  security_group_id = data.aws_ssm_parameter.flag.value == "1" ? aws_security_group.web_c.id : aws_security_group.web_d.id
  from_port         = 22
  to_port           = 22
  protocol          = "tcp"
  cidr_blocks       = ["0.0.0.0/0"]
}
