# Known beats unknown: an unknown condition whose branches agree decides the value.
data "aws_region" "current" {}

resource "aws_db_instance" "main" {
  engine            = "postgres"
  instance_class    = "db.t3.micro"
  allocated_storage = 20
  multi_az          = data.aws_region.current.name == "eu-west-1" ? true : true
  backup_retention_period = data.aws_region.current.name == "eu-west-1" ? 7 : 14
}
