# A module input set to null is null (nullable by default): the child's default does NOT apply.
variable "databases" {
  type = map(object({
    multi_az = optional(bool)
  }))
  default = {
    a = {}
    b = { multi_az = true }
  }
}

module "db" {
  source   = "./modules/db"
  for_each = var.databases
  multi_az = each.value.multi_az
}

module "db_default" {
  source = "./modules/db"
}
