# ACME's Azure estate as written in .tf: specguard evaluates it without terraform.
terraform {
  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.0"
    }
  }
}

variable "legacy_redis_version" {
  type    = string
  default = "6"
}


resource "azurerm_redis_cache" "sessions" {
  name                = "acme-sessions"
  location            = "westeurope"
  resource_group_name = "rg-acme"
  capacity            = 1
  family              = "P"
  sku_name            = "Premium"
  redis_version       = "7.2"
}

resource "azurerm_redis_cache" "legacy" {
  name                = "acme-legacy"
  location            = "westeurope"
  resource_group_name = "rg-acme"
  capacity            = 1
  family              = "C"
  sku_name            = "Standard"
  redis_version       = var.legacy_redis_version
}

resource "azurerm_storage_account" "logs" {
  name                     = "acmelogs"
  resource_group_name      = "rg-acme"
  location                 = "westeurope"
  account_tier             = "Standard"
  account_replication_type = "ZRS"
}

resource "azurerm_storage_account" "scratch" {
  name                     = "scratchdata01"
  resource_group_name      = "rg-acme"
  location                 = "westeurope"
  account_tier             = "Standard"
  account_replication_type = "ZRS"
}

resource "azurerm_mssql_server" "orders" {
  name                          = "acme-orders"
  resource_group_name           = "rg-acme"
  location                      = "westeurope"
  version                       = "12.0"
  minimum_tls_version           = "1.2"
  public_network_access_enabled = false
}
