# Joins through counted and for_each references go to the instance referenced, not to all of them.
resource "aws_s3_bucket" "counted" {
  count  = 2
  bucket = "pattern-counted-${count.index}"
}

resource "aws_s3_bucket_versioning" "first_only" {
  bucket = aws_s3_bucket.counted[0].id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket" "keyed" {
  for_each = toset(["a", "b"])
  bucket   = "pattern-keyed-${each.key}"
}

resource "aws_s3_bucket_server_side_encryption_configuration" "keyed" {
  for_each = toset(["a"])
  bucket   = aws_s3_bucket.keyed[each.key].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}
