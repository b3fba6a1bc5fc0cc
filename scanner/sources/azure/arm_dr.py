"""SEC-01 and DR-01 on live Azure: who may sign in to the databases, and where their copies live.

Read beside the listings (``inventory._found`` adds these tasks), and mapped after every listing
has finished (``arm_map.to_resource`` calls ``credentials`` and ``replicas``):

* PostgreSQL flexible server: ``properties.authConfig.passwordAuth`` (the server body itself);
  a replica (``properties.replicationRole`` a replica role, ``sourceServerResourceId``) is not
  applicable to either control; a primary's replicas are listed with ``GET
  flexibleServers/{name}/replicas`` and compared by ``location``.
* SQL server: ``GET servers/{name}/administrators/ActiveDirectory`` (``azureADOnlyAuthentication``;
  none, a 404, means SQL logins only) and ``GET servers/{name}/failoverGroups`` (each group's
  ``databases`` and ``partnerServers[].location``), which decide the server's databases' DR-01.

A failed read leaves the field it feeds unknown.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...model import Resource
from ...values import Origin, Unknown, Value
from .inventory import PG, SQL, SQLDB, Failure, Inventory, Item, parse_id, to_json

if TYPE_CHECKING:
    from .inventory import Calls

SOURCE = "azure"
REPLICAS = f"GET {PG}/replicas"
ADMIN = f"GET {SQL}/administrators"
FAILOVER = f"GET {SQL}/failoverGroups"
FIELD = "cross_region_replica"
_REPLICA_ROLES = {"replica", "asyncreplica", "geoasyncreplica"}


def _loc(x: Any) -> str:
    return str(x or "").replace(" ", "").lower()


def _is_replica(body: dict) -> bool:
    p = body.get("properties") or {}
    return _loc(p.get("replicationRole")) in _REPLICA_ROLES or bool(p.get("sourceServerResourceId")) and \
        _loc(p.get("createMode")) == "replica"


# ------------------------------------------------------------------ reading (inventory tasks)
def tasks(calls: "Calls", item: Item) -> list:
    if item.arm_type == PG and not _is_replica(item.body):
        return [(_pg_replicas, (calls, item))]
    if item.arm_type == SQL:
        return [(_sql_admin, (calls, item)), (_sql_failover_groups, (calls, item))]
    return []


def _read(calls: "Calls", item: Item, name: str, api: str, call, absent_ok: bool = False) -> list:
    try:
        item.children[name] = (call(), api)
    except Exception as e:   # noqa: BLE001 -- recorded as a Failure, as every child read
        if absent_ok and getattr(e, "status_code", None) == 404:
            item.children[name] = (None, api)   # no such child: a fact, not a failure
        else:
            item.children[name] = calls.inv.fail(item.subscription, api, e, f" of {item.body['id']}")
    return []


def _pg_replicas(calls: "Calls", item: Item) -> list:
    ids = parse_id(item.body["id"])
    return _read(calls, item, "replicas", REPLICAS, lambda: [to_json(x) for x in calls.s.client(
        "postgres", item.subscription).replicas.list_by_server(ids["resource_group"], ids["names"][0])])


def _sql_admin(calls: "Calls", item: Item) -> list:
    ids = parse_id(item.body["id"])
    return _read(calls, item, "administrators/ActiveDirectory", ADMIN, lambda: to_json(calls.s.client(
        "sql", item.subscription).server_azure_ad_administrators.get(ids["resource_group"], ids["names"][0],
                                                                     "ActiveDirectory")), absent_ok=True)


def _sql_failover_groups(calls: "Calls", item: Item) -> list:
    ids = parse_id(item.body["id"])
    return _read(calls, item, "failoverGroups", FAILOVER, lambda: [to_json(x) for x in calls.s.client(
        "sql", item.subscription).failover_groups.list_by_server(ids["resource_group"], ids["names"][0])])


# ------------------------------------------------------------------ mapping
def credentials(item: Item, r: Resource) -> None:
    """SEC-01's credentials_managed for PostgreSQL flexible servers and SQL servers."""
    body = item.body
    if item.arm_type == PG:
        if _is_replica(body):
            return
        auth = ((body.get("properties") or {}).get("authConfig") or {})
        pw = auth.get("passwordAuth")
        api = item.api
        if pw is None:
            r.set("credentials_managed", Unknown(f"properties.authConfig.passwordAuth was not returned by {api}",
                                                 Origin(SOURCE, "properties.authConfig.passwordAuth", api=api)))
        else:
            off = _loc(pw) == "disabled"
            r.set("credentials_managed", Value(off, Origin(
                SOURCE, f"properties.authConfig.passwordAuth ({pw}{': Entra ID sign-in only' if off else ''})",
                api=api)))
    elif item.arm_type == SQL:
        got = item.children.get("administrators/ActiveDirectory")
        if isinstance(got, Failure):
            r.set("credentials_managed", Unknown(got.reason, Origin(SOURCE, "administrators/ActiveDirectory",
                                                                    api=got.api)))
            return
        if got is None:
            r.set("credentials_managed", Unknown("administrators/ActiveDirectory was not read",
                                                 Origin(SOURCE, "administrators/ActiveDirectory")))
            return
        admin, api = got
        only = ((admin or {}).get("properties") or {}).get("azureADOnlyAuthentication")
        if admin is None:
            r.set("credentials_managed", Value(False, Origin(
                SOURCE, "administrators/ActiveDirectory (none: SQL authentication only)", api=api)))
        else:
            r.set("credentials_managed", Value(only is True, Origin(
                SOURCE, f"administrators/ActiveDirectory.properties.azureADOnlyAuthentication ({bool(only)})",
                api=api)))


