"""Reading the Azure inventory: which calls, in which order, and what failed.

Two listing strategies fill the same ``Inventory``:

* ``arm``: one subscription-wide listing per resource type and subscription
  (PostgreSQL flexible servers, SQL servers, storage accounts, ...), and SQL
  databases per server;
* ``graph``: one Azure Resource Graph query for every type across up to 1,000
  subscriptions, paged through ``$skipToken``.

Both then read the child settings that listings do not return: PostgreSQL and
MySQL flexible-server configurations, SQL encryption protectors and short-term
retention policies, and the custom domains of each Front Door (Standard/Premium)
profile found among the other resources.  MySQL, MariaDB and PostgreSQL single
servers have no SDK installed: they are listed with plain GETs through the same
pipeline (``REST_LISTINGS``).  Work runs on a bounded thread pool; a call that fails for good is
recorded as a ``Failure`` where its answer would have gone, never dropped.
"""
from __future__ import annotations

import threading
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from . import arm_msg   # Service Bus entities and Key Vault secrets/keys, read under their parents

if TYPE_CHECKING:
    from .session import Session


# The records and arm_map (which .tf scans use for azapi_resource bodies) must import without the
# Azure SDK: the session, which needs it, is imported only when an audit calls it.
def describe_error(e: BaseException) -> str:
    from .session import describe_error as describe
    return describe(e)


def to_json(obj: Any) -> Any:
    from .session import to_json as convert
    return convert(obj)

PG = "Microsoft.DBforPostgreSQL/flexibleServers"
SQL = "Microsoft.Sql/servers"
SQLDB = "Microsoft.Sql/servers/databases"
FD_PROFILE = "microsoft.cdn/profiles"
FD_DOMAIN = "Microsoft.Cdn/profiles/customDomains"   # proxy resources: read per profile, never listed
FD_API_VERSION = "2024-02-01"
PG_SETTINGS = ("require_secure_transport", "ssl_min_protocol_version")
MYSQL_FLEX = "Microsoft.DBforMySQL/flexibleServers"
MYSQL = "Microsoft.DBforMySQL/servers"
MARIADB = "Microsoft.DBforMariaDB/servers"
PG_SINGLE = "Microsoft.DBforPostgreSQL/servers"
MYSQL_SETTINGS = ("require_secure_transport", "tls_version")
# issue 16: virtual networks (LOG-01), Front Door endpoints and their security policies (WAF-01),
# flow logs (read under each network watcher: they are not listed with the networks)
VNET = "Microsoft.Network/virtualNetworks"
FD_ENDPOINT = "Microsoft.Cdn/profiles/afdEndpoints"       # read per profile, as custom domains
FLOW_LOG = "Microsoft.Network/networkWatchers/flowLogs"   # read per network watcher
WATCHER = "microsoft.network/networkwatchers"
NETWORK_API_VERSION = "2024-05-01"
FD_WAF_API_VERSION = "2024-02-01"
# Types listed with a plain GET (no SDK is a dependency for them): arm type -> api-version
REST_LISTINGS = {MYSQL_FLEX: "2023-12-30", MYSQL: "2017-12-01", MARIADB: "2018-06-01", PG_SINGLE: "2017-12-01"}
GENERIC = "*"   # any other taggable type

# arm type -> (SDK service, subscription-wide listing)
LISTINGS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    PG: ("postgres", lambda c: c.servers.list_by_subscription()),
    SQL: ("sql", lambda c: c.servers.list()),
    "Microsoft.Storage/storageAccounts": ("storage", lambda c: c.storage_accounts.list()),
    "Microsoft.Cache/Redis": ("redis", lambda c: c.redis.list_by_subscription()),
    "Microsoft.Network/applicationGateways": ("network", lambda c: c.application_gateways.list_all()),
    "Microsoft.Network/networkSecurityGroups": ("network", lambda c: c.network_security_groups.list_all()),
    "Microsoft.Network/applicationSecurityGroups": ("network", lambda c: c.application_security_groups.list_all()),
    VNET: ("network", lambda c: c.virtual_networks.list_all()),
    # list() goes through the generic resources listing and omits properties
    "Microsoft.KeyVault/vaults": ("keyvault", lambda c: c.vaults.list_by_subscription()),
    **{t: ("rest", None) for t in REST_LISTINGS},
}
ALL_TYPES = list(LISTINGS) + [SQLDB, FD_DOMAIN, FD_ENDPOINT, FLOW_LOG]
CANONICAL = {t.lower(): t for t in ALL_TYPES}
GRAPH_BATCH = 1000   # subscriptions per Resource Graph query (the service's limit)
GRAPH_PAGE = 1000    # rows per page (the service's maximum)


