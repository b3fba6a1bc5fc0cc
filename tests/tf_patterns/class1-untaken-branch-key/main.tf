# A key referenced only in the branch Terraform does not take is no key at all.
variable "use_cmk" {
  type    = bool
  default = false
}

resource "aws_kms_key" "db" {
  enable_key_rotation = true
}

resource "aws_db_instance" "main" {
  engine            = "postgres"
  instance_class    = "db.t3.micro"
  allocated_storage = 20
  storage_encrypted = true
  kms_key_id        = var.use_cmk ? aws_kms_key.db.arn : null
}