def replicas(item: Item, r: Resource, inv: Inventory) -> None:
    """DR-01's cross_region_replica for PostgreSQL flexible servers and SQL databases."""
    if item.arm_type == PG:
        if _is_replica(item.body):
            return
        got = item.children.get("replicas")
        mine = _loc(item.body.get("location"))
        if isinstance(got, Failure) or got is None:
            r.set(FIELD, Unknown(got.reason if got else "the server's replicas were not read",
                                 Origin(SOURCE, "replicas", api=REPLICAS)))
            return
        found, api = got
        other = [f"{x.get('name')} in {x.get('location')}" for x in found or []
                 if _loc(x.get("location")) and _loc(x.get("location")) != mine]
        r.set(FIELD, Value(bool(other), Origin(SOURCE, f"replicas ({'; '.join(other) or 'none in another location'})",
                                               api=api)))
    elif item.arm_type == SQLDB:
        server = _server_of(inv, item.body["id"])
        if server is None:
            r.set(FIELD, Unknown("the database's server was not read", Origin(SOURCE, "failoverGroups")))
            return
        got = server.children.get("failoverGroups")
        if isinstance(got, Failure) or got is None:
            r.set(FIELD, Unknown(got.reason if got else "the server's failover groups were not read",
                                 Origin(SOURCE, "failoverGroups", api=FAILOVER)))
            return
        groups, api = got
        mine = _loc(server.body.get("location"))
        dbid = item.body["id"].lower()
        other, same = [], []
        for g in groups or []:
            p = g.get("properties") or {}
            if dbid not in {str(d).lower() for d in p.get("databases") or []}:
                continue
            for partner in p.get("partnerServers") or []:
                loc = _loc(partner.get("location"))
                (other if loc and loc != mine else same).append(f"{g.get('name')}: {partner.get('id')} in "
                                                                f"{partner.get('location')}")
        if other:
            r.set(FIELD, Value(True, Origin(SOURCE, f"failoverGroups ({'; '.join(other)})", api=api)))
        else:
            why = "; ".join(same) or "no failover group holds it"
            r.set(FIELD, Value(False, Origin(SOURCE, f"failoverGroups ({why})", api=api)))


def _server_of(inv: Inventory, db_id: str) -> Item | None:
    index = inv.__dict__.get("_sql_servers")
    if index is None or index[0] != len(inv.items):
        index = (len(inv.items), {i.body["id"].lower(): i for i in inv.items if i.arm_type == SQL})
        inv.__dict__["_sql_servers"] = index
    return index[1].get(db_id.lower().split("/databases/")[0])
