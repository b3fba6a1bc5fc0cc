# The untaken branch stays untaken when it travels through locals and coalesce().
variable "use_cmk" {
  default = false
}

variable "fallback_key" {
  default = "alias/aws/rds"
}

resource "aws_kms_key" "db" {
  enable_key_rotation = true
}

locals {
  key = var.use_cmk ? aws_kms_key.db.arn : null
}

resource "aws_db_instance" "via_local" {
  engine            = "postgres"
  instance_class    = "db.t3.micro"
  allocated_storage = 20
  storage_encrypted = true
  kms_key_id        = local.key
}

resource "aws_db_instance" "via_coalesce" {
  engine            = "postgres"
  instance_class    = "db.t3.micro"
  allocated_storage = 20
  storage_encrypted = true
  kms_key_id        = coalesce(var.fallback_key, aws_kms_key.db.arn)
}
