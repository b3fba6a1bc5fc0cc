# A split encryption configuration whose bucket is chosen by a condition configures one bucket only.
variable "encrypt_primary" {
  default = true
}

resource "aws_s3_bucket" "primary" {
  bucket = "pattern-primary"
}

resource "aws_s3_bucket" "secondary" {
  bucket = "pattern-secondary"
}

resource "aws_s3_bucket_server_side_encryption_configuration" "chosen" {
  bucket = var.encrypt_primary ? aws_s3_bucket.primary.id : aws_s3_bucket.secondary.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}
