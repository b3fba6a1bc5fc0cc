# azurerm 2.x defaulted min_tls_version to TLS1_0: a configuration admitting 2.x has not shown TLS1_2.
terraform {
  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = ">= 2.40"
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
