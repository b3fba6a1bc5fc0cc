# When the condition cannot be known, each branch's reference is possible, never enough for a pass.
data "aws_caller_identity" "current" {}

resource "aws_s3_bucket" "left" {
  bucket = "pattern-left"
}

resource "aws_s3_bucket" "right" {
  bucket = "pattern-right"
}

resource "aws_s3_bucket_server_side_encryption_configuration" "one" {
  bucket = data.aws_caller_identity.current.account_id == "111111111111" ? aws_s3_bucket.left.id : aws_s3_bucket.right.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
    }
  }
}
