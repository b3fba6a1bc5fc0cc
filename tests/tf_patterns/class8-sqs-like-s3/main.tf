# A queue that declares nothing rests on the AWS default, like a bucket without a configuration.
resource "aws_sqs_queue" "bare" {
  name = "pattern-bare"
}

resource "aws_sqs_queue" "sse" {
  name                    = "pattern-sse"
  sqs_managed_sse_enabled = true
}

resource "aws_s3_bucket" "bare" {
  bucket = "pattern-bare"
}
