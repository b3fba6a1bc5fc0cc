# Every relational database type is a database.
resource "azurerm_mysql_flexible_server" "app" {
  name                   = "pattern-mysql"
  resource_group_name    = "rg-pattern"
  location               = "westeurope"
  sku_name               = "GP_Standard_D2ds_v4"
  backup_retention_days  = 7
  administrator_login    = "app"
  administrator_password = "not-a-real-password"
}

resource "azurerm_mariadb_server" "legacy" {
  name                         = "pattern-mariadb"
  resource_group_name          = "rg-pattern"
  location                     = "westeurope"
  sku_name                     = "GP_Gen5_2"
  version                      = "10.3"
  backup_retention_days        = 35
  geo_redundant_backup_enabled = true
  ssl_enforcement_enabled      = false
  administrator_login          = "app"
  administrator_login_password = "not-a-real-password"
}

resource "azurerm_sql_server" "old" {
  name                         = "pattern-sql"
  resource_group_name          = "rg-pattern"
  location                     = "westeurope"
  version                      = "12.0"
  administrator_login          = "app"
  administrator_login_password = "not-a-real-password"
}
