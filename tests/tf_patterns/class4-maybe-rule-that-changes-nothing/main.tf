# A rule that may or may not exist changes the answer only if the answer differs with it.
data "aws_ssm_parameter" "flag" {
  name = "/pattern/flag"
}

resource "aws_security_group" "web" {
  name = "pattern-web"
  tags = { Tier = "web" }
  ingress {
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_security_group_rule" "maybe_https" {
  count             = data.aws_ssm_parameter.flag.value == "1" ? 1 : 0
  type              = "ingress"
  security_group_id = aws_security_group.web.id
  from_port         = 443
  to_port           = 443
  protocol          = "tcp"
  cidr_blocks       = ["0.0.0.0/0"]
}

resource "aws_security_group" "web_ssh" {
  name = "pattern-web-ssh"
  tags = { Tier = "web" }
}

resource "aws_security_group_rule" "maybe_ssh" {
  count             = data.aws_ssm_parameter.flag.value == "1" ? 1 : 0
  type              = "ingress"
  security_group_id = aws_security_group.web_ssh.id
  from_port         = 22
  to_port           = 22
  protocol          = "tcp"
  cidr_blocks       = ["0.0.0.0/0"]
}
