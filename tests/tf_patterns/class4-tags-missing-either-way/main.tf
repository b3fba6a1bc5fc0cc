# Whether a Name tag is added is unknown; the required tags are missing with or without it.
resource "random_string" "suffix" {
  length  = 6
  special = false
}

locals {
  name = join("-", ["pattern", random_string.suffix.result])
  tags = merge(
    { Team = "platform" },
    local.name != "" ? { Name = local.name } : {}
  )
}

resource "aws_kms_key" "k" {
  enable_key_rotation = true
  tags                = local.tags
}
