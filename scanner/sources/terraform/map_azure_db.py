"""Mappers for Azure Database for MySQL, MariaDB and PostgreSQL (flexible and single servers):
relational databases like any other.

CONTROLS.md makes every relational database a database for ENC-01, TLS-03,
HA-01, BAK-01 and BAK-02, whatever its engine:

* ``azurerm_mysql_flexible_server`` and ``azurerm_postgresql_flexible_server`` (one shape, one
  mapper): ``customer_managed_key``, ``high_availability.mode``, ``backup_retention_days``,
  ``geo_redundant_backup_enabled``; their TLS settings are server parameters, separate
  ``*_flexible_server_configuration`` resources (``require_secure_transport``, and ``tls_version``
  or ``ssl_min_protocol_version``) joined here by the server they name;
* the single servers ``azurerm_mysql_server``, ``azurerm_mariadb_server`` and
  ``azurerm_postgresql_server`` (one shape, one mapper): ``ssl_enforcement_enabled``,
  ``ssl_minimal_tls_version_enforced``, ``backup_retention_days``,
  ``geo_redundant_backup_enabled``.  A single server runs in one availability zone: the service
  has no zone-redundant mode, so HA-01 fails rather than not applying.

Defaults are the azurerm provider's documented ones (3.x and 4.x), named in the evidence path
as "unset: ..." the way map_data.py does; the oldest provider (1.x) spelled some settings
``ssl_enforcement = "Enabled"`` and ``storage_profile { backup_retention_days, geo_redundant_backup }``,
which are read too.
"""
from __future__ import annotations

from typing import Any, Callable

from ...model import Resource
from ...values import Origin, Unknown, Value
from .joins import related, related_unknown
from .map_data import _add_keys, _blocks, _set, _truthy, _unset, derived, setting, tls_version
from .normalize import maps
from .tfmodel import MISSING, TfResource
from .value_check import customer_key

_FLEX_CONF = ("azurerm_mysql_flexible_server_configuration",)


def _blank(x: Any) -> bool:
    return x is MISSING or x is None or (isinstance(x, str) and not x)


def _on(v: Any) -> bool:
    return str(v).strip().lower() in ("on", "true", "1", "enabled")


def server_parameter(tf: TfResource, types: tuple[str, ...], attr: str, name: str, default: Any, note: str,
                     convert: Callable[[Any], Any]) -> Value:
    """One server parameter from the configuration resources that name ``tf`` through ``attr``.

    None of them sets it: the service default (evidence path says so); one that may name the
    server but cannot be shown to (known only after apply, or maybe not created): Unknown.
    """
    for c in related(tf, types, attr):
        cname = c.raw("name")
        if not (isinstance(cname, str) and cname.lower() == name):
            continue
        v = c.get("value")
        o = Origin(v.origin.source, f"{c.address} {name}", v.origin.file, v.origin.line)
        if not v.known:
            return Unknown(getattr(v, "reason", "not known"), o)
        conv = convert(v.value)
        return Value(conv, o) if conv is not None else Unknown(f"unrecognised value {v.value!r}", o)
    maybe = related_unknown(tf, types, attr)
    pending = [c for c in maybe if not isinstance(c.raw("name"), str) or c.raw("name").lower() == name]
    if pending:
        why = getattr(maybe, "why", "") if pending[0] is maybe[0] else ""   # joins' reason for the first
        return Unknown(why or f"{pending[0].address} names its server only after apply", tf.origin(name))
    conv = convert(default)
    return Value(conv, Origin(tf.source, f"{name} (no {types[0]} sets it: {note})", tf.file, tf.line))


