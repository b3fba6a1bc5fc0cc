# A Front Door security policy whose domains come from a for expression over endpoint keys covers
# exactly those endpoints: the ids are known only after apply, the references are not.
resource "azurerm_cdn_frontdoor_profile" "fd" {
  name                = "pattern-fd"
  resource_group_name = "rg-pattern"
  sku_name            = "Premium_AzureFrontDoor"
}

resource "azurerm_cdn_frontdoor_endpoint" "ep" {
  for_each                 = toset(["covered", "bare"])
  name                     = "pattern-${each.key}"
  cdn_frontdoor_profile_id = azurerm_cdn_frontdoor_profile.fd.id
}

resource "azurerm_cdn_frontdoor_firewall_policy" "waf" {
  name                = "patternwaf"
  resource_group_name = "rg-pattern"
  sku_name            = "Premium_AzureFrontDoor"
  enabled             = true
  mode                = "Prevention"
}

locals {
  protected = [for k in ["covered"] : azurerm_cdn_frontdoor_endpoint.ep[k].id]
}

resource "azurerm_cdn_frontdoor_security_policy" "waf" {
  name                     = "pattern-policy"
  cdn_frontdoor_profile_id = azurerm_cdn_frontdoor_profile.fd.id
  security_policies {
    firewall {
      cdn_frontdoor_firewall_policy_id = azurerm_cdn_frontdoor_firewall_policy.waf.id
      association {
        dynamic "domain" {
          for_each = local.protected
          content {
            cdn_frontdoor_domain_id = domain.value
          }
        }
        patterns_to_match = ["/*"]
      }
    }
  }
}
