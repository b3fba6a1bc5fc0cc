# Two buckets share a name literal; the configuration references one of them.
resource "aws_s3_bucket" "logs" {
  bucket = "pattern-shared-name"
}

resource "aws_s3_bucket" "lookalike" {
  bucket = "pattern-shared-name"
}

resource "aws_s3_bucket_server_side_encryption_configuration" "logs" {
  bucket = aws_s3_bucket.logs.bucket
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}