# Flexible servers of both engines: one shape. Their TLS settings are server parameters, separate
# *_flexible_server_configuration resources naming the server (MySQL by name, PostgreSQL by id).
_PG_CONF = ("azurerm_postgresql_flexible_server_configuration",)
_FLEXIBLE = {
    "azurerm_mysql_flexible_server": ("mysql", _FLEX_CONF, "server_name", ("key_vault_key_id", "managed_hsm_key_id"),
                                      (("requires_tls", "require_secure_transport", _on),
                                       ("tls_min_version", "tls_version", tls_version))),
    "azurerm_postgresql_flexible_server": ("postgres", _PG_CONF, "server_id", ("key_vault_key_id",),
                                           (("requires_tls", "require_secure_transport", _on),
                                            ("tls_min_version", "ssl_min_protocol_version", tls_version))),
}
# Server parameter defaults of both services: encrypted connections required, TLS 1.2 the lowest
# version accepted (MySQL 5.7 and 8.0; PostgreSQL 11 and later).
_PARAM_DEFAULTS = {"require_secure_transport": ("ON", "Azure default ON"),
                   "tls_version": ("TLSv1.2", "Azure default TLSv1.2"),
                   "ssl_min_protocol_version": ("TLSv1.2", "Azure default TLSv1.2")}


@maps("azurerm_mysql_flexible_server", "azurerm_postgresql_flexible_server", kind="database")
def flexible_server(tf: TfResource, r: Resource) -> None:
    engine, conf_types, server_attr, key_attrs, params = _FLEXIBLE[tf.type]
    _add_keys(tf, r, "name")
    r.set("engine", Value(engine, tf.origin(tf.type)))
    r.set("encrypted", Value(True, Origin(tf.source, "storage (Azure always encrypts)", tf.file, tf.line)))
    cmk = _blocks(tf, "customer_managed_key")
    if isinstance(cmk, Unknown):
        r.set("encryption_key_managed_by", cmk)
    elif cmk and isinstance(cmk[0], dict):
        hsm = len(key_attrs) > 1 and _blank(tf.raw("customer_managed_key.0.key_vault_key_id")) and \
            not _blank(tf.raw("customer_managed_key.0.managed_hsm_key_id"))
        path = "customer_managed_key.0." + ("managed_hsm_key_id" if hsm else "key_vault_key_id")
        r.set("encryption_key", tf.get(path))
        # a block whose key ids are all null names no key: never a customer-managed key
        r.set("encryption_key_managed_by", customer_key(tf, "customer_managed_key", *key_attrs))
    else:
        r.set("encryption_key", Value(None, tf.origin("customer_managed_key")))
        r.set("encryption_key_managed_by", _unset(tf, "customer_managed_key", "provider", "service-managed key"))
    ha = _blocks(tf, "high_availability")
    if isinstance(ha, Unknown):
        r.set("multi_az", ha)
    elif ha and isinstance(ha[0], dict):
        mode = tf.get("high_availability.0.mode")
        r.set("multi_az", derived(mode, "multi_az", lambda m: str(m) == "ZoneRedundant"))
    else:
        r.set("multi_az", _unset(tf, "high_availability", False, "high availability disabled"))
    _set(r, "backup_retention_days", setting(tf, "backup_retention_days", 7, "provider default 7 days"))
    _set(r, "backup_cross_region", setting(tf, "geo_redundant_backup_enabled", False,
                                           "provider default false: locally redundant backups"))
    for field, name, convert in params:
        default, note = _PARAM_DEFAULTS[name]
        r.set(field, server_parameter(tf, conf_types, server_attr, name, default, note, convert))


