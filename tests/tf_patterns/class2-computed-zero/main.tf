# count = 0, however it is computed, creates nothing: no finding and no join.
locals {
  regions  = ["eu-west-1"]
  multi    = length(local.regions) > 1
  versions = { for k, v in { data = "Enabled" } : k => v if local.multi }
}

resource "aws_s3_bucket" "data" {
  bucket = "pattern-zero"
}

resource "aws_s3_bucket_versioning" "data" {
  count  = local.multi ? 1 : 0
  bucket = aws_s3_bucket.data.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_kms_key" "never" {
  for_each            = local.versions
  enable_key_rotation = false
}
