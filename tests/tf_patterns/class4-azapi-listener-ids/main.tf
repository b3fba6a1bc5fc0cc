# An application gateway written as an azapi_resource body: sub-resource ids embed the gateway's
# own id, which is known only after apply.  With no redirect configuration at all, the plain-HTTP
# listener redirects nowhere whatever those ids turn out to be.
resource "azurerm_resource_group" "rg" {
  name     = "rg-pattern"
  location = "westeurope"
}

locals {
  gw_id = "${azurerm_resource_group.rg.id}/providers/Microsoft.Network/applicationGateways/gw-pattern"
}

resource "azapi_resource" "gateway" {
  type      = "Microsoft.Network/applicationGateways@2024-05-01"
  name      = "gw-pattern"
  parent_id = azurerm_resource_group.rg.id
  location  = "westeurope"
  body = {
    properties = {
      sku = { name = "Standard_v2", tier = "Standard_v2", capacity = 2 }
      frontendPorts = [{ name = "http", properties = { port = 80 } }]
      httpListeners = [{
        name = "plain"
        properties = {
          protocol     = "Http"
          frontendPort = { id = "${local.gw_id}/frontendPorts/http" }
        }
      }]
      requestRoutingRules = [{
        name = "to-backend"
        properties = {
          ruleType     = "Basic"
          priority     = 100
          httpListener = { id = "${local.gw_id}/httpListeners/plain" }
        }
      }]
    }
  }
}
