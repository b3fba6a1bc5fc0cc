# A configuration in the root joins the bucket a module output stands for, and only that one.
module "logs" {
  source = "./modules/bucket"
  name   = "pattern-logs"
}

module "data" {
  source = "./modules/bucket"
  name   = "pattern-data"
}

resource "aws_s3_bucket_versioning" "logs" {
  bucket = module.logs.id
  versioning_configuration {
    status = "Enabled"
  }
}