@dataclass
class Failure:
    api: str      # "GET Microsoft.Sql/servers/encryptionProtector"
    error: str    # "403 AuthorizationFailed"

    @property
    def reason(self) -> str:
        return f"{self.api} failed: {self.error}"


@dataclass
class Item:
    arm_type: str
    body: dict
    subscription: str
    api: str                                    # the call whose answer ``body`` is
    children: dict[str, Any] = field(default_factory=dict)   # name -> (body, api) | Failure


@dataclass
class Inventory:
    items: list[Item] = field(default_factory=list)
    rg_tags: dict[tuple[str, str], Any] = field(default_factory=dict)   # (sub, rg lower) -> dict | Failure
    rg_failures: dict[str, Failure] = field(default_factory=dict)        # sub -> the failed listing
    failures: list[dict] = field(default_factory=list)                   # coverage entries
    unlisted: list[tuple[str, str, str, Failure]] = field(default_factory=list)  # (scope id, sub, type, why)
    generic: list[tuple[dict, str, str]] = field(default_factory=list)  # other taggable resources: (body, sub, api)
    flow_logs: dict[str, list] = field(default_factory=dict)            # sub lower -> [(flow log body, api)]
    flow_log_failures: dict[str, list] = field(default_factory=dict)    # sub lower -> [Failure]
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, item: Item) -> None:
        with self.lock:
            self.items.append(item)

    def fail(self, sub: str | None, api: str, e: BaseException, what: str = "") -> Failure:
        f = Failure(api, describe_error(e))
        where = f", subscription {sub}" if sub else ""
        with self.lock:
            self.failures.append({"kind": "api-error", "message": f"{api}{what}{where}: {f.error}",
                                  "api": api, "subscription": sub, "error": f.error})
        return f


def parse_id(rid: str) -> dict[str, str]:
    """subscription, resource_group and the name chain of an ARM resource ID."""
    parts = rid.strip("/").split("/")
    out = {"subscription": "", "resource_group": "", "names": []}
    low = [p.lower() for p in parts]
    if len(parts) > 1 and low[0] == "subscriptions":
        out["subscription"] = parts[1]
    if "resourcegroups" in low:
        i = low.index("resourcegroups")
        out["resource_group"] = parts[i + 1] if i + 1 < len(parts) else ""
    if "providers" in low:
        i = len(low) - 1 - low[::-1].index("providers")
        out["names"] = parts[i + 3::2]
    return out


# ----------------------------------------------------------------------------- scheduling
Task = tuple[Callable[..., Any], tuple]