# ------------------------------------------------------------------ single servers
def single_server(tf: TfResource, r: Resource, engine: str, key_types: tuple[str, ...]) -> None:
    """MySQL / MariaDB / PostgreSQL single server: the settings they share."""
    _add_keys(tf, r, "name")
    r.set("engine", Value(engine, tf.origin(tf.type)))
    r.set("encrypted", Value(True, Origin(tf.source, "storage (Azure always encrypts)", tf.file, tf.line)))
    if key_types:
        keys = related(tf, key_types, "server_id")
        pending = related_unknown(tf, key_types, "server_id") if not keys else []
        if keys:
            r.set("encryption_key_managed_by", Value("customer", Origin(tf.source, keys[0].address, tf.file, tf.line)))
        elif pending:
            why = getattr(pending, "why", "") or f"{pending[0].address} names its server only after apply"
            r.set("encryption_key_managed_by", Unknown(why, tf.origin(key_types[0])))
        else:
            r.set("encryption_key_managed_by", _unset(tf, key_types[0], "provider", "service-managed key"))
    else:
        r.set("encryption_key_managed_by", Value("provider", Origin(
            tf.source, f"{tf.type} (the service offers no customer-managed key: service-managed key)",
            tf.file, tf.line)))
    r.set("multi_az", Value(False, Origin(tf.source, f"{tf.type} (a single server runs in one availability "
                                                     "zone: no zone-redundant mode)", tf.file, tf.line)))
    r.set("requires_tls", _ssl_enforced(tf))
    r.set("tls_min_version", _min_tls(tf))
    r.set("backup_retention_days", _storage_setting(tf, "backup_retention_days", "backup_retention_days",
                                                    7, "provider default 7 days", None))
    r.set("backup_cross_region", _storage_setting(tf, "geo_redundant_backup_enabled", "geo_redundant_backup",
                                                  False, "provider default false: locally redundant backups",
                                                  _on))


def _ssl_enforced(tf: TfResource) -> Value:
    old = tf.raw("ssl_enforcement")   # azurerm 1.x: "Enabled" / "Disabled"
    if old not in (MISSING, None) and tf.raw("ssl_enforcement_enabled") in (MISSING, None):
        return derived(tf.get("ssl_enforcement"), "requires_tls", _on)
    # Required since azurerm 3.0; before that it defaulted to true.
    return derived(setting(tf, "ssl_enforcement_enabled", True, "SSL enforced"), "requires_tls", _truthy)


def _min_tls(tf: TfResource) -> Value:
    enforced = tf.raw("ssl_enforcement_enabled")
    old = tf.raw("ssl_enforcement")
    if enforced is False or (enforced in (MISSING, None) and isinstance(old, str) and old.lower() == "disabled"):
        # SSL off: every version is accepted (the provider insists on TLSEnforcementDisabled), as live
        path = "ssl_enforcement_enabled" if enforced is False else "ssl_enforcement"
        o = tf.origin(path)
        return Value("1.0", Origin(o.source, f"{path} (SSL not enforced: no minimum TLS version)", o.file, o.line))
    v = setting(tf, "ssl_minimal_tls_version_enforced", "TLS1_2", "provider default TLS1_2")
    if v is None or not v.known:
        return v
    norm = tls_version(v.value)
    return Value(norm, v.origin) if norm else Unknown(f"unrecognised TLS version {v.value!r}", v.origin)


def _storage_setting(tf: TfResource, attr: str, old: str, default: Any, note: str, convert) -> Value:
    """A top-level attribute, or its 1.x spelling inside ``storage_profile``."""
    if tf.raw(attr) in (MISSING, None):
        prof = _blocks(tf, "storage_profile")
        if isinstance(prof, list) and prof and isinstance(prof[0], dict) and prof[0].get(old) is not None:
            v = tf.get(f"storage_profile.0.{old}")
            return v.map(convert) if convert is not None and v.known else v
    return setting(tf, attr, default, note)


@maps("azurerm_mysql_server", kind="database")
def mysql_single(tf: TfResource, r: Resource) -> None:
    single_server(tf, r, "mysql", ("azurerm_mysql_server_key",))


@maps("azurerm_mariadb_server", kind="database")
def mariadb_single(tf: TfResource, r: Resource) -> None:
    single_server(tf, r, "mariadb", ())


@maps("azurerm_postgresql_server", kind="database")
def pg_single(tf: TfResource, r: Resource) -> None:
    single_server(tf, r, "postgres", ("azurerm_postgresql_server_key",))
