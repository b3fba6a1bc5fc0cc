# Terraform fills optional(T, d) before try() sees the value: try(var.db.multi_az, true) is false here.
variable "db" {
  type = object({
    name      = string
    multi_az  = optional(bool, false)
    retention = optional(number)
  })
  default = { name = "orders" }
}

resource "aws_db_instance" "main" {
  identifier              = var.db.name
  engine                  = "postgres"
  instance_class          = "db.t3.micro"
  allocated_storage       = 20
  multi_az                = try(var.db.multi_az, true)
  backup_retention_period = coalesce(var.db.retention, 35)
}
