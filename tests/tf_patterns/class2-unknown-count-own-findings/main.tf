# A resource whose count cannot be evaluated may not exist: its own findings are unknown.
data "aws_availability_zones" "all" {}

resource "aws_kms_key" "maybe" {
  count               = length(data.aws_availability_zones.all.names) > 2 ? 1 : 0
  enable_key_rotation = true
}
