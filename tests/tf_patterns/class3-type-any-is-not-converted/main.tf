# type = any converts nothing: an attribute nobody wrote is absent, so try() does reach its fallback.
# (The opposite of optional(): a fix for class 3 must not invent attributes here.)
variable "settings" {
  type    = any
  default = { primary = {} }
}

resource "aws_db_instance" "main" {
  engine            = "postgres"
  instance_class    = "db.t3.micro"
  allocated_storage = 20
  multi_az          = try(var.settings.primary.multi_az, true)
}

resource "aws_db_instance" "lookup" {
  engine            = "postgres"
  instance_class    = "db.t3.micro"
  allocated_storage = 20
  multi_az          = lookup(var.settings.primary, "multi_az", false)
}
