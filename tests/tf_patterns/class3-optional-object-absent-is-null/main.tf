# An omitted optional(object) attribute is null: its nested defaults do not make it appear.
variable "db" {
  type = object({
    name = string
    ha = optional(object({
      enabled = optional(bool, true)
    }))
    backup = optional(object({
      days = optional(number, 35)
    }), {})
  })
  default = { name = "orders" }
}

resource "aws_db_instance" "main" {
  identifier              = var.db.name
  engine                  = "postgres"
  instance_class          = "db.t3.micro"
  allocated_storage       = 20
  multi_az                = try(var.db.ha.enabled, false)
  backup_retention_period = var.db.backup.days
}
