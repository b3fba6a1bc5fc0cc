# The bucket a split resource configures is the value its argument evaluates to; a reference in an
# argument that is not returned configures nothing.
resource "aws_s3_bucket" "written" {
  bucket = "pattern-written"
}

resource "aws_s3_bucket" "named" {
  bucket = "pattern-named"
}

resource "aws_s3_bucket_versioning" "v" {
  bucket = coalesce("pattern-named", aws_s3_bucket.written.id)
  versioning_configuration {
    status = "Enabled"
  }
}
