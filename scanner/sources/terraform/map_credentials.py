"""SEC-01 in Terraform: whether a database's administrator password is written in configuration.

Fields added to types other modules map (``normalize.adds``). ``credentials_managed`` is a boolean
whose evidence names the attribute and its place; the password itself is never read into a Value:
only whether it is set (``_is_set`` looks at its presence, never copies it), so no finding, report or
log can carry it or a part of it.

* RDS instances and clusters: ``manage_master_user_password = true`` passes; ``password`` /
  ``master_password`` (or the write-only ``password_wo`` / ``master_password_wo``) set fails; a replica
  (``replicate_source_db``, a cluster's ``replication_source_identifier``) and the secondary cluster
  of a global cluster (which takes its credentials from the primary) are not applicable.
* Azure SQL server: ``azuread_administrator.azuread_authentication_only = true`` passes, anything else
  leaves SQL logins on (fails), naming ``administrator_login_password`` when it is set.
* PostgreSQL flexible server: ``authentication.password_auth_enabled = false`` passes; the block left
  out keeps password authentication on (the provider's default); a replica (``create_mode =
  Replica``) is not applicable.
"""
from __future__ import annotations

from typing import Any

from ...model import Resource
from ...values import Origin, Unknown, Value
from .map_data import _blocks, _declared
from .normalize import adds
from .tfmodel import MISSING, TfResource

_NOT_SHOWN = "the value is never shown"


def _is_set(tf: TfResource, path: str) -> bool | None:
    """Whether configuration sets the attribute to something non-empty (None: not known)."""
    raw = tf.raw(path)
    if raw is MISSING or raw is None or raw == "":
        return False
    if isinstance(raw, Unknown):
        # a plan shows a value computed at apply time (random_password, a data source) as unknown;
        # a sensitive literal may be hidden the same way: set, when configuration writes it
        declared = _declared(tf, path)
        return True if declared in (True, None) else False
    return True


def _at(tf: TfResource, path: str, value: bool, note: str) -> Value:
    """``value`` with evidence naming ``path`` and its line (never the attribute's value)."""
    o = tf.origin(path)
    return Value(value, Origin(o.source, f"{path} ({note})", o.file, o.line))


def _flag(tf: TfResource, path: str) -> Any:
    raw = tf.raw(path)
    if isinstance(raw, str) and raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    return raw


@adds("aws_db_instance", "aws_rds_cluster")
def rds_credentials(tf: TfResource, r: Resource) -> None:
    replica_attr = "replicate_source_db" if tf.type == "aws_db_instance" else "replication_source_identifier"
    if _is_set(tf, replica_attr):
        return   # a replica: its credentials are its source's
    password = "password" if tf.type == "aws_db_instance" else "master_password"
    managed = _flag(tf, "manage_master_user_password")
    written = [p for p in (password, f"{password}_wo") if _is_set(tf, p)]
    if managed is True:
        r.set("credentials_managed", _at(tf, "manage_master_user_password", True,
                                         "= true: RDS keeps the password in Secrets Manager"))
        return
    if written:
        r.set("credentials_managed", _at(tf, written[0], False, f"set in configuration; {_NOT_SHOWN}"))
        return
    if isinstance(managed, Unknown):
        r.set("credentials_managed", Unknown(f"manage_master_user_password is {managed.reason}",
                                             tf.origin("manage_master_user_password")))
        return
    if tf.type == "aws_rds_cluster" and _is_set(tf, "global_cluster_identifier"):
        return   # a secondary cluster of a global database: no credentials of its own
    snap = "snapshot_identifier"
    note = ("no password in configuration, but manage_master_user_password is not set: the credentials "
            + ("come from the snapshot" if _is_set(tf, snap) else "are not kept by the service"))
    o = tf.origin("manage_master_user_password")
    r.set("credentials_managed", Value(False, Origin(o.source, f"manage_master_user_password ({note})",
                                                     tf.file, tf.line)))


@adds("azurerm_mssql_server", "azurerm_sql_server")
def sql_credentials(tf: TfResource, r: Resource) -> None:
    admin = _blocks(tf, "azuread_administrator")
    if isinstance(admin, Unknown):
        r.set("credentials_managed", Unknown(f"the azuread_administrator block is {admin.reason}",
                                             tf.origin("azuread_administrator")))
        return
    only = admin[0].get("azuread_authentication_only") if admin and isinstance(admin[0], dict) else None
    if isinstance(only, Unknown):
        r.set("credentials_managed", Unknown(f"azuread_authentication_only is {only.reason}",
                                             tf.origin("azuread_administrator")))
        return
    if only is True or (isinstance(only, str) and only.lower() == "true"):
        r.set("credentials_managed", _at(tf, "azuread_administrator", True,
                                         "azuread_authentication_only = true: Entra ID sign-in only"))
        return
    if _is_set(tf, "administrator_login_password") or _is_set(tf, "administrator_login_password_wo"):
        which = ("administrator_login_password" if _is_set(tf, "administrator_login_password")
                 else "administrator_login_password_wo")
        r.set("credentials_managed", _at(tf, which, False, f"set in configuration and SQL logins are on "
                                                           f"(azuread_authentication_only is not true); {_NOT_SHOWN}"))
        return
    r.set("credentials_managed", _at(tf, "azuread_administrator", False,
                                     "azuread_authentication_only is not true: SQL authentication stays on"))


@adds("azurerm_postgresql_flexible_server")
def pg_credentials(tf: TfResource, r: Resource) -> None:
    mode = tf.raw("create_mode")
    if isinstance(mode, str) and mode.lower() == "replica":
        return   # a read replica: the administrator is the source server's
    if isinstance(mode, Unknown):
        r.set("credentials_managed", Unknown(f"whether it is a replica is not known: create_mode is {mode.reason}",
                                             tf.origin("create_mode")))
        return
    auth = _blocks(tf, "authentication")
    if isinstance(auth, Unknown):
        r.set("credentials_managed", Unknown(f"the authentication block is {auth.reason}",
                                             tf.origin("authentication")))
        return
    on = auth[0].get("password_auth_enabled", True) if auth and isinstance(auth[0], dict) else True
    if on is None:
        on = True   # the provider's default: password authentication enabled
    if isinstance(on, Unknown):
        r.set("credentials_managed", Unknown(f"password_auth_enabled is {on.reason}", tf.origin("authentication")))
        return
    if on is False or (isinstance(on, str) and on.lower() == "false"):
        r.set("credentials_managed", _at(tf, "authentication", True,
                                         "password_auth_enabled = false: Entra ID sign-in only"))
        return
    which = next((p for p in ("administrator_password", "administrator_password_wo") if _is_set(tf, p)), None)
    if which:
        r.set("credentials_managed", _at(tf, which, False, f"set in configuration and password authentication "
                                                           f"is on; {_NOT_SHOWN}"))
        return
    note = ("authentication.password_auth_enabled is true" if auth else
            "no authentication block: password authentication is on by default")
    r.set("credentials_managed", _at(tf, "authentication", False, note))
