# Front Door security policies whose domain blocks are dynamic: each block's id is followed to the
# element of for_each it comes from (a list, a filtered for expression); where the element cannot be
# told (slice()) each endpoint of the collection is only possibly covered.

resource "azurerm_cdn_frontdoor_profile" "fd" {
  name                = "pattern-fd"
  resource_group_name = "rg-pattern"
  sku_name            = "Premium_AzureFrontDoor"
}

resource "azurerm_cdn_frontdoor_firewall_policy" "waf" {
  name                = "patternwaf"
  resource_group_name = "rg-pattern"
  sku_name            = "Premium_AzureFrontDoor"
  enabled             = true
  mode                = "Prevention"
}

resource "azurerm_cdn_frontdoor_endpoint" "listed" {
  for_each                 = toset(["a", "b", "c"])
  name                     = "pattern-listed-${each.key}"
  cdn_frontdoor_profile_id = azurerm_cdn_frontdoor_profile.fd.id
}

resource "azurerm_cdn_frontdoor_endpoint" "filtered" {
  for_each                 = toset(["a", "b", "c"])
  name                     = "pattern-filtered-${each.key}"
  cdn_frontdoor_profile_id = azurerm_cdn_frontdoor_profile.fd.id
}

resource "azurerm_cdn_frontdoor_endpoint" "all" {
  for_each                 = toset(["a", "b"])
  name                     = "pattern-all-${each.key}"
  cdn_frontdoor_profile_id = azurerm_cdn_frontdoor_profile.fd.id
}

locals {
  filtered = [for k in ["a", "b", "c"] : azurerm_cdn_frontdoor_endpoint.filtered[k].id if k != "c"]
  all      = [for e in azurerm_cdn_frontdoor_endpoint.all : e.id]
}

resource "azurerm_cdn_frontdoor_security_policy" "listed" {
  name                     = "pattern-listed"
  cdn_frontdoor_profile_id = azurerm_cdn_frontdoor_profile.fd.id
  security_policies {
    firewall {
      cdn_frontdoor_firewall_policy_id = azurerm_cdn_frontdoor_firewall_policy.waf.id
      association {
        dynamic "domain" {
          for_each = [azurerm_cdn_frontdoor_endpoint.listed["a"].id, azurerm_cdn_frontdoor_endpoint.listed["b"].id]
          content {
            cdn_frontdoor_domain_id = domain.value
          }
        }
        patterns_to_match = ["/*"]
      }
    }
  }
}

resource "azurerm_cdn_frontdoor_security_policy" "filtered" {
  name                     = "pattern-filtered"
  cdn_frontdoor_profile_id = azurerm_cdn_frontdoor_profile.fd.id
  security_policies {
    firewall {
      cdn_frontdoor_firewall_policy_id = azurerm_cdn_frontdoor_firewall_policy.waf.id
      association {
        dynamic "domain" {
          for_each = local.filtered
          iterator = d
          content {
            cdn_frontdoor_domain_id = d.value
          }
        }
        patterns_to_match = ["/*"]
      }
    }
  }
}

resource "azurerm_cdn_frontdoor_security_policy" "all" {
  name                     = "pattern-all"
  cdn_frontdoor_profile_id = azurerm_cdn_frontdoor_profile.fd.id
  security_policies {
    firewall {
      cdn_frontdoor_firewall_policy_id = azurerm_cdn_frontdoor_firewall_policy.waf.id
      association {
        dynamic "domain" {
          for_each = local.all
          content {
            cdn_frontdoor_domain_id = domain.value
          }
        }
        patterns_to_match = ["/*"]
      }
    }
  }
}

# a map of policies built as a public module builds it: one policy per key, its domains the
# concatenation of for expressions over the keys it lists
resource "azurerm_cdn_frontdoor_endpoint" "keyed" {
  for_each                 = toset(["a", "b", "c"])
  name                     = "pattern-keyed-${each.key}"
  cdn_frontdoor_profile_id = azurerm_cdn_frontdoor_profile.fd.id
}

locals {
  policies = { p1 = { endpoints = ["a"], more = ["b"] }, p2 = { endpoints = ["c"], more = [] } }
  keyed = { for k, v in local.policies : k =>
    concat([for i in v.endpoints : azurerm_cdn_frontdoor_endpoint.keyed[i].id],
           [for i in v.more : azurerm_cdn_frontdoor_endpoint.keyed[i].id])
  }
}

resource "azurerm_cdn_frontdoor_security_policy" "keyed" {
  for_each                 = toset(["p1"])
  name                     = "pattern-keyed-${each.key}"
  cdn_frontdoor_profile_id = azurerm_cdn_frontdoor_profile.fd.id
  security_policies {
    firewall {
      cdn_frontdoor_firewall_policy_id = azurerm_cdn_frontdoor_firewall_policy.waf.id
      association {
        dynamic "domain" {
          for_each = local.keyed[each.key]
          content {
            cdn_frontdoor_domain_id = domain.value
          }
        }
        patterns_to_match = ["/*"]
      }
    }
  }
}

# narrowed to one element by slice() (not followed: each endpoint it mentions is possible) and by a
# filter over the endpoints (followed)
resource "azurerm_cdn_frontdoor_endpoint" "narrowed" {
  for_each                 = toset(["a", "b"])
  name                     = "pattern-narrowed-${each.key}"
  cdn_frontdoor_profile_id = azurerm_cdn_frontdoor_profile.fd.id
}

resource "azurerm_cdn_frontdoor_security_policy" "narrowed" {
  name                     = "pattern-narrowed"
  cdn_frontdoor_profile_id = azurerm_cdn_frontdoor_profile.fd.id
  security_policies {
    firewall {
      cdn_frontdoor_firewall_policy_id = azurerm_cdn_frontdoor_firewall_policy.waf.id
      association {
        dynamic "domain" {
          for_each = slice([azurerm_cdn_frontdoor_endpoint.narrowed["a"].id, azurerm_cdn_frontdoor_endpoint.narrowed["b"].id], 0, 1)
          content {
            cdn_frontdoor_domain_id = domain.value
          }
        }
        dynamic "domain" {
          for_each = [for e in azurerm_cdn_frontdoor_endpoint.narrowed : e.id if e.name == "pattern-narrowed-a"]
          content {
            cdn_frontdoor_domain_id = domain.value
          }
        }
        patterns_to_match = ["/*"]
      }
    }
  }
}

# a counted resource iterated with a filter known at plan time: element i is its i-th kept instance
resource "azurerm_cdn_frontdoor_endpoint" "counted" {
  count                    = 2
  name                     = "pattern-counted-${count.index}"
  cdn_frontdoor_profile_id = azurerm_cdn_frontdoor_profile.fd.id
}

resource "azurerm_cdn_frontdoor_security_policy" "counted" {
  name                     = "pattern-counted"
  cdn_frontdoor_profile_id = azurerm_cdn_frontdoor_profile.fd.id
  security_policies {
    firewall {
      cdn_frontdoor_firewall_policy_id = azurerm_cdn_frontdoor_firewall_policy.waf.id
      association {
        dynamic "domain" {
          for_each = [for e in azurerm_cdn_frontdoor_endpoint.counted : e.id if e.name != "pattern-counted-0"]
          content {
            cdn_frontdoor_domain_id = domain.value
          }
        }
        patterns_to_match = ["/*"]
      }
    }
  }
}
