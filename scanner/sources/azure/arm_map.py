"""ARM resource JSON -> model Resources (the FIELD CONTRACT of scanner.model).

The kinds, Terraform-equivalent types and fields are the ones the Terraform
azurerm mappers produce, so one rule gives one verdict whichever source the
resource came from.  Every field is a Value whose Origin names the ARM
property path (``properties.dataEncryption.type``) and the call that returned
it (``GET Microsoft.DBforPostgreSQL/flexibleServers``).  A child setting whose
read failed is an Unknown carrying the error, never absent and never a pass.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from ...model import Resource
from ...values import Origin, Unknown, Value
from . import arm_dr, arm_edge, arm_iam, arm_msg
from .inventory import (FD_DOMAIN, FD_ENDPOINT, GENERIC, MARIADB, MYSQL, MYSQL_FLEX, PG, PG_SINGLE, SQL, SQLDB, VNET,
                        Failure, Inventory, Item, parse_id)

SOURCE = "azure"
_MISSING = object()

TF_TYPES = {
    PG: ("database", "azurerm_postgresql_flexible_server"),
    MYSQL_FLEX: ("database", "azurerm_mysql_flexible_server"),
    MYSQL: ("database", "azurerm_mysql_server"),
    MARIADB: ("database", "azurerm_mariadb_server"),
    PG_SINGLE: ("database", "azurerm_postgresql_server"),
    SQL: ("database", "azurerm_mssql_server"),
    SQLDB: ("database", "azurerm_mssql_database"),
    "Microsoft.Storage/storageAccounts": ("object_store", "azurerm_storage_account"),
    "Microsoft.Cache/Redis": ("cache", "azurerm_redis_cache"),
    "Microsoft.Network/applicationGateways": ("tls_listener", "azurerm_application_gateway"),
    "Microsoft.Network/networkSecurityGroups": ("security_group", "azurerm_network_security_group"),
    "Microsoft.Network/applicationSecurityGroups": ("application_security_group",
                                                    "azurerm_application_security_group"),
    "Microsoft.KeyVault/vaults": ("key_vault", "azurerm_key_vault"),
    FD_DOMAIN: ("edge_endpoint", "azurerm_cdn_frontdoor_custom_domain"),
    FD_ENDPOINT: ("web_entry", "azurerm_cdn_frontdoor_endpoint"),
    VNET: ("network", "azurerm_virtual_network"),
    GENERIC: ("generic", "azurerm_resource"),
}
# Types that carry no tags (proxy resources): no tags field, so TAG-01 does not apply, as in a plan.
UNTAGGED = {FD_DOMAIN}
# Other taggable types (kind generic, TAG-01 only) -> their Terraform type; a type not listed
# keeps its ARM type, lower-cased, as its type.
GENERIC_TYPES = {
    "microsoft.resources/resourcegroups": "azurerm_resource_group",
    "microsoft.network/virtualnetworks": "azurerm_virtual_network",
    "microsoft.network/publicipaddresses": "azurerm_public_ip",
    "microsoft.network/privateendpoints": "azurerm_private_endpoint",
    "microsoft.network/privatednszones": "azurerm_private_dns_zone",
    "microsoft.network/privatednszones/virtualnetworklinks": "azurerm_private_dns_zone_virtual_network_link",
    "microsoft.network/networkinterfaces": "azurerm_network_interface",
    "microsoft.network/frontdoorwebapplicationfirewallpolicies": "azurerm_cdn_frontdoor_firewall_policy",
    "microsoft.network/applicationgatewaywebapplicationfirewallpolicies": "azurerm_web_application_firewall_policy",
    "microsoft.managedidentity/userassignedidentities": "azurerm_user_assigned_identity",
    "microsoft.network/networkwatchers": "azurerm_network_watcher",
    "microsoft.network/networkwatchers/flowlogs": "azurerm_network_watcher_flow_log",
    "microsoft.containerservice/managedclusters": "azurerm_kubernetes_cluster",
    "microsoft.eventhub/namespaces": "azurerm_eventhub_namespace",
    "microsoft.servicebus/namespaces": "azurerm_servicebus_namespace",
    "microsoft.operationalinsights/workspaces": "azurerm_log_analytics_workspace",
    "microsoft.cdn/profiles": "azurerm_cdn_frontdoor_profile",
    "microsoft.web/serverfarms": "azurerm_service_plan",
    # types of a family the catalogue covers that no mapper reads yet: TAG-01 only, and said under
    # coverage (unmapped_entries)
    "microsoft.sql/managedinstances": "azurerm_mssql_managed_instance",
    "microsoft.dbforpostgresql/servergroupsv2": "azurerm_cosmosdb_postgresql_cluster",
    "microsoft.cache/redisenterprise": "azurerm_redis_enterprise_cluster",
    "microsoft.keyvault/managedhsms": "azurerm_key_vault_managed_hardware_security_module",
    "microsoft.network/frontdoors": "azurerm_frontdoor",
    "microsoft.cdn/profiles/endpoints": "azurerm_cdn_endpoint",
}
INTERNET = {"*", "internet", "0.0.0.0/0", "0.0.0.0/0.0.0.0", "any"}
TIER_TAG = "Tier"


class Props:
    """Read dotted paths of one ARM body (or a child's body) as Values with origins."""

    def __init__(self, body: dict, api: str, prefix: str = ""):
        self.body = body
        self.api = api
        self.prefix = prefix

    def origin(self, path: str) -> Origin:
        return Origin(SOURCE, self.prefix + path, api=self.api)

    def raw(self, path: str) -> Any:
        cur: Any = self.body
        for part in path.split("."):
            if isinstance(cur, Unknown):
                return cur      # a body written in .tf (azapi_resource) may hold values not known yet
            if not isinstance(cur, dict) or part not in cur:
                return _MISSING
            cur = cur[part]
        return cur

    def value(self, path: str, convert: Callable[[Any], Any] | None = None, *, missing: Any = _MISSING,
              missing_note: str = "") -> Value:
        """The property as a Value; not returned -> ``missing`` when given (documented default), else Unknown."""
        v = self.raw(path)
        if isinstance(v, Unknown):
            return Unknown(v.reason, self.origin(path))
        if v is _MISSING or v is None:
            if missing is _MISSING:
                return Unknown(f"{path} was not returned by {self.api}", self.origin(path))
            note = f" ({missing_note})" if missing_note else ""
            return Value(missing, self.origin(path + note))
        return Value(convert(v) if convert else v, self.origin(path))


def child(item: Item, name: str) -> Props | Unknown:
    got = item.children.get(name)
    if isinstance(got, Failure):
        return Unknown(got.reason, Origin(SOURCE, name, api=got.api))
    if got is None:
        return Unknown(f"{name} was not read", Origin(SOURCE, name))
    body, api = got
    return Props(body, api, prefix=f"{name}:")


# The fields each type is filled with: a placeholder for an unlisted type has them all Unknown.
FIELDS = {
    PG: ("engine", "encrypted", "encryption_key", "encryption_key_managed_by", "multi_az", "backup_retention_days",
         "backup_cross_region", "requires_tls", "tls_min_version", "publicly_accessible", "credentials_managed",
         "cross_region_replica"),
    MYSQL_FLEX: ("engine", "encrypted", "encryption_key", "encryption_key_managed_by", "multi_az",
                 "backup_retention_days", "backup_cross_region", "requires_tls", "tls_min_version"),
    **{t: ("engine", "encrypted", "encryption_key_managed_by", "multi_az", "backup_retention_days",
           "backup_cross_region", "requires_tls", "tls_min_version") for t in (MYSQL, MARIADB, PG_SINGLE)},
    SQL: ("engine", "encryption_key_managed_by", "encryption_key", "requires_tls", "tls_min_version",
          "publicly_accessible", "credentials_managed"),
    SQLDB: ("engine", "multi_az", "backup_retention_days", "backup_cross_region", "cross_region_replica"),
    "Microsoft.Storage/storageAccounts": ("platform_encrypted", "default_encryption", "encryption_key_managed_by",
                                          "requires_tls", "tls_min_version"),
    "Microsoft.Cache/Redis": ("requires_tls", "tls_min_version", "zone_count", "publicly_accessible"),
    "Microsoft.Network/applicationGateways": ("protocol", "terminates_tls", "plain_http", "tls_policy",
                                              "tls_min_version", "http_redirects_to_https", "web_acl"),
    "Microsoft.Network/networkSecurityGroups": ("tier", "ingress", "egress"),
    "Microsoft.Network/applicationSecurityGroups": ("tier",),
    "Microsoft.KeyVault/vaults": ("purge_protection",),
    FD_DOMAIN: ("tls_policy", "tls_min_version"),
    FD_ENDPOINT: ("web_acl",),
    VNET: ("flow_logged",),
    GENERIC: (),
}


def to_resources(inv: Inventory) -> list[Resource]:
    out = [to_resource(item, inv) for item in inv.items]
    out += [generic(body, sub, api, inv) for body, sub, api in inv.generic]
    out += [placeholder(*u) for u in inv.unlisted]
    return out


def unmapped_entries(bodies: list[tuple[dict, str, str]]) -> list[dict]:
    """Coverage entries for listed resources of a covered family (a database, cache, key, ...)
    whose type no mapper reads: they get TAG-01 only, and the report says which controls are not checked."""
    from ..terraform.families import FAMILIES, family

    found: dict[tuple[str, str, str], list[str]] = {}
    for body, sub, _api in bodies:
        arm_type = str(body.get("type") or "")
        tf_type = GENERIC_TYPES.get(arm_type.lower())
        if tf_type and family(tf_type) and body.get("id"):
            found.setdefault((arm_type, tf_type, sub or ""), []).append(body["id"])
    out = []
    for (arm_type, tf_type, sub), ids in sorted(found.items()):
        fam = family(tf_type)
        what, controls, _ = FAMILIES[fam]
        out.append({"kind": "type-not-mapped",
                    "message": f"{arm_type} ({tf_type}) in subscription {sub}: specguard does not map this {what} "
                               f"type; its {controls} controls are not checked ({len(ids)} resource"
                               f"{'s' if len(ids) != 1 else ''})",
                    "type": tf_type, "arm_type": arm_type, "family": fam, "subscription": sub, "resources": ids})
    return out


def generic(body: dict, sub: str, api: str, inv: Inventory) -> Resource:
    """Any other resource: only its tags (and its resource group's)."""
    rid = body["id"]
    ids = parse_id(rid)
    arm_type = str(body.get("type") or "")
    is_rg = arm_type.lower() == "microsoft.resources/resourcegroups"
    rg = body.get("name") if is_rg else ids["resource_group"]
    r = Resource(kind="generic", type=GENERIC_TYPES.get(arm_type.lower(), arm_type.lower()), address=rid,
                 provider="azure", source=SOURCE, name=body.get("name") or rid.rsplit("/", 1)[-1],
                 context={"subscription": ids["subscription"] or sub, "resource_group": rg,
                          "location": _location(body)})
    r.keys.add(rid.lower())
    r.raw, r.raw_api = body, api   # the ARM JSON as listed (user fields read it)
    p = Props(body, api)
    r.set("tags", p.value("tags", lambda t: dict(t or {}), missing={}, missing_note="no tags"))
    if not is_rg:
        r.set("inherited_tags", _rg_tags(inv, r.context["subscription"], rg or ""))
    return r


def placeholder(scope_id: str, sub: str, arm_type: str, failure: Failure) -> Resource:
    """Stands for every resource of a type a failed listing did not show: all fields Unknown.

    The controls covering the type then report ``unknown`` for the scope instead
    of having nothing to check.
    """
    kind, tf_type = TF_TYPES[arm_type]
    ids = parse_id(scope_id)
    r = Resource(kind=kind, type=tf_type, address=scope_id, provider="azure", source=SOURCE,
                 name=f"({arm_type} in subscription {sub}: not listed)",
                 context={"subscription": sub, "resource_group": ids["resource_group"] or None,
                          "unlisted": failure.reason})
    # opaque: every control of its kind is unknown, also those that decide from a field whether they
    # apply (NET-01..03 and a group's tier), which would otherwise say nothing for it
    r.opaque = f"{arm_type} in subscription {sub} could not be listed: {failure.reason}"
    for f in FIELDS[arm_type] + (() if arm_type in UNTAGGED else ("tags",)):
        r.set(f, Unknown(failure.reason, Origin(SOURCE, f, api=failure.api)))
    return r


def to_resource(item: Item, inv: Inventory) -> Resource | None:
    kind, tf_type = TF_TYPES[item.arm_type]
    body = item.body
    rid = body["id"]
    ids = parse_id(rid)
    p = Props(body, item.api)
    ctx = {"subscription": ids["subscription"] or item.subscription, "resource_group": ids["resource_group"],
           "location": _location(body)}
    r = Resource(kind=kind, type=tf_type, address=rid, provider="azure", source=SOURCE,
                 name=body.get("name") or ids["names"][-1], context=ctx)
    r.keys.add(rid.lower())
    r.raw, r.raw_api = body, item.api   # the ARM JSON as listed (user fields read it)
    if item.arm_type not in UNTAGGED:
        r.set("tags", p.value("tags", lambda t: dict(t or {}), missing={}, missing_note="no tags"))
        r.set("inherited_tags", _rg_tags(inv, ctx["subscription"], ctx["resource_group"]))
    MAPPERS[item.arm_type](item, p, r)
    arm_dr.credentials(item, r)    # SEC-01
    arm_dr.replicas(item, r, inv)  # DR-01
    if item.arm_type == VNET:   # its flow logs are read under the network watchers: joined here
        sub = r.context["subscription"].lower()
        r.set("flow_logged", arm_edge.vnet_flow_logged(item.body, item.api, inv.flow_logs.get(sub, []),
                                                       inv.flow_log_failures.get(sub, [])))
    return r


def _location(body: dict) -> str | None:
    loc = body.get("location")
    return loc.replace(" ", "").lower() if isinstance(loc, str) else None


def _rg_tags(inv: Inventory, sub: str, rg: str) -> Value:
    origin = Origin(SOURCE, f"resourceGroups/{rg}.tags", api="GET Microsoft.Resources/resourceGroups")
    got = inv.rg_tags.get((sub.lower(), rg.lower()))
    if got is not None:
        return Value(got, origin)
    failed = inv.rg_failures.get(sub.lower())
    if failed is not None:
        return Unknown(failed.reason, origin)
    return Unknown(f"resource group {rg} was not in the resource group listing", origin)


# ----------------------------------------------------------------------------- normalising
def tls_version(v: Any) -> str | None:
    """'TLSv1.2', 'TLS1_2', '1.2', 'TLSv1_3' -> '1.2' / '1.3'; 'None'/'Disabled'/'TLSEnforcementDisabled'
    (no minimum) -> '1.0'; a list of accepted versions ('TLSv1.2,TLSv1.3') -> its lowest."""
    s = str(v).strip().lower()
    if s in ("none", "disabled", "", "tlsenforcementdisabled"):
        return "1.0"
    if "," in s:
        found = [tls_version(x) for x in s.split(",") if x.strip()]
        return None if not found or None in found else min(found)
    compact = re.fullmatch(r"tlsv?1([0-3])", s)     # Front Door: TLS10, TLS12
    if compact:
        return f"1.{compact.group(1)}"
    for ver in ("1.0", "1.1", "1.2", "1.3"):
        if s.endswith(ver) or s.endswith(ver.replace(".", "_")):
            return ver
    return None


def _on(v: Any) -> bool:
    return str(v).strip().lower() in ("on", "true", "1", "enabled")


# ----------------------------------------------------------------------------- per type
def _postgres(item: Item, p: Props, r: Resource) -> None:
    r.set("engine", Value("postgres", p.origin("type")))
    _data_encryption(p, r)
    r.set("multi_az", p.value("properties.highAvailability.mode", lambda m: str(m).lower() == "zoneredundant"))
    r.set("backup_retention_days", p.value("properties.backup.backupRetentionDays", int))
    r.set("backup_cross_region", p.value("properties.backup.geoRedundantBackup", _on))
    for name, fld, conv in (("require_secure_transport", "requires_tls", _on),
                            ("ssl_min_protocol_version", "tls_min_version", tls_version)):
        c = child(item, f"configurations/{name}")
        r.set(fld, c if isinstance(c, Unknown) else c.value("properties.value", conv))


def _mysql_flexible(item: Item, p: Props, r: Resource) -> None:
    """As the Terraform mapper of azurerm_mysql_flexible_server; TLS from the server parameters."""
    r.set("engine", Value("mysql", p.origin("type")))
    _data_encryption(p, r)
    r.set("multi_az", p.value("properties.highAvailability.mode", lambda m: str(m).lower() == "zoneredundant"))
    r.set("backup_retention_days", p.value("properties.backup.backupRetentionDays", int))
    r.set("backup_cross_region", p.value("properties.backup.geoRedundantBackup", _on))
    for name, fld, conv in (("require_secure_transport", "requires_tls", _on),
                            ("tls_version", "tls_min_version", tls_version)):
        c = child(item, f"configurations/{name}")
        r.set(fld, c if isinstance(c, Unknown) else c.value("properties.value", conv))


def _data_encryption(p: Props, r: Resource) -> None:
    """Flexible servers (PostgreSQL, MySQL): whose key encrypts storage."""
    enc_type = p.raw("properties.dataEncryption.type")
    if enc_type is _MISSING or enc_type is None:
        u = p.value("properties.dataEncryption.type")
        r.set("encrypted", u)
        r.set("encryption_key_managed_by", u)
    else:
        # Azure always encrypts flexible-server storage; the question is whose key
        r.set("encrypted", Value(True, p.origin("properties.dataEncryption.type")))
        r.set("encryption_key_managed_by", p.value(
            "properties.dataEncryption.type", lambda t: "customer" if str(t).lower() == "azurekeyvault" else "provider"))
    r.set("encryption_key", p.value("properties.dataEncryption.primaryKeyURI", missing=None,
                                    missing_note="no customer key: service-managed"))


# single servers: engine, and whether the service offers customer-managed keys (byokEnforcement)
SINGLE_SERVERS = {MYSQL: ("mysql", True), MARIADB: ("mariadb", False), PG_SINGLE: ("postgres", True)}


def _single_server(item: Item, p: Props, r: Resource) -> None:
    """MySQL / MariaDB / PostgreSQL single server (2017-12-01 / 2018-06-01), as the Terraform mapper."""
    engine, byok = SINGLE_SERVERS[item.arm_type]
    r.set("engine", Value(engine, p.origin("type")))
    r.set("encrypted", Value(True, p.origin("properties (Azure always encrypts storage)")))
    if byok:
        # read-only: whether data encryption with a customer-managed key is on; not returned = off
        r.set("encryption_key_managed_by", p.value(
            "properties.byokEnforcement", lambda v: "customer" if _on(v) else "provider",
            missing="provider", missing_note="not returned: service-managed key"))
    else:
        r.set("encryption_key_managed_by", Value("provider", p.origin(
            "type (the service offers no customer-managed key: service-managed key)")))
    r.set("multi_az", Value(False, p.origin("type (a single server runs in one availability zone: no "
                                            "zone-redundant mode)")))
    r.set("requires_tls", p.value("properties.sslEnforcement", _on))
    enforced = p.raw("properties.sslEnforcement")
    if isinstance(enforced, str) and not _on(enforced):
        # SSL off: every version is accepted, whatever minimalTlsVersion says
        r.set("tls_min_version", Value("1.0", p.origin("properties.sslEnforcement (Disabled: no minimum)")))
    else:
        # documented: a server created without the property enforces no minimum
        r.set("tls_min_version", p.value("properties.minimalTlsVersion", tls_version, missing="1.0",
                                         missing_note="not returned: TLSEnforcementDisabled"))
    r.set("backup_retention_days", p.value("properties.storageProfile.backupRetentionDays", int))
    r.set("backup_cross_region", p.value("properties.storageProfile.geoRedundantBackup", _on))


def _sql_server(item: Item, p: Props, r: Resource) -> None:
    r.set("engine", Value("sqlserver", p.origin("type")))
    c = child(item, "encryptionProtector")
    if isinstance(c, Unknown):
        r.set("encryption_key_managed_by", c)
        r.set("encryption_key", c)
    else:
        r.set("encryption_key_managed_by", c.value(
            "properties.serverKeyType", lambda t: "customer" if str(t).lower() == "azurekeyvault" else "provider"))
        r.set("encryption_key", c.value("properties.uri", missing=None, missing_note="service-managed key"))
    # Azure SQL encrypts every connection (documented); the setting is the minimum version
    r.set("requires_tls", Value(True, p.origin("properties (Azure SQL always requires encrypted connections)")))
    r.set("tls_min_version", p.value("properties.minimalTlsVersion", tls_version))


def _sql_database(item: Item, p: Props, r: Resource) -> None:
    r.set("engine", Value("sqlserver", p.origin("type")))
    r.set("multi_az", p.value("properties.zoneRedundant", bool))
    c = child(item, "backupShortTermRetentionPolicies/default")
    r.set("backup_retention_days", c if isinstance(c, Unknown) else c.value("properties.retentionDays", int))
    r.set("backup_cross_region", p.value("properties.requestedBackupStorageRedundancy",
                                         lambda s: str(s).lower() in ("geo", "geozone")))


def _storage(item: Item, p: Props, r: Resource) -> None:
    r.set("platform_encrypted", Value(True, p.origin("properties.encryption (Azure Storage always encrypts)")))
    r.set("default_encryption", p.value("properties.encryption.keySource", missing="Microsoft.Storage",
                                        missing_note="not returned: Microsoft-managed keys"))
    r.set("encryption_key_managed_by", p.value(
        "properties.encryption.keySource", lambda s: "customer" if str(s).lower() == "microsoft.keyvault" else "provider",
        missing="provider", missing_note="not returned: Microsoft-managed keys"))
    r.set("requires_tls", p.value("properties.supportsHttpsTrafficOnly", bool))
    # documented: an account whose minimumTlsVersion is not set accepts TLS 1.0 and later
    r.set("tls_min_version", p.value("properties.minimumTlsVersion", tls_version, missing="1.0",
                                     missing_note="not set: TLS 1.0 and later accepted"))


def _redis(item: Item, p: Props, r: Resource) -> None:
    r.set("requires_tls", p.value("properties.enableNonSslPort", lambda on: not on))
    r.set("tls_min_version", p.value("properties.minimumTlsVersion", tls_version))
    zones = p.raw("zones")
    if isinstance(zones, Unknown):
        r.set("zone_count", Unknown(zones.reason, p.origin("zones")))
        return
    r.set("zone_count", Value(len(zones) if isinstance(zones, list) else 0,
                              p.origin("zones" if isinstance(zones, list) else "zones (none: not zone-redundant)")))


# Application Gateway predefined policies -> their minimum protocol
APPGW_POLICIES = {"appgwsslpolicy20150501": "1.0", "appgwsslpolicy20170401": "1.1",
                  "appgwsslpolicy20170401s": "1.2", "appgwsslpolicy20220101": "1.2",
                  "appgwsslpolicy20220101s": "1.2"}


def _policy(pol: Any, where: str, p: Props) -> tuple[Value, Value]:
    """(tls_policy, tls_min_version) of one sslPolicy object."""
    if not isinstance(pol, dict) or not pol:
        # No policy: the gateway's default, AppGwSslPolicy20150501 (TLS 1.0) before API 2023-02-01 and
        # AppGwSslPolicy20220101 (TLS 1.2) since; take the older, as the Terraform mapper does.
        o = p.origin(f"{where} (not set: the gateway's default policy; AppGwSslPolicy20150501 on older API versions)")
        return Value(None, o), Value("1.0", o)
    ptype = str(pol.get("policyType") or "")
    if ptype.lower() == "predefined":
        name = str(pol.get("policyName") or "")
        ver = APPGW_POLICIES.get(name.lower())
        o = p.origin(f"{where}.policyName")
        return Value(name, o), (Value(ver, o) if ver else Unknown(f"unknown predefined policy {name}", o))
    o = p.origin(f"{where}.minProtocolVersion")
    mv = pol.get("minProtocolVersion")
    return (Value(ptype or "Custom", p.origin(f"{where}.policyType")),
            Value(tls_version(mv), o) if mv else Unknown(f"{where}.minProtocolVersion was not returned", o))


def _app_gateway(item: Item, p: Props, r: Resource) -> None:
    props = item.body.get("properties") or {}
    listeners = props.get("httpListeners") or []
    profiles = {x.get("id", "").lower(): x for x in props.get("sslProfiles") or []}
    https = [x for x in listeners if str((x.get("properties") or {}).get("protocol", "")).lower() == "https"]
    http = [x for x in listeners if str((x.get("properties") or {}).get("protocol", "")).lower() == "http"]
    r.set("protocol", Value("HTTPS" if https else "HTTP", p.origin("properties.httpListeners[].properties.protocol")))
    r.set("terminates_tls", Value(bool(https), p.origin("properties.httpListeners[].properties.protocol")))
    r.set("plain_http", Value(bool(http), p.origin("properties.httpListeners[].properties.protocol")))
    if https:
        worst = None
        for lst in https:
            prof = ((lst.get("properties") or {}).get("sslProfile") or {}).get("id", "").lower()
            if prof and prof in profiles:
                pol = (profiles[prof].get("properties") or {}).get("sslPolicy")
                where = f"properties.sslProfiles[{profiles[prof].get('name')}].properties.sslPolicy"
            else:
                pol, where = props.get("sslPolicy"), "properties.sslPolicy"
            name, ver = _policy(pol, where, p)
            if worst is None or _weaker(ver, worst[1]):
                worst = (name, ver)
        r.set("tls_policy", worst[0])
        r.set("tls_min_version", worst[1])
    if http:
        r.set("http_redirects_to_https", _redirects(props, http, {_low(x.get("id", "")) for x in https}, p))


def _weaker(a: Value, b: Value) -> bool:
    if not a.known:
        return b.known
    if not b.known:
        return False
    return (a.value or "0") < (b.value or "0")


def _low(v: Any) -> str | None:
    """An ARM id to compare, in lower case; None when it is not known (an azapi body's id that embeds
    the id of a resource not created yet)."""
    return v.lower() if isinstance(v, str) else None


def _redirects(props: dict, http: list, https_ids: set, p: Props) -> Value:
    """Every HTTP listener's routing rule redirects to an HTTPS listener (or an https:// URL)."""
    o = p.origin("properties.requestRoutingRules[].properties.redirectConfiguration")
    configured = props.get("redirectConfigurations")
    if http and configured in (None, []):
        # a rule redirects only through a redirect configuration: with none, no HTTP listener does,
        # whatever the listeners' and rules' ids are
        return Value(False, p.origin("properties.redirectConfigurations (none: no HTTP listener redirects to HTTPS)"))
    unknown = Unknown("an id the gateway's routing is matched by is known only after apply", o)
    redirects = {}
    for x in configured or []:
        rid = _low(x.get("id", ""))
        if rid is None:
            return unknown
        redirects[rid] = x.get("properties") or {}
    rules = props.get("requestRoutingRules") or []
    rule_ids = [_low(((x.get("properties") or {}).get("httpListener") or {}).get("id", "")) for x in rules]
    for lst in http:
        lid = _low(lst.get("id", ""))
        if lid is None or None in rule_ids:
            return unknown
        mine = [x.get("properties") or {} for x, rid in zip(rules, rule_ids) if rid == lid]
        if not mine:
            return Value(False, p.origin(f"properties.httpListeners[{lst.get('name')}]: no redirect to HTTPS"))
        for rule in mine:
            ref = _low((rule.get("redirectConfiguration") or {}).get("id") or "")
            if ref is None:
                return unknown
            rc = redirects.get(ref)
            if rc is None:
                return Value(False, o)
            target = _low((rc.get("targetListener") or {}).get("id") or "")
            url = rc.get("targetUrl") or ""
            if isinstance(url, str) and url.lower().startswith("https://"):
                continue
            if target is None or None in https_ids or not isinstance(url, str):
                return unknown
            if target not in https_ids:
                return Value(False, o)
    return Value(True, o)


def _nsg(item: Item, p: Props, r: Resource) -> None:
    """Allow and deny rules with priority, as the Terraform mapper gives them.

    The platform's default rules (``defaultSecurityRules``) are left out: the NET
    rules add Azure's defaults themselves, for every source alike.
    """
    r.set("tier", _tier(item.body, p))
    ingress, egress = [], []
    for rule in (item.body.get("properties") or {}).get("securityRules") or []:
        rp = rule.get("properties") or {}
        inbound = str(rp.get("direction", "")).lower() == "inbound"
        peer = "source" if inbound else "destination"
        origin = p.origin(f"properties.securityRules[{rule.get('name')}]")
        (ingress if inbound else egress).extend(nsg_rule(rule.get("name"), rp, peer, origin))
    r.set("ingress", Value(ingress, p.origin("properties.securityRules")))
    r.set("egress", Value(egress, p.origin("properties.securityRules")))


def nsg_rule(name: str | None, rp: dict, peer: str, origin: Origin) -> list[dict]:
    """One NSG security rule (ARM properties) as model rule dicts, one per destination port range."""
    proto = str(rp.get("protocol") or "*").lower()
    proto = {"*": "-1", "tcp": "tcp", "udp": "udp", "icmp": "icmp"}.get(proto, proto)
    prefixes = [x for x in [rp.get(f"{peer}AddressPrefix")] + list(rp.get(f"{peer}AddressPrefixes") or []) if x]
    cidrs = ["0.0.0.0/0" if str(x).strip().lower() in INTERNET else str(x).strip() for x in prefixes]
    groups = [str(g.get("id", "")).lower() for g in rp.get(f"{peer}ApplicationSecurityGroups") or [] if g.get("id")]
    ranges = [x for x in [rp.get("destinationPortRange")] + list(rp.get("destinationPortRanges") or []) if x]
    base = {"protocol": proto, "cidrs": cidrs, "source_groups": groups, "self": False, "origin": origin,
            "access": str(rp.get("access") or "").lower() or None, "priority": rp.get("priority"), "name": name}
    return [dict(base, from_port=lo, to_port=hi) for lo, hi in (port_range(x) for x in ranges or ["*"])]


def port_range(rng: Any) -> tuple[int, int]:
    s = str(rng).strip()
    if s in ("*", ""):
        return 0, 65535
    if "-" in s:
        a, b = s.split("-", 1)
        return int(a), int(b)
    return int(s), int(s)


def _tier(body: dict, p: Props) -> Value:
    tags = body.get("tags") or {}
    for k, v in tags.items():
        if k.lower() == TIER_TAG.lower():
            return Value(str(v).strip().lower() or None, p.origin(f"tags.{k}"))
    return Value(None, p.origin(f"tags.{TIER_TAG} (not set)"))


def _asg(item: Item, p: Props, r: Resource) -> None:
    r.set("tier", _tier(item.body, p))


def _key_vault(item: Item, p: Props, r: Resource) -> None:
    # ARM omits enablePurgeProtection until it is turned on (it can never be turned off)
    r.set("purge_protection", p.value("properties.enablePurgeProtection", bool, missing=False,
                                      missing_note="not returned: purge protection is off"))


def _front_door_domain(item: Item, p: Props, r: Resource) -> None:
    """As the Terraform mapper: tls_policy is the setting, tls_min_version the version it names."""
    path = "properties.tlsSettings.minimumTlsVersion"
    pol = p.value(path)
    r.set("tls_policy", pol)
    if not pol.known:
        r.set("tls_min_version", pol)
        return
    ver = tls_version(pol.value)
    r.set("tls_min_version", Value(ver, p.origin(f"{path} (lowest TLS version)")) if ver else
          Unknown(f"unrecognised minimumTlsVersion {pol.value}", p.origin(path)))


MAPPERS: dict[str, Callable[[Item, Props, Resource], None]] = {
    PG: _postgres, MYSQL_FLEX: _mysql_flexible, MYSQL: _single_server, MARIADB: _single_server,
    PG_SINGLE: _single_server, SQL: _sql_server, SQLDB: _sql_database,
    "Microsoft.Storage/storageAccounts": _storage, "Microsoft.Cache/Redis": _redis,
    "Microsoft.Network/applicationGateways": _app_gateway, "Microsoft.Network/networkSecurityGroups": _nsg,
    "Microsoft.Network/applicationSecurityGroups": _asg, "Microsoft.KeyVault/vaults": _key_vault,
    FD_DOMAIN: _front_door_domain,
    FD_ENDPOINT: lambda item, p, r: arm_edge.front_door_endpoint(item.body["id"], item.children, r),
    VNET: lambda item, p, r: r.set("flow_logged", Unknown("the flow logs naming it were not read (they are read "
                                                          "under the network watchers in a live audit)",
                                                          p.origin("flowLogs"))),
}


def _and_then(first, then):
    def both(item: Item, p: Props, r: Resource) -> None:
        first(item, p, r)
        then(item, r)
    return both


# issue 16: public network access (NET-05) and the gateway's firewall (WAF-01), arm_edge.py
for _t in (PG, SQL, "Microsoft.Cache/Redis"):
    MAPPERS[_t] = _and_then(MAPPERS[_t], lambda item, r: arm_edge.public_access(item.arm_type, item.body, item.api, r))
MAPPERS["Microsoft.Network/applicationGateways"] = _and_then(
    MAPPERS["Microsoft.Network/applicationGateways"],
    lambda item, r: arm_edge.app_gateway_waf(item.body, item.api, item.children, r))

# issue 17: custom role definitions (IAM-01), listed per subscription by arm_iam.py; no tags
TF_TYPES[arm_iam.ROLE_DEF] = ("iam_policy", "azurerm_role_definition")
UNTAGGED.add(arm_iam.ROLE_DEF)
FIELDS[arm_iam.ROLE_DEF] = ("statements",)
MAPPERS[arm_iam.ROLE_DEF] = arm_iam.role_definition

# issue 17: Service Bus queues and subscriptions (MSG-01), Key Vault secrets and keys (SEC-02), read under
# their namespaces and vaults by arm_msg.py
for _t, (_kind, _tf, _fields) in arm_msg.TYPES.items():
    TF_TYPES[_t] = (_kind, _tf)
    FIELDS[_t] = _fields
UNTAGGED.update(arm_msg.UNTAGGED)
MAPPERS[arm_msg.QUEUE] = MAPPERS[arm_msg.SUBSCRIPTION] = arm_msg.dead_lettering
MAPPERS[arm_msg.SECRET] = arm_msg.secret_expiry
MAPPERS[arm_msg.KEY] = arm_msg.key_rotation
