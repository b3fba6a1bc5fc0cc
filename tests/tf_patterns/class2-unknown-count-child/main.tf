# A versioning resource that may or may not exist cannot make its bucket pass.
data "aws_s3_objects" "markers" {
  bucket = "some-other-bucket"
}

resource "aws_s3_bucket" "data" {
  bucket = "pattern-data"
}

resource "aws_s3_bucket_versioning" "data" {
  count  = length(data.aws_s3_objects.markers.keys) > 0 ? 1 : 0
  bucket = aws_s3_bucket.data.id
  versioning_configuration {
    status = "Enabled"
  }
}
