# slice(list, 0, 2) has two elements whatever the list holds: count is known.
data "aws_availability_zones" "available" {}

locals {
  azs = slice(data.aws_availability_zones.available.names, 0, 2)
}

resource "aws_kms_key" "zone" {
  count               = length(local.azs)
  description         = "key for ${local.azs[count.index]}"
  enable_key_rotation = true
}
