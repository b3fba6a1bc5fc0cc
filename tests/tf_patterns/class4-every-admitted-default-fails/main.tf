# Whatever azurerm version is admitted, this server's minimum TLS is below 1.3 (2.x: no minimum,
# 3.x and later: 1.2): an unpinned provider leaves the value open, not the verdict.
terraform {
  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = ">= 2.0"
    }
  }
}

resource "azurerm_mssql_server" "db" {
  name                         = "pattern-sql"
  resource_group_name          = "rg-pattern"
  location                     = "westeurope"
  version                      = "12.0"
  administrator_login          = "app"
  administrator_login_password = "not-a-real-password"
}
