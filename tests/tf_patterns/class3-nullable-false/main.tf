# nullable = false: a null input takes the variable's default.
module "db" {
  source   = "./modules/db"
  multi_az = null
}
