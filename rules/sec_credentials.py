"""SEC-01: database administrator credentials are not written in configuration (seed 002 "AWS
Secrets Manager for credential management"; seed 004 "Secrets Manager").

The adapters set ``credentials_managed``: true when the service keeps the administrator password
(RDS ``manage_master_user_password``, live ``MasterUserSecret``) or password login is off (Azure SQL
Entra-only authentication, PostgreSQL flexible server password authentication disabled); false
when configuration supplies a password or password login stays on. Its evidence names *where* a
password is set (attribute, file, line) and never holds the password or any part of it: the field's
value is a boolean, built without reading the attribute's value. Replicas and cluster members have
no administrator credentials of their own: the field is absent and the control does not apply.
"""
from __future__ import annotations

from scanner.controls import Check, control


@control("SEC-01", title="Database administrator credentials are not written in configuration",
         family="SEC", severity="high", soc2=["CC6.1", "CC6.2"], kinds=("database",), fields=("credentials_managed",),
         requirement="Database administrator credentials are not written in configuration: the service manages "
                     "them in the secrets manager (RDS manage_master_user_password), or password login is off "
                     "(Azure SQL Entra-only authentication, PostgreSQL flexible server password authentication "
                     "disabled).")
def sec_01(r, ctx):
    chk = Check()
    v = r["credentials_managed"]
    chk.require(v.truthy(), "the administrator password is not managed by the service: " + _where(v),
                "whether the service manages the administrator password is not known", v)
    return chk.verdict("the administrator password is not written in configuration: " + _ok(r))


def _where(v) -> str:
    # the evidence path says where (attribute and place); the value is never read here
    o = v.origin
    place = f" ({o.file}:{o.line})" if o.file and o.line else ""
    return f"{o.path}{place}"


def _ok(r) -> str:
    if r.provider == "azure":
        return "password login is off"
    return "the service keeps it in the secrets manager"
