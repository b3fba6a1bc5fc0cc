# Terraform's pure functions are evaluated, in tags, counts and conditions.
locals {
  envs   = sort(["staging", "prod", "dev"])
  picked = slice(local.envs, 1, 2)[0]
  flags  = [false, true]
  tags = {
    Environment = local.picked
    Project     = basename("/srv/projects/platform")
    CostCenter  = format("cc-%04d", 42)
    Owner       = lower(replace("Platform_Team", "_", "-"))
  }
}

resource "aws_kms_key" "tagged" {
  count               = anytrue(local.flags) ? 1 : 0
  enable_key_rotation = alltrue([for f in local.flags : !f || f])
  tags                = local.tags
}
