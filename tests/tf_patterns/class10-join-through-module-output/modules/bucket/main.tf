variable "name" {}

resource "aws_s3_bucket" "this" {
  bucket = var.name
}

output "id" {
  value = aws_s3_bucket.this.id
}
