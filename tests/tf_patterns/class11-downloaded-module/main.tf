# After terraform init, a registry module is on disk under .terraform/modules and is followed.
module "db" {
  source  = "example/db/aws"
  version = "1.2.0"
  name    = "orders"
}

module "missing" {
  source  = "example/missing/aws"
  version = "1.0.0"
}

resource "aws_db_instance" "uses_missing" {
  engine            = "postgres"
  instance_class    = "db.t3.micro"
  allocated_storage = 20
  multi_az          = module.missing.multi_az
}
