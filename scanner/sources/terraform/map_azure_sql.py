"""Azure SQL: logical servers (transparent data encryption keys, TLS) and databases (zone redundancy,
backup retention and redundancy)."""
from __future__ import annotations

from ...model import Resource
from ...values import Origin, Unknown, Value
from .joins import related, related_unknown
from .normalize import maps
from .tfmodel import MISSING, TfResource
from .map_data import _add_keys, _blocks, _set, _tls, _unset, derived, setting


_TDE = ("azurerm_mssql_server_transparent_data_encryption",)


@maps("azurerm_mssql_server", "azurerm_sql_server", kind="database")
def sql_server(tf: TfResource, r: Resource) -> None:
    _add_keys(tf, r, "name")
    r.set("engine", Value("sqlserver", tf.origin(tf.type)))
    # Transparent data encryption is on by default for every Azure SQL database.
    r.set("encrypted", Value(True, Origin(tf.source, "transparent data encryption (on by default)", tf.file, tf.line)))
    key = None
    for t in related(tf, _TDE, "server_id"):
        k = t.raw("key_vault_key_id")
        if k is MISSING or k is None:
            k = t.raw("managed_hsm_key_id")
        if isinstance(k, str) and k or isinstance(k, Unknown):
            key = Value("customer", Origin(t.source, f"{t.address}.key_vault_key_id", t.file, t.line))
        else:
            key = Value("provider", Origin(t.source, f"{t.address} (no key_vault_key_id: service-managed key)",
                                           t.file, t.line))
        break
    inline = tf.raw("transparent_data_encryption_key_vault_key_id")
    if key is None and (isinstance(inline, str) and inline or isinstance(inline, Unknown)):
        key = Value("customer", tf.origin("transparent_data_encryption_key_vault_key_id"))
    if key is None and (pending := related_unknown(tf, _TDE, "server_id")):
        key = Unknown(pending.why, tf.origin("transparent_data_encryption"))
    if key is None:
        key = _unset(tf, "transparent_data_encryption", "provider", "service-managed key")
    r.set("encryption_key_managed_by", key)
    # Azure SQL accepts encrypted connections only (documented: TLS is enforced at all times).
    r.set("requires_tls", Value(True, Origin(tf.source, "connections (Azure SQL always enforces TLS)", tf.file, tf.line)))
    if tf.type == "azurerm_mssql_server" or tf.raw("minimum_tls_version") is not MISSING:
        _set(r, "tls_min_version", _tls(tf, "minimum_tls_version", "1.2", "provider default 1.2"))
    else:
        # The legacy azurerm_sql_server has no minimum-TLS setting: the server keeps accepting
        # TLS 1.0 (CONTROLS.md: TLS-03 fails), which is not the same as "not applicable".
        r.set("tls_min_version", Value("1.0", Origin(tf.source, "azurerm_sql_server (no minimum TLS setting: "
                                                                "TLS 1.0 and later accepted)", tf.file, tf.line)))


@maps("azurerm_mssql_database", "azurerm_sql_database", kind="database")
def sql_database(tf: TfResource, r: Resource) -> None:
    _add_keys(tf, r, "name")
    _set(r, "multi_az", setting(tf, "zone_redundant", False, "not zone redundant"))
    if tf.type != "azurerm_mssql_database":
        return  # the legacy azurerm_sql_database carries no retention or backup-redundancy setting
    pol = _blocks(tf, "short_term_retention_policy")
    if isinstance(pol, Unknown):
        r.set("backup_retention_days", pol)
    elif pol and isinstance(pol[0], dict):
        r.set("backup_retention_days", tf.get("short_term_retention_policy.0.retention_days"))
    else:
        r.set("backup_retention_days", _unset(tf, "short_term_retention_policy", 7, "Azure default 7 days"))
    r.set("backup_cross_region", derived(setting(tf, "storage_account_type", "Geo", "provider default Geo"),
                                         "backup_cross_region", lambda v: str(v) in ("Geo", "GeoZone")))
