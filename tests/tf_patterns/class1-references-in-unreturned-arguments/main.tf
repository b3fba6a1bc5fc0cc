# A reference written in an argument a function does not return configures nothing.
resource "aws_kms_key" "cmk" {
  enable_key_rotation = true
}

locals {
  managed = "alias/aws/rds"
  keys    = { primary = local.managed, spare = aws_kms_key.cmk.arn }
}

resource "aws_db_instance" "via_try" {
  engine            = "postgres"
  instance_class    = "db.t3.micro"
  allocated_storage = 20
  storage_encrypted = true
  kms_key_id        = try(local.managed, aws_kms_key.cmk.arn)
}

resource "aws_db_instance" "via_lookup" {
  engine            = "postgres"
  instance_class    = "db.t3.micro"
  allocated_storage = 20
  storage_encrypted = true
  kms_key_id        = lookup(local.keys, "primary", aws_kms_key.cmk.arn)
}

resource "aws_db_instance" "via_merge" {
  engine            = "postgres"
  instance_class    = "db.t3.micro"
  allocated_storage = 20
  storage_encrypted = true
  kms_key_id        = merge({ k = aws_kms_key.cmk.arn }, { k = local.managed }).k
}

resource "aws_db_instance" "via_element" {
  engine            = "postgres"
  instance_class    = "db.t3.micro"
  allocated_storage = 20
  storage_encrypted = true
  kms_key_id        = element([local.managed, aws_kms_key.cmk.arn], 0)
}

resource "aws_db_instance" "via_for" {
  engine            = "postgres"
  instance_class    = "db.t3.micro"
  allocated_storage = 20
  storage_encrypted = true
  kms_key_id        = one([for k in [local.managed, aws_kms_key.cmk.arn] : k if startswith(k, "alias/")])
}

resource "aws_db_instance" "via_taken_branch" {
  engine            = "postgres"
  instance_class    = "db.t3.micro"
  allocated_storage = 20
  storage_encrypted = true
  kms_key_id        = coalesce(null, aws_kms_key.cmk.arn)
}
