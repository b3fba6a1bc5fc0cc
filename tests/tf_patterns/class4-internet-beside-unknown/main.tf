# 0.0.0.0/0 is open to the internet whatever the other element turns out to be.
data "aws_vpc" "shared" {
  id = "vpc-0123456789abcdef0"
}

resource "aws_security_group" "open" {
  name = "pattern-open"
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0", data.aws_vpc.shared.cidr_block]
  }
}
