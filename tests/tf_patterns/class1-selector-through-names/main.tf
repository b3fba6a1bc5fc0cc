# An index or key that is not known, applied to a local value or a module input that holds several
# keys, picks one of them: a customer key among the candidates is no pass; every candidate one is.
data "aws_ssm_parameter" "choice" {
  name = "/pattern/choice"
}

resource "aws_kms_key" "cmk" {
  enable_key_rotation = true
}

locals {
  keys     = ["alias/aws/rds", aws_kms_key.cmk.arn]
  own_keys = { a = aws_kms_key.cmk.arn, b = aws_kms_key.cmk.arn }
}

resource "aws_db_instance" "by_local_index" {
  engine            = "postgres"
  instance_class    = "db.t3.micro"
  allocated_storage = 20
  storage_encrypted = true
  kms_key_id        = local.keys[tonumber(data.aws_ssm_parameter.choice.value)]
}

resource "aws_db_instance" "by_local_key_all_cmk" {
  engine            = "postgres"
  instance_class    = "db.t3.micro"
  allocated_storage = 20
  storage_encrypted = true
  kms_key_id        = { a = aws_kms_key.cmk.arn, b = aws_kms_key.cmk.arn }[data.aws_ssm_parameter.choice.value]
}

resource "aws_db_instance" "by_condition_same_key" {
  engine            = "postgres"
  instance_class    = "db.t3.micro"
  allocated_storage = 20
  storage_encrypted = true
  kms_key_id        = data.aws_ssm_parameter.choice.value == "a" ? aws_kms_key.cmk.arn : aws_kms_key.cmk.key_id
}

module "db" {
  source = "./db"
  keys   = ["alias/aws/rds", aws_kms_key.cmk.arn]
  choice = data.aws_ssm_parameter.choice.value
}
