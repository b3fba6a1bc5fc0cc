# Without a reference, a literal that several resources share decides nothing.
resource "aws_s3_bucket" "one" {
  bucket = "pattern-same"
}

resource "aws_s3_bucket" "two" {
  bucket = "pattern-same"
}

resource "aws_s3_bucket" "three" {
  bucket = "pattern-unique"
}

resource "aws_s3_bucket_versioning" "by_name" {
  bucket = "pattern-same"
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_versioning" "by_unique_name" {
  bucket = "pattern-unique"
  versioning_configuration {
    status = "Enabled"
  }
}
