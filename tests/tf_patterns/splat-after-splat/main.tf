# A splat after a splat is valid Terraform; one such output must not stop the scan.
resource "aws_kms_key" "k" {
  count               = 2
  enable_key_rotation = true
}

output "nested" {
  value = try(aws_kms_key.k[*].tags_all[*].Name, [])
}
