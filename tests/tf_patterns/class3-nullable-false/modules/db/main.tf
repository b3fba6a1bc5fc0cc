variable "multi_az" {
  type     = bool
  default  = true
  nullable = false
}

resource "aws_db_instance" "this" {
  engine            = "mysql"
  instance_class    = "db.t3.micro"
  allocated_storage = 20
  multi_az          = var.multi_az
}
