# When the index or key that selects the value is unknown, every candidate is possible: a customer
# key among them is not enough for a pass when the AWS-managed alias is another candidate.
data "aws_ssm_parameter" "choice" {
  name = "/pattern/choice"
}

resource "aws_kms_key" "cmk" {
  enable_key_rotation = true
}

resource "aws_db_instance" "by_index" {
  engine            = "postgres"
  instance_class    = "db.t3.micro"
  allocated_storage = 20
  storage_encrypted = true
  kms_key_id        = element(["alias/aws/rds", aws_kms_key.cmk.arn], tonumber(data.aws_ssm_parameter.choice.value))
}

resource "aws_db_instance" "by_key" {
  engine            = "postgres"
  instance_class    = "db.t3.micro"
  allocated_storage = 20
  storage_encrypted = true
  kms_key_id        = lookup({ managed = "alias/aws/rds", own = aws_kms_key.cmk.arn }, data.aws_ssm_parameter.choice.value, "alias/aws/rds")
}

resource "aws_db_instance" "by_index_all_cmk" {
  engine            = "postgres"
  instance_class    = "db.t3.micro"
  allocated_storage = 20
  storage_encrypted = true
  kms_key_id        = element([aws_kms_key.cmk.arn, aws_kms_key.cmk.arn], tonumber(data.aws_ssm_parameter.choice.value))
}

resource "aws_kms_key" "cmk2" {
  enable_key_rotation = true
}

resource "aws_db_instance" "by_index_two_cmks" {
  engine            = "postgres"
  instance_class    = "db.t3.micro"
  allocated_storage = 20
  storage_encrypted = true
  kms_key_id        = element([aws_kms_key.cmk.arn, aws_kms_key.cmk2.arn], tonumber(data.aws_ssm_parameter.choice.value))
}

resource "aws_db_instance" "by_key_two_cmks" {
  engine            = "postgres"
  instance_class    = "db.t3.micro"
  allocated_storage = 20
  storage_encrypted = true
  kms_key_id        = lookup({ a = aws_kms_key.cmk.arn }, data.aws_ssm_parameter.choice.value, aws_kms_key.cmk2.arn)
}

resource "aws_db_instance" "by_condition_two_cmks" {
  engine            = "postgres"
  instance_class    = "db.t3.micro"
  allocated_storage = 20
  storage_encrypted = true
  kms_key_id        = data.aws_ssm_parameter.choice.value == "a" ? aws_kms_key.cmk.arn : aws_kms_key.cmk2.arn
}

resource "aws_kms_key" "maybe" {
  count               = data.aws_ssm_parameter.choice.value == "x" ? 1 : 0
  enable_key_rotation = true
}

resource "aws_db_instance" "by_condition_maybe_key" {
  engine            = "postgres"
  instance_class    = "db.t3.micro"
  allocated_storage = 20
  storage_encrypted = true
  kms_key_id        = data.aws_ssm_parameter.choice.value == "a" ? aws_kms_key.cmk.arn : aws_kms_key.maybe[0].arn
}
