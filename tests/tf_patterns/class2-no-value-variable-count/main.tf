# A count that depends on a variable with no value and no default may or may not create the resource.
variable "enabled" {
  type = bool
}

resource "aws_kms_key" "maybe" {
  count               = var.enabled ? 1 : 0
  enable_key_rotation = true
}
