# A reference to an instance that count = 0 does not create is an error; try() turns it into null.
variable "create_key" {
  default = false
}

resource "aws_kms_key" "db" {
  count               = var.create_key ? 1 : 0
  enable_key_rotation = true
}

resource "aws_db_instance" "main" {
  engine            = "postgres"
  instance_class    = "db.t3.micro"
  allocated_storage = 20
  storage_encrypted = true
  kms_key_id        = try(aws_kms_key.db[0].arn, null)
}
