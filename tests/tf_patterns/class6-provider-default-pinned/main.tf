# The same account with azurerm pinned to 3.x: the provider default TLS1_2 holds (the service's ceiling).
terraform {
  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 3.90"
    }
  }
}

resource "azurerm_storage_account" "logs" {
  name                     = "patternlogs"
  resource_group_name      = "rg-pattern"
  location                 = "westeurope"
  account_tier             = "Standard"
  account_replication_type = "ZRS"
}