class Work:
    """A bounded pool whose tasks may return follow-up tasks (list -> children)."""

    def __init__(self, concurrency: int, progress: Callable[[int, int], None] | None = None):
        self.pool = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="specguard-azure")
        self.pending: set = set()
        self.done = 0
        self.total = 0
        self.progress = progress

    def submit(self, fn, *args) -> None:
        self.pending.add(self.pool.submit(fn, *args))
        self.total += 1

    def run(self) -> None:
        try:
            while self.pending:
                finished, _ = wait(self.pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    self.pending.discard(fut)
                    self.done += 1
                    for fn, args in fut.result() or ():   # tasks record API failures themselves
                        self.submit(fn, *args)
                if self.progress:
                    self.progress(self.done, self.total)
        finally:
            self.pool.shutdown(wait=True, cancel_futures=True)


# ----------------------------------------------------------------------------- tasks
class Reader:
    """The calls of one audit; every method is a task for ``Work``."""

    def __init__(self, session: Session, inv: Inventory):
        self.s = session
        self.inv = inv

    # resource groups (their tags are inherited_tags) -------------------------
    def resource_groups(self, sub: str) -> list[Task]:
        api = "GET Microsoft.Resources/resourceGroups"
        try:
            found, bodies = {}, []
            for rg in self.s.client("resources", sub).resource_groups.list():
                d = to_json(rg)
                found[(sub.lower(), (d.get("name") or "").lower())] = dict(d.get("tags") or {})
                bodies.append((d, sub, api))
        except Exception as e:
            f = self.inv.fail(sub, api, e, " (list)")
            with self.inv.lock:
                self.inv.rg_failures[sub.lower()] = f
            return []
        with self.inv.lock:
            self.inv.rg_tags.update(found)
            self.inv.generic.extend(bodies)
        return []

    def list_generic(self, sub: str) -> list[Task]:
        """Every other resource, for its tags (TAG-01 covers every taggable resource)."""
        api = "GET Microsoft.Resources/resources"
        found = []
        try:
            for obj in self.s.client("resources", sub).resources.list():
                d = to_json(obj)
                if (d.get("type") or "").lower() not in CANONICAL:
                    found.append((d, sub, api))
        except Exception as e:
            f = self.inv.fail(sub, api, e, " (list)")
            with self.inv.lock:
                self.inv.unlisted.append((f"/subscriptions/{sub}/resources", sub, GENERIC, f))
                # Front Door profiles are found in this listing: their custom domains are unseen too
                self.inv.unlisted.append((f"/subscriptions/{sub}/providers/{FD_DOMAIN}", sub, FD_DOMAIN, f))
                self.inv.unlisted.append((f"/subscriptions/{sub}/providers/{FD_ENDPOINT}", sub, FD_ENDPOINT, f))
                # and so are the network watchers, whose flow logs record the networks' traffic
                self.inv.flow_log_failures.setdefault(sub.lower(), []).append(f)
                arm_msg.unlisted_with_generic(self, sub, f)   # and the Service Bus namespaces' entities
        self._unmapped(found)
        with self.inv.lock:
            self.inv.generic.extend(found)
        return self._front_doors(found) + self._watchers(found) + arm_msg.namespace_tasks(self, found)

    # per-service listing (strategy "arm") ---------------------------------------
    def list_type(self, sub: str, arm_type: str) -> list[Task]:
        service, lister = LISTINGS[arm_type]
        api = f"GET {arm_type}"
        follow: list[Task] = []
        try:
            if service == "rest":
                found = self.s.list_json(f"/subscriptions/{sub}/providers/{arm_type}", REST_LISTINGS[arm_type], sub)
            else:
                found = (to_json(obj) for obj in lister(self.s.client(service, sub)))
            for body in found:
                follow += self._found(arm_type, body, sub, api)
        except Exception as e:
            f = self.inv.fail(sub, api, e, " (list)")
            with self.inv.lock:
                self.inv.unlisted.append((f"/subscriptions/{sub}/providers/{arm_type}", sub, arm_type, f))
                if arm_type == SQL:   # their databases are unseen too
                    self.inv.unlisted.append((f"/subscriptions/{sub}/providers/{SQLDB}", sub, SQLDB, f))
        return follow

    def list_databases(self, server: Item) -> list[Task]:
        ids = parse_id(server.body["id"])
        api = f"GET {SQLDB}"
        follow: list[Task] = []
        try:
            pager = self.s.client("sql", server.subscription).databases.list_by_server(
                ids["resource_group"], ids["names"][0])
            for obj in pager:
                follow += self._found(SQLDB, to_json(obj), server.subscription, api)
        except Exception as e:
            f = self.inv.fail(server.subscription, api, e, f" (list) of {server.body['id']}")
            with self.inv.lock:
                self.inv.unlisted.append((f"{server.body['id']}/databases", server.subscription, SQLDB, f))
        return follow

    # Resource Graph (strategy "graph") ------------------------------------------
    def graph(self, subs: list[str]) -> list[Task]:
        from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions

        # every resource: the audited types with their properties, the others for their tags
        query = ("Resources | project id, name, type, kind, location, resourceGroup, subscriptionId, tags, "
                 "properties, sku, zones | order by id asc")
        api = "POST Microsoft.ResourceGraph/resources"
        follow: list[Task] = []
        generic: list = []
        token = None
        client = self.s.client("graph")
        try:
            while True:
                opts = QueryRequestOptions(top=GRAPH_PAGE, skip_token=token, result_format="objectArray")
                resp = client.resources(QueryRequest(subscriptions=subs, query=query, options=opts))
                for row in resp.data or []:
                    arm_type = CANONICAL.get((row.get("type") or "").lower())
                    sub = row.get("subscriptionId") or parse_id(row["id"])["subscription"]
                    if arm_type in (FD_DOMAIN, FD_ENDPOINT, FLOW_LOG):
                        continue   # read from their profiles / watchers, as with the per-service listings
                    if arm_type:
                        follow += self._found(arm_type, row, sub, api)
                    else:
                        generic.append((row, sub, api))
                token = resp.skip_token
                if not token:
                    break
        except Exception as e:
            self.inv.fail(None, api, e, f" for {len(subs)} subscription(s)")
            # fall back to per-service listing so the audit still sees these subscriptions
            lower = {x.lower() for x in subs}
            with self.inv.lock:
                self.inv.items = [i for i in self.inv.items if i.subscription.lower() not in lower]
            return [(self.list_type, (sub, t)) for sub in subs for t in LISTINGS] + \
                [(self.list_generic, (sub,)) for sub in subs]
        self._unmapped(generic)
        with self.inv.lock:
            self.inv.generic.extend(generic)
        return follow + self._front_doors(generic) + self._watchers(generic) + arm_msg.namespace_tasks(self, generic)

    def graph_resource_groups(self, subs: list[str]) -> list[Task]:
        from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions

        query = ("ResourceContainers | where type =~ 'microsoft.resources/subscriptions/resourcegroups' "
                 "| project id, name, type, location, subscriptionId, tags | order by id asc")
        api = "POST Microsoft.ResourceGraph/resources"
        token = None
        found, bodies = {}, []
        try:
            while True:
                opts = QueryRequestOptions(top=GRAPH_PAGE, skip_token=token, result_format="objectArray")
                resp = self.s.client("graph").resources(QueryRequest(subscriptions=subs, query=query, options=opts))
                for row in resp.data or []:
                    found[((row.get("subscriptionId") or "").lower(), (row.get("name") or "").lower())] = \
                        dict(row.get("tags") or {})
                    bodies.append((dict(row, type="Microsoft.Resources/resourceGroups"), row.get("subscriptionId"),
                                   api))
                token = resp.skip_token
                if not token:
                    break
        except Exception as e:
            self.inv.fail(None, api, e, f" (resource groups) for {len(subs)} subscription(s)")
            return [(self.resource_groups, (sub,)) for sub in subs]
        with self.inv.lock:
            self.inv.rg_tags.update(found)
            self.inv.generic.extend(bodies)
        return []

    def _unmapped(self, bodies: list[tuple[dict, str, str]]) -> None:
        """A database, cache, key... of a type no mapper reads is said under coverage, not dropped silently."""
        from .arm_map import unmapped_entries

        entries = unmapped_entries(bodies)
        with self.inv.lock:
            self.inv.failures.extend(entries)

    # Front Door custom domains (TLS-02) ---------------------------------------------
    def _front_doors(self, generic: list[tuple[dict, str, str]]) -> list[Task]:
        """A custom-domain listing for every Front Door Standard/Premium profile among the other resources."""
        return [(fn, (body, sub)) for body, sub, _api in generic
                if (body.get("type") or "").lower() == FD_PROFILE and _is_front_door(body)
                for fn in (self.list_custom_domains, self.list_endpoints)]

    def _watchers(self, generic: list[tuple[dict, str, str]]) -> list[Task]:
        """A flow-log listing under every network watcher among the other resources (LOG-01)."""
        return [(self.list_flow_logs, (body, sub)) for body, sub, _api in generic
                if (body.get("type") or "").lower() == WATCHER]

    def list_flow_logs(self, watcher: dict, sub: str) -> list[Task]:
        api = f"GET {FLOW_LOG}"
        try:
            found = [(d, sub, api) for d in self.s.list_json(f"{watcher['id']}/flowLogs", NETWORK_API_VERSION, sub)]
        except Exception as e:
            f = self.inv.fail(sub, api, e, f" (list) of {watcher['id']}")
            with self.inv.lock:
                self.inv.flow_log_failures.setdefault(sub.lower(), []).append(f)
                self.inv.unlisted.append((f"{watcher['id']}/flowLogs", sub, GENERIC, f))
            return []
        with self.inv.lock:
            self.inv.generic.extend(found)   # tracked resources: TAG-01
            self.inv.flow_logs.setdefault(sub.lower(), []).extend((d, a) for d, _s, a in found)
        return []

    def list_endpoints(self, profile: dict, sub: str) -> list[Task]:
        """A Front Door profile's endpoints, with the profile's security policies and their WAF policies."""
        api = f"GET {FD_ENDPOINT}"
        try:
            bodies = list(self.s.list_json(f"{profile['id']}/afdEndpoints", FD_API_VERSION, sub))
        except Exception as e:
            f = self.inv.fail(sub, api, e, f" (list) of {profile['id']}")
            with self.inv.lock:
                self.inv.unlisted.append((f"{profile['id']}/afdEndpoints", sub, FD_ENDPOINT, f))
            return []
        if not bodies:
            return []
        sp_api = "GET Microsoft.Cdn/profiles/securityPolicies"
        try:
            policies = (list(self.s.list_json(f"{profile['id']}/securityPolicies", FD_API_VERSION, sub)), sp_api)
        except Exception as e:
            policies = self.inv.fail(sub, sp_api, e, f" (list) of {profile['id']}")
        wafs = {}
        if isinstance(policies, tuple):
            for sp in policies[0]:
                wid = (((sp.get("properties") or {}).get("parameters") or {}).get("wafPolicy") or {}).get("id")
                if wid and wid.lower() not in wafs:
                    w_api = "GET Microsoft.Network/frontDoorWebApplicationFirewallPolicies"
                    try:
                        wafs[wid.lower()] = (get_json(self.s, wid, FD_WAF_API_VERSION, sub), w_api)
                    except Exception as e:
                        wafs[wid.lower()] = self.inv.fail(sub, w_api, e, f" of {wid}")
        for body in bodies:
            item = Item(FD_ENDPOINT, body, sub, api)
            item.children["securityPolicies"] = policies
            for wid, got in wafs.items():
                item.children[f"wafPolicy:{wid}"] = got
            self.inv.add(item)
        return []

    def list_custom_domains(self, profile: dict, sub: str) -> list[Task]:
        api = f"GET {FD_DOMAIN}"
        try:
            for d in self.s.list_json(f"{profile['id']}/customDomains", FD_API_VERSION, sub):
                self._found(FD_DOMAIN, d, sub, api)
        except Exception as e:
            f = self.inv.fail(sub, api, e, f" (list) of {profile['id']}")
            with self.inv.lock:
                self.inv.unlisted.append((f"{profile['id']}/customDomains", sub, FD_DOMAIN, f))
        return []

    # child settings ---------------------------------------------------------------
    def _found(self, arm_type: str, body: dict, sub: str, api: str) -> list[Task]:
        if arm_type == SQLDB and _system_database(body):
            return []
        item = Item(arm_type, body, sub, api)
        self.inv.add(item)
        from . import arm_dr   # SEC-01, DR-01: sign-in settings, replicas, failover groups
        if arm_type == PG:
            return [(self.pg_setting, (item, name)) for name in PG_SETTINGS] + arm_dr.tasks(self, item)
        if arm_type == MYSQL_FLEX:
            return [(self.mysql_setting, (item, name)) for name in MYSQL_SETTINGS]
        if arm_type == SQL:
            tasks: list[Task] = [(self.sql_protector, (item,))] + arm_dr.tasks(self, item)
            if api.startswith("GET"):       # Resource Graph lists the databases itself
                tasks.append((self.list_databases, (item,)))
            return tasks
        if arm_type == arm_msg.VAULT:   # its secrets' expiry and keys' rotation policies (SEC-02)
            return arm_msg.vault_tasks(self, item)
        if arm_type == SQLDB:
            return [(self.sql_retention, (item,))]
        if arm_type == "Microsoft.Network/applicationGateways" and \
                ((body.get("properties") or {}).get("firewallPolicy") or {}).get("id"):
            return [(self.gateway_policy, (item,))]
        return []

    def gateway_policy(self, item: Item) -> list[Task]:
        """The WAF policy of an Application Gateway (its mode decides WAF-01)."""
        pid = item.body["properties"]["firewallPolicy"]["id"]
        self._child(item, "firewallPolicy", "GET Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies",
                    lambda: get_json(self.s, pid, NETWORK_API_VERSION, item.subscription))
        return []

    def pg_setting(self, item: Item, name: str) -> list[Task]:
        ids = parse_id(item.body["id"])
        api = f"GET {PG}/configurations"
        self._child(item, f"configurations/{name}", api, lambda: self.s.client("postgres", item.subscription)
                    .configurations.get(ids["resource_group"], ids["names"][0], name))
        return []

    def mysql_setting(self, item: Item, name: str) -> list[Task]:
        api = f"GET {MYSQL_FLEX}/configurations"
        self._child(item, f"configurations/{name}", api, lambda: get_json(
            self.s, f"{item.body['id']}/configurations/{name}", REST_LISTINGS[MYSQL_FLEX], item.subscription))
        return []

    def sql_protector(self, item: Item) -> list[Task]:
        ids = parse_id(item.body["id"])
        self._child(item, "encryptionProtector", f"GET {SQL}/encryptionProtector",
                    lambda: self.s.client("sql", item.subscription).encryption_protectors.get(
                        ids["resource_group"], ids["names"][0], "current"))
        return []

    def sql_retention(self, item: Item) -> list[Task]:
        ids = parse_id(item.body["id"])
        self._child(item, "backupShortTermRetentionPolicies/default",
                    f"GET {SQLDB}/backupShortTermRetentionPolicies",
                    lambda: self.s.client("sql", item.subscription).backup_short_term_retention_policies.get(
                        ids["resource_group"], ids["names"][0], ids["names"][1], "default"))
        return []

    def _child(self, item: Item, name: str, api: str, call) -> None:
        try:
            item.children[name] = (to_json(call()), api)
        except Exception as e:
            item.children[name] = self.inv.fail(item.subscription, api, e, f" of {item.body['id']}")


def get_json(session: Session, path: str, api_version: str, subscription: str) -> dict:
    """One Resource Manager resource as JSON, by a plain GET through the session's pipeline
    (credential, retries, the read-only guard), for the types no installed SDK covers."""
    from urllib.parse import quote

    from azure.core.exceptions import HttpResponseError
    from azure.core.rest import HttpRequest
    from azure.mgmt.core.exceptions import ARMErrorFormat

    resp = session.client("resources", subscription).send_request(
        HttpRequest("GET", f"{session.ep.arm}{quote(path)}?api-version={api_version}"))
    if resp.status_code >= 400:
        raise HttpResponseError(response=resp, error_format=ARMErrorFormat)
    return resp.json()


def _is_front_door(profile: dict) -> bool:
    """Standard_AzureFrontDoor / Premium_AzureFrontDoor; classic CDN profiles have no AFD custom domains.
    A profile whose SKU is not shown is read too (a failed read is reported, a skipped one would not be)."""
    sku = (profile.get("sku") or {}).get("name") if isinstance(profile.get("sku"), dict) else None
    return sku is None or "azurefrontdoor" in str(sku).lower()


def _system_database(body: dict) -> bool:
    # "master" is the server's system database: Terraform never manages it
    return (body.get("name") or "").lower() == "master" or "system" in (body.get("kind") or "").lower()
