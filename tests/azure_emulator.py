"""An HTTPS Azure Resource Manager emulator for the live Azure audit's tests and bench.

It runs on 127.0.0.1 with a certificate from a throw-away CA (trustme); clients
trust it through ``REQUESTS_CA_BUNDLE``, the same setting a real deployment
behind a TLS-inspecting proxy uses.  It answers:

* the Microsoft identity platform requests azure-identity's ClientSecretCredential
  (through MSAL) makes against a custom authority host: the tenant's
  ``openid-configuration`` document and the client-credentials token POST;
* Azure Resource Manager GETs: subscriptions, resource groups, subscription-wide
  provider listings (``/subscriptions/S/providers/NS/type``), child collections,
  single resources and child resources by ID, all paged through ``nextLink``;
* the Azure Resource Graph query POST (``$skipToken`` paging), for the queries the
  collector sends (type filter, resource containers).

Bodies start from the official REST examples in
``tests/corpus/azure-rest-examples`` (``template(...)``) with ids and values
adapted.  A fault table (path regex -> status or delay) injects failures, an
added latency slows every request (bench), and every request is recorded so a
test can prove which methods left the client.
"""
from __future__ import annotations

import base64
import copy
import json
import pathlib
import re
import secrets
import ssl
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import trustme

CORPUS = pathlib.Path(__file__).resolve().parent / "corpus" / "azure-rest-examples"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CLIENT_ID = "11111111-2222-3333-4444-555555555555"
CLIENT_SECRET = "emulator-secret-do-not-print"

TEMPLATES = {
    "postgres": "postgresql-flexible-servers/2024-08-01/ServerGet.json",
    "postgres_config": "postgresql-flexible-servers/2024-08-01/ConfigurationGet.json",
    "sql_server": "sql/2023-08-01/ServerGet.json",
    "sql_database": "sql/2021-11-01/GetVCoreDatabase.json",
    "sql_retention": "sql/2021-11-01/GetShortTermRetentionPolicy.json",
    "storage": "storage/2023-05-01/StorageAccountGetProperties.json",
    "redis": "redis/2024-11-01/RedisCacheGet.json",
    "app_gateway": "network/2024-07-01/ApplicationGatewayGet.json",
    "nsg": "network/2024-05-01/NetworkSecurityGroupGet.json",
    "key_vault": "keyvault/2023-07-01/getVault.json",
    "resource_group": "resources/2025-04-01/ResourceGroups_Get.json",
}


def template(kind: str) -> dict:
    """A fresh copy of the official example response body for ``kind``."""
    doc = json.loads((CORPUS / TEMPLATES[kind]).read_text("utf-8"))
    return copy.deepcopy(doc["responses"]["200"]["body"])


def retarget(value, old_prefix: str, new_prefix: str):
    """Rewrite every ID inside an example from the example's resource to ours."""
    if isinstance(value, dict):
        return {k: retarget(v, old_prefix, new_prefix) for k, v in value.items()}
    if isinstance(value, list):
        return [retarget(v, old_prefix, new_prefix) for v in value]
    if isinstance(value, str) and value.lower().startswith(old_prefix.lower()):
        return new_prefix + value[len(old_prefix):]
    return value


def arm_id(sub: str, rg: str, provider_type: str, name: str) -> str:
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{provider_type}/{name}"


def _segments_after_provider(path: str) -> list[str] | None:
    parts = path.strip("/").split("/")
    low = [p.lower() for p in parts]
    if "providers" not in low:
        return None
    i = len(low) - 1 - low[::-1].index("providers")
    return parts[i + 2:]  # skip "providers" and the namespace


class ArmEmulator:
    def __init__(self, page_size: int = 2, graph_page_size: int = 1000, latency: float = 0.0):
        self.page_size = page_size
        self.graph_page_size = graph_page_size
        self.latency = latency
        self.subscriptions: dict[str, dict] = {}
        self.store: dict[str, dict] = {}          # lower-cased id -> body
        self.faults: list[dict] = []
        self.requests: list[dict] = []
        self.token_scopes: list[str] = []
        self._tokens: set[str] = set()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.base_url = ""
        self.ca_path = ""

    # ------------------------------------------------------------------ content
    def add_subscription(self, sub: str, name: str | None = None, state: str = "Enabled",
                         tenant: str = TENANT) -> None:
        self.subscriptions[sub.lower()] = {
            "id": f"/subscriptions/{sub}", "subscriptionId": sub, "tenantId": tenant,
            "displayName": name or f"subscription {sub[:8]}", "state": state,
            "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01", "quotaId": "PayAsYouGo_2014-09-01",
                                     "spendingLimit": "Off"},
            "authorizationSource": "RoleBased"}
        # every subscription sees Microsoft's built-in roles (this emulator ignores $filter: the audit drops them)
        self.put(role_definition(sub, "Reader", ["*/read"], role_type="BuiltInRole", scopes=["/"],
                                 guid="acdd72a7-3385-48ef-bd42-f606fba81ae7",
                                 description="View all resources, but does not allow you to make any changes."))

    def add_resource_group(self, sub: str, rg: str, location: str = "eastus2", tags: dict | None = None) -> dict:
        body = template("resource_group")
        body.update({"id": f"/subscriptions/{sub}/resourceGroups/{rg}", "name": rg, "location": location})
        if tags is not None:
            body["tags"] = dict(tags)
        return self.put(body)

    def put(self, body: dict) -> dict:
        self.store[body["id"].lower()] = body
        return body

    def get(self, rid: str) -> dict | None:
        return self.store.get(rid.lower())

    def fault(self, pattern: str, status: int | None = None, code: str | None = None, *, delay: float | None = None,
              times: int | None = None, method: str | None = None, echo: bool = False) -> dict:
        """Requests whose path (lower-cased) matches ``pattern`` fail with ``status``, or are delayed;
        ``echo``: the error's code is the request's bearer token and its message the Authorization header."""
        f = {"re": re.compile(pattern, re.I), "status": status, "code": code or _default_code(status),
             "delay": delay, "times": times, "method": method, "hits": 0, "echo": echo}
        self.faults.append(f)
        return f

    # ------------------------------------------------------------------ server
    def start(self, tmpdir) -> "ArmEmulator":
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cert.configure_cert(ctx)
        self.ca_path = str(pathlib.Path(tmpdir) / "emulator-ca.pem")
        ca.cert_pem.write_to_path(self.ca_path)
        emu = self

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 256

            def finish_request(self, request, client_address):
                # TLS handshake in the request's own thread, not in the accept loop
                try:
                    conn = ctx.wrap_socket(request, server_side=True)
                except (ssl.SSLError, OSError):
                    return
                self.RequestHandlerClass(conn, client_address, self)

        self._server = Server(("127.0.0.1", 0), _Handler)
        self._server.emu = emu
        self.base_url = f"https://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def env(self) -> dict[str, str]:
        """The environment a client needs: service-principal credentials, authority host, CA trust."""
        return {"AZURE_TENANT_ID": TENANT, "AZURE_CLIENT_ID": CLIENT_ID, "AZURE_CLIENT_SECRET": CLIENT_SECRET,
                "AZURE_AUTHORITY_HOST": self.base_url, "REQUESTS_CA_BUNDLE": self.ca_path}

    def arm_requests(self) -> list[dict]:
        """Recorded requests to Resource Manager (not to the identity endpoints)."""
        return [r for r in self.requests if not r["identity"]]

    # ------------------------------------------------------------------ handling
    def handle(self, h: "_Handler", method: str) -> None:
        url = urllib.parse.urlsplit(h.path)
        path = urllib.parse.unquote(url.path)
        query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        identity = "/oauth2/" in path or "/.well-known/" in path or path.endswith("/discovery/instance")
        rec = {"method": method, "path": path, "query": query, "identity": identity, "status": None}
        with self._lock:
            self.requests.append(rec)
        if self.latency:
            time.sleep(self.latency)
        try:
            status, payload, headers = self._route(h, method, path, query, body, identity)
        except Exception as e:  # an emulator bug must be visible, not a hang
            status, payload, headers = 500, _error("EmulatorError", repr(e)), {}
        rec["status"] = status
        data = json.dumps(payload).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json; charset=utf-8")
        h.send_header("Content-Length", str(len(data)))
        h.send_header("x-ms-request-id", secrets.token_hex(8))
        for k, v in headers.items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(data)

    def _fault_for(self, method: str, path: str) -> dict | None:
        with self._lock:
            for f in self.faults:
                if f["method"] and f["method"] != method:
                    continue
                if not f["re"].search(path.lower()):
                    continue
                if f["times"] is not None and f["hits"] >= f["times"]:
                    continue
                f["hits"] += 1
                return f
        return None

    def _route(self, h, method, path, query, body, identity):
        if identity:
            return self._identity(method, path, body)
        auth = h.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self._tokens:
            return 401, _error("AuthenticationFailed", "Authentication failed: no valid bearer token."), {}
        f = self._fault_for(method, path)
        if f is not None:
            if f["delay"]:
                time.sleep(f["delay"])
            if f["status"]:
                hdrs = {"retry-after-ms": "20"} if f["status"] in (429, 503) else {}
                if f["echo"]:
                    return f["status"], _error(auth[7:], f"Authorization: {auth}"), hdrs
                return f["status"], _error(f["code"], f"injected {f['status']} for {path}"), hdrs
        if method == "POST" and path.lower() == "/providers/microsoft.resourcegraph/resources":
            return self._graph(json.loads(body or b"{}"))
        if method != "GET":
            return 405, _error("MethodNotAllowed", f"the emulator is read-only: {method} {path}"), {}
        return self._get(path.rstrip("/"), query)

    # identity platform ------------------------------------------------------
    def _identity(self, method, path, body):
        parts = path.strip("/").split("/")
        tenant = parts[0]
        base = f"{self.base_url}/{tenant}"
        if path.endswith("/.well-known/openid-configuration"):
            return 200, {"token_endpoint": f"{base}/oauth2/v2.0/token",
                         "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                         "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                         "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
                         "issuer": f"{base}/v2.0", "jwks_uri": f"{base}/discovery/v2.0/keys",
                         "response_types_supported": ["code", "id_token", "token"],
                         "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"]}, {}
        if method == "POST" and path.endswith("/oauth2/v2.0/token"):
            form = dict(urllib.parse.parse_qsl(body.decode()))
            if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
                return 401, {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret."}, {}
            token = secrets.token_urlsafe(24)
            with self._lock:
                self._tokens.add(token)
                self.token_scopes.append(form.get("scope", ""))
            return 200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                         "access_token": token}, {}
        return 404, {"error": "not_found", "error_description": path}, {}

    # Resource Manager GETs --------------------------------------------------
    def _get(self, path, query):
        low = path.lower()
        if low == "/subscriptions":
            return self._page(path, query, sorted(self.subscriptions.values(), key=lambda s: s["id"]))
        m = re.fullmatch(r"/subscriptions/([^/]+)", low)
        if m:
            s = self.subscriptions.get(m.group(1))
            return (200, s, {}) if s else (404, _error("SubscriptionNotFound", path), {})
        m = re.match(r"/subscriptions/([^/]+)", low)
        if not m or m.group(1) not in self.subscriptions:
            return 404, _error("SubscriptionNotFound", f"The subscription of {path} could not be found."), {}
        if re.fullmatch(r"/subscriptions/[^/]+/resourcegroups", low):
            items = [b for k, b in self.store.items()
                     if re.fullmatch(re.escape(low) + r"/[^/]+", k)]
            return self._page(path, query, items)
        m = re.fullmatch(r"/subscriptions/([^/]+)/resources", low)
        if m:  # the generic listing: every tracked resource of the subscription (no properties)
            items = [{k: v for k, v in b.items() if k in ("id", "name", "type", "location", "tags", "kind", "sku",
                                                           "zones")}
                     for k, b in self.store.items() if k.startswith(f"/subscriptions/{m.group(1)}/")
                     and _tracked(k)]
            return self._page(path, query, items)
        m = re.fullmatch(r"/subscriptions/([^/]+)/providers/([^/]+)/([^/]+)", low)
        if m:  # a subscription-wide listing of one top-level type
            want = f"{m.group(2)}/{m.group(3)}"
            items = [b for k, b in self.store.items()
                     if k.startswith(f"/subscriptions/{m.group(1)}/") and _type_of(k) == want]
            return self._page(path, query, items)
        if low in self.store:
            return 200, self.store[low], {}
        segs = _segments_after_provider(low)
        if segs is not None and len(segs) % 2 == 1:  # a child collection: .../servers/x/databases
            parent = low.rsplit("/", 1)[0]
            if parent not in self.store:
                return 404, _error("ParentResourceNotFound", f"Can not perform requested operation on nested "
                                   f"resource. Parent resource '{parent}' not found."), {}
            items = [b for k, b in self.store.items() if k.rsplit("/", 1)[0] == low]
            return self._page(path, query, items)
        return 404, _error("ResourceNotFound", f"The Resource '{path}' was not found."), {}

    def _page(self, path, query, items):
        items = sorted(items, key=lambda b: b["id"].lower())
        start = int(query.get("$skiptoken", "0") or 0)
        chunk = items[start:start + self.page_size]
        out = {"value": chunk}
        if start + self.page_size < len(items):
            q = {k: v for k, v in query.items() if k != "$skiptoken"}
            q["$skiptoken"] = str(start + self.page_size)
            out["nextLink"] = f"{self.base_url}{urllib.parse.quote(path)}?{urllib.parse.urlencode(q)}"
        return 200, out, {}

    # Resource Graph -----------------------------------------------------------
    def _graph(self, req):
        subs = {s.lower() for s in req.get("subscriptions") or self.subscriptions}
        query = req.get("query", "")
        opts = req.get("options") or {}
        rows = []
        if "resourcecontainers" in query.lower():
            for k, b in self.store.items():
                m = re.fullmatch(r"/subscriptions/([^/]+)/resourcegroups/([^/]+)", k)
                if m and m.group(1) in subs:
                    rows.append(self._row(b, m.group(1), "microsoft.resources/subscriptions/resourcegroups"))
        else:
            m = re.search(r"type\s+in~\s*\(([^)]*)\)", query, re.I)
            types = {t.lower() for t in re.findall(r"'([^']+)'", m.group(1))} if m else None
            for k, b in self.store.items():
                sub = k.split("/")[2] if k.startswith("/subscriptions/") else ""
                t = _type_of(k)
                if sub in subs and _tracked(k) and (types is None or t in types):
                    rows.append(self._row(b, sub, t))
        rows.sort(key=lambda r: r["id"].lower())
        top = min(int(opts.get("$top") or self.graph_page_size), self.graph_page_size)
        token = opts.get("$skipToken")
        start = int(base64.b64decode(token).decode()) if token else 0
        chunk = rows[start:start + top]
        out = {"totalRecords": len(rows), "count": len(chunk), "data": chunk, "facets": [],
               "resultTruncated": "false"}
        if start + top < len(rows):
            out["$skipToken"] = base64.b64encode(str(start + top).encode()).decode()
        return 200, out, {}

    @staticmethod
    def _row(body, sub, type_lower):
        parts = body["id"].split("/")
        rg = parts[4] if len(parts) > 4 else ""
        row = {"id": body["id"], "name": body.get("name"), "type": type_lower, "tenantId": TENANT,
               "kind": body.get("kind", ""), "location": (body.get("location") or "").lower(),
               "resourceGroup": rg.lower(), "subscriptionId": sub, "managedBy": "",
               "sku": body.get("sku"), "plan": None, "properties": body.get("properties"),
               "tags": body.get("tags"), "identity": body.get("identity"), "zones": body.get("zones"),
               "extendedLocation": None}
        return row


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.server.emu.handle(self, "GET")

    def do_POST(self):
        self.server.emu.handle(self, "POST")

    def do_PUT(self):
        self.server.emu.handle(self, "PUT")

    def do_PATCH(self):
        self.server.emu.handle(self, "PATCH")

    def do_DELETE(self):
        self.server.emu.handle(self, "DELETE")

    def log_message(self, *args):
        pass


def _type_of(lower_id: str) -> str:
    """'microsoft.sql/servers/databases' for a lower-cased resource ID."""
    parts = lower_id.strip("/").split("/")
    if "providers" not in parts:
        return ""
    i = len(parts) - 1 - parts[::-1].index("providers")
    ns, rest = parts[i + 1], parts[i + 2:]
    return "/".join([ns] + rest[0::2])


# proxy (child setting) resources: readable by ID, never in listings of resources
# Service Bus entities and Key Vault secrets and keys are read under their parents, never listed (issue 17)
_PROXY = ("/queues", "/topics", "/subscriptions", "/secrets", "/keys",
          "/configurations", "/encryptionprotector", "/backupshorttermretentionpolicies", "/customdomains",
          "/securitypolicies", "/roledefinitions", "/administrators", "/failovergroups", "/replicas")


def _tracked(lower_id: str) -> bool:
    t = _type_of(lower_id)
    return bool(t) and not t.endswith(_PROXY) and not re.fullmatch(r"/subscriptions/[^/]+/resourcegroups/[^/]+",
                                                                     lower_id)


def _default_code(status):
    return {401: "AuthenticationFailed", 403: "AuthorizationFailed", 404: "ResourceNotFound",
            429: "TooManyRequests", 500: "InternalServerError", 503: "ServiceUnavailable"}.get(status, "Error")


def _error(code, message):
    return {"error": {"code": code, "message": message}}


# ---------------------------------------------------------------------- resource bodies
# Each builder starts from the official example body and sets what a test needs.

def _base(kind, sub, rg, ptype, name, location, tags):
    body = template(kind)
    new_id = arm_id(sub, rg, ptype, name)
    body = retarget(body, body["id"], new_id)
    body.update({"id": new_id, "name": name, "location": location})
    body["tags"] = dict(tags or {})
    body.pop("systemData", None)
    return body


def postgres_server(sub, rg, name, *, location="eastus2", tags=None, cmk_key_uri=None, ha_mode="ZoneRedundant",
                    backup_days=35, geo_backup="Enabled"):
    b = _base("postgres", sub, rg, "Microsoft.DBforPostgreSQL/flexibleServers", name, location, tags)
    p = b["properties"]
    p["dataEncryption"] = ({"type": "AzureKeyVault", "primaryKeyURI": cmk_key_uri,
                            "primaryUserAssignedIdentityId": arm_id(sub, rg, "Microsoft.ManagedIdentity/userAssignedIdentities", "pg-cmk")}
                           if cmk_key_uri else {"type": "SystemManaged"})
    p["highAvailability"] = {"mode": ha_mode, "state": "Healthy" if ha_mode != "Disabled" else "NotEnabled"}
    p["backup"] = {"backupRetentionDays": backup_days, "geoRedundantBackup": geo_backup,
                   "earliestRestoreDate": "2026-11-01T00:00:00Z"}
    p["fullyQualifiedDomainName"] = f"{name}.postgres.database.azure.com"
    return b


def postgres_config(server_id, name, value, source="user-override"):
    b = template("postgres_config")
    b.update({"id": f"{server_id}/configurations/{name}", "name": name})
    b["properties"].update({"value": value, "source": source, "description": f"{name} setting",
                            "defaultValue": {"require_secure_transport": "on",
                                             "ssl_min_protocol_version": "TLSv1.2"}.get(name, ""),
                            "dataType": "Enumeration", "allowedValues": ""})
    return b


def mysql_flexible_server(sub, rg, name, *, location="eastus2", tags=None, cmk_key_uri=None, ha_mode="ZoneRedundant",
                          backup_days=35, geo_backup="Enabled", version="8.0.21"):
    # No official example in the corpus: shape per the 2023-12-30 Server definition (Microsoft.DBforMySQL).
    sid = arm_id(sub, rg, "Microsoft.DBforMySQL/flexibleServers", name)
    enc = ({"type": "AzureKeyVault", "primaryKeyURI": cmk_key_uri,
            "primaryUserAssignedIdentityId": arm_id(sub, rg, "Microsoft.ManagedIdentity/userAssignedIdentities",
                                                    "mysql-cmk")}
           if cmk_key_uri else {"type": "SystemManaged"})
    return {"id": sid, "name": name, "type": "Microsoft.DBforMySQL/flexibleServers", "location": location,
            "tags": dict(tags or {}), "sku": {"name": "Standard_D2ds_v4", "tier": "GeneralPurpose"},
            "properties": {
                "administratorLogin": "cloudsa", "version": version, "state": "Ready",
                "fullyQualifiedDomainName": f"{name}.mysql.database.azure.com", "availabilityZone": "1",
                "storage": {"storageSizeGB": 128, "iops": 684, "autoGrow": "Enabled", "autoIoScaling": "Disabled",
                            "logOnDisk": "Disabled", "storageSku": "Premium_LRS"},
                "backup": {"backupRetentionDays": backup_days, "geoRedundantBackup": geo_backup,
                           "earliestRestoreDate": "2026-11-01T00:00:00Z"},
                "highAvailability": {"mode": ha_mode, "state": "Healthy" if ha_mode != "Disabled" else "NotEnabled",
                                     "standbyAvailabilityZone": "2" if ha_mode == "ZoneRedundant" else ""},
                "network": {"publicNetworkAccess": "Disabled"}, "dataEncryption": enc,
                "replicationRole": "None", "replicaCapacity": 10}}


def mysql_config(server_id, name, value, source="user-override"):
    # Shape per the 2023-12-30 Configuration definition.
    defaults = {"require_secure_transport": ("ON", "ON,OFF"), "tls_version": ("TLSv1.2", "TLSv1.2,TLSv1.3")}
    default, allowed = defaults.get(name, ("", ""))
    return {"id": f"{server_id}/configurations/{name}", "name": name,
            "type": "Microsoft.DBforMySQL/flexibleServers/configurations",
            "properties": {"value": value, "description": f"{name} setting", "defaultValue": default,
                           "dataType": "Set" if name == "tls_version" else "Enumeration", "allowedValues": allowed,
                           "source": source, "isReadOnly": "False", "isConfigPendingRestart": "False",
                           "isDynamicConfig": "False"}}


SINGLE_SERVER_TYPES = {"mysql": ("Microsoft.DBforMySQL/servers", "5.7", "mysql"),
                       "mariadb": ("Microsoft.DBforMariaDB/servers", "10.3", "mariadb"),
                       "postgres": ("Microsoft.DBforPostgreSQL/servers", "11", "postgres")}


def single_server(engine, sub, rg, name, *, location="eastus2", tags=None, ssl="Enabled", min_tls="TLS1_2",
                  backup_days=35, geo_backup="Enabled", byok=False):
    """A MySQL / MariaDB / PostgreSQL single server. No official example in the corpus: shape per the
    2017-12-01 (MySQL, PostgreSQL) and 2018-06-01 (MariaDB) Server definitions; MariaDB has no
    byokEnforcement (no customer-managed keys)."""
    ptype, version, dns = SINGLE_SERVER_TYPES[engine]
    props = {"administratorLogin": "cloudsa", "version": version, "sslEnforcement": ssl,
             "userVisibleState": "Ready", "fullyQualifiedDomainName": f"{name}.{dns}.database.azure.com",
             "earliestRestoreDate": "2026-11-01T00:00:00+00:00", "publicNetworkAccess": "Disabled",
             "storageProfile": {"backupRetentionDays": backup_days, "geoRedundantBackup": geo_backup,
                                "storageMB": 128000, "storageAutogrow": "Enabled"},
             "replicationRole": "None", "masterServerId": "", "replicaCapacity": 5}
    if min_tls is not None:
        props["minimalTlsVersion"] = min_tls
    if engine != "mariadb":
        props["byokEnforcement"] = "Enabled" if byok else "Disabled"
        props["infrastructureEncryption"] = "Disabled"
    return {"id": arm_id(sub, rg, ptype, name), "name": name, "type": ptype, "location": location,
            "tags": dict(tags or {}), "sku": {"name": "GP_Gen5_2", "tier": "GeneralPurpose", "family": "Gen5",
                                              "capacity": 2}, "properties": props}


def sql_server(sub, rg, name, *, location="eastus2", tags=None, min_tls="1.2"):
    b = _base("sql_server", sub, rg, "Microsoft.Sql/servers", name, location, tags)
    b["properties"]["fullyQualifiedDomainName"] = f"{name}.database.windows.net"
    if min_tls is not None:
        b["properties"]["minimalTlsVersion"] = min_tls
    return b


def sql_encryption_protector(server_id, key_uri=None):
    # No official example in the corpus: shape per the 2021-11-01 EncryptionProtector definition.
    props = ({"serverKeyName": "keyvault_key_1", "serverKeyType": "AzureKeyVault", "uri": key_uri,
              "thumbprint": "00112233445566778899AABBCCDDEEFF00112233", "autoRotationEnabled": True}
             if key_uri else {"serverKeyName": "ServiceManaged", "serverKeyType": "ServiceManaged",
                              "autoRotationEnabled": False})
    return {"id": f"{server_id}/encryptionProtector/current", "name": "current",
            "type": "Microsoft.Sql/servers/encryptionProtector",
            "kind": "azurekeyvault" if key_uri else "servicemanaged", "location": "eastus2",
            "properties": props}


def sql_database(server_id, name, *, location="eastus2", tags=None, zone_redundant=True, backup_redundancy="Geo"):
    b = template("sql_database")
    b = retarget(b, b["id"], f"{server_id}/databases/{name}")
    b.update({"id": f"{server_id}/databases/{name}", "name": name, "location": location, "tags": dict(tags or {})})
    b["properties"].update({"zoneRedundant": zone_redundant, "requestedBackupStorageRedundancy": backup_redundancy,
                            "currentBackupStorageRedundancy": backup_redundancy})
    return b


def sql_retention(db_id, days):
    b = template("sql_retention")
    b["id"] = f"{db_id}/backupShortTermRetentionPolicies/default"
    b["properties"]["retentionDays"] = days
    return b


def storage_account(sub, rg, name, *, location="eastus2", tags=None, key_source="Microsoft.Storage",
                    min_tls="TLS1_2", https_only=True, key_uri=None):
    b = _base("storage", sub, rg, "Microsoft.Storage/storageAccounts", name, location, tags)
    p = b["properties"]
    enc = p.setdefault("encryption", {})
    enc["keySource"] = key_source
    if key_source == "Microsoft.Keyvault":
        vault, _, key = (key_uri or "https://kv.vault.azure.net/keys/storage").partition("/keys/")
        enc["keyvaultproperties"] = {"keyvaulturi": vault, "keyname": key.split("/")[0], "keyversion": ""}
    else:
        enc.pop("keyvaultproperties", None)
    if min_tls is not None:
        p["minimumTlsVersion"] = min_tls
    p["supportsHttpsTrafficOnly"] = https_only
    return b


def redis_cache(sub, rg, name, *, location="eastus2", tags=None, non_ssl_port=False, min_tls="1.2",
                zones=("1", "2")):
    b = _base("redis", sub, rg, "Microsoft.Cache/Redis", name, location, tags)
    b["properties"]["enableNonSslPort"] = non_ssl_port
    b["properties"]["hostName"] = f"{name}.redis.cache.windows.net"
    b["properties"].pop("linkedServers", None)
    if min_tls is not None:
        b["properties"]["minimumTlsVersion"] = min_tls
    if zones:
        b["zones"] = list(zones)
    return b


def app_gateway(sub, rg, name, *, location="eastus2", tags=None, ssl_policy=None, http_redirect=True):
    """``ssl_policy`` e.g. {"policyType": "CustomV2", "minProtocolVersion": "TLSv1_3"} (None: not set)."""
    b = _base("app_gateway", sub, rg, "Microsoft.Network/applicationGateways", name, location, tags)
    p = b["properties"]
    gid = b["id"]
    if ssl_policy is not None:
        p["sslPolicy"] = ssl_policy
    # one HTTPS listener (no per-listener profile, so the gateway's policy applies) and one HTTP listener
    https_l, http_l = p["httpListeners"][0], p["httpListeners"][1]
    https_l["properties"].pop("sslProfile", None)
    p["sslProfiles"] = []
    p["httpListeners"] = [https_l, http_l]
    rules = [r for r in p["requestRoutingRules"] if r["properties"]["httpListener"]["id"] == https_l["id"]][:1]
    if http_redirect:
        p["redirectConfigurations"] = [{
            "name": "http-to-https", "id": f"{gid}/redirectConfigurations/http-to-https",
            "properties": {"redirectType": "Permanent", "targetListener": {"id": https_l["id"]},
                           "includePath": True, "includeQueryString": True}}]
        rules.append({"name": "http-redirect", "id": f"{gid}/requestRoutingRules/http-redirect",
                      "properties": {"ruleType": "Basic", "priority": 30, "httpListener": {"id": http_l["id"]},
                                     "redirectConfiguration": {"id": f"{gid}/redirectConfigurations/http-to-https"}}})
    else:
        p["redirectConfigurations"] = []
        rules.append({"name": "http-plain", "id": f"{gid}/requestRoutingRules/http-plain",
                      "properties": {"ruleType": "Basic", "priority": 30, "httpListener": {"id": http_l["id"]},
                                     "backendAddressPool": {"id": f"{gid}/backendAddressPools/appgwpool"},
                                     "backendHttpSettings": {"id": f"{gid}/backendHttpSettingsCollection/appgwbhs"}}})
    p["requestRoutingRules"] = rules
    p["urlPathMaps"] = []
    return b


def nsg(sub, rg, name, *, location="eastus2", tags=None, rules=()):
    """``rules``: dicts of securityRules properties (name, protocol, destinationPortRange(s),
    sourceAddressPrefix(es) / sourceApplicationSecurityGroups, access, priority, direction)."""
    b = _base("nsg", sub, rg, "Microsoft.Network/networkSecurityGroups", name, location, tags)
    out = []
    for i, r in enumerate(rules):
        r = dict(r)
        rname = r.pop("name", f"rule{i + 1}")
        props = {"provisioningState": "Succeeded", "protocol": "Tcp", "sourcePortRange": "*",
                 "destinationAddressPrefix": "*", "access": "Allow", "priority": 100 + 10 * i,
                 "direction": "Inbound"}
        props.update(r)
        out.append({"name": rname, "id": f"{b['id']}/securityRules/{rname}", "properties": props})
    b["properties"]["securityRules"] = out
    return b


def asg(sub, rg, name, *, location="eastus2", tags=None):
    # No official example in the corpus: shape per the ApplicationSecurityGroup definition.
    return {"id": arm_id(sub, rg, "Microsoft.Network/applicationSecurityGroups", name), "name": name,
            "type": "Microsoft.Network/applicationSecurityGroups", "location": location, "tags": dict(tags or {}),
            "etag": 'W/"00000000-0000-0000-0000-000000000000"',
            "properties": {"resourceGuid": "00000000-0000-0000-0000-000000000000", "provisioningState": "Succeeded"}}


def key_vault(sub, rg, name, *, location="eastus2", tags=None, purge_protection=True):
    b = _base("key_vault", sub, rg, "Microsoft.KeyVault/vaults", name, location, tags)
    p = b["properties"]
    p["vaultUri"] = f"https://{name}.vault.azure.net"
    p["enableSoftDelete"] = True
    p["softDeleteRetentionInDays"] = 90
    if purge_protection:
        p["enablePurgeProtection"] = True   # ARM omits the property when purge protection is off
    else:
        p.pop("enablePurgeProtection", None)
    return b


def frontdoor_profile(sub, rg, name, *, sku="Standard_AzureFrontDoor", tags=None):
    # No official example in the corpus: shape per the Cdn Profile definition (2024-02-01).
    pid = arm_id(sub, rg, "Microsoft.Cdn/profiles", name)
    return {"id": pid, "name": name, "type": "Microsoft.Cdn/profiles", "location": "Global",
            "kind": "frontdoor" if "AzureFrontDoor" in sku else "cdn", "sku": {"name": sku}, "tags": dict(tags or {}),
            "properties": {"provisioningState": "Succeeded", "resourceState": "Active",
                           "frontDoorId": "00000000-0000-0000-0000-00000000fd00", "originResponseTimeoutSeconds": 60}}


def frontdoor_custom_domain(profile_id, name, *, host=None, min_tls="TLS12"):
    # Shape per the AFDDomain definition (2024-02-01); a proxy resource: no location, no tags.
    tls = {"certificateType": "ManagedCertificate"}
    if min_tls is not None:
        tls["minimumTlsVersion"] = min_tls
    return {"id": f"{profile_id}/customDomains/{name}", "name": name, "type": "Microsoft.Cdn/profiles/customdomains",
            "properties": {"profileName": profile_id.rsplit("/", 1)[-1], "hostName": host or f"{name}.example.com",
                           "tlsSettings": tls, "validationProperties": {"validationToken": "token"},
                           "domainValidationState": "Approved", "provisioningState": "Succeeded",
                           "deploymentStatus": "NotStarted"}}


def role_definition(sub, role_name, actions, *, not_actions=(), role_type="CustomRole", description="",
                    guid=None, scopes=None):
    """A role definition as RoleDefinitions_List / _Get (2022-04-01) return it: an extension resource of the
    subscription, named by a GUID, its role name and permissions under properties."""
    import uuid
    guid = guid or str(uuid.uuid5(uuid.NAMESPACE_URL, f"{sub}/{role_name}"))
    return {"id": f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{guid}",
            "type": "Microsoft.Authorization/roleDefinitions", "name": guid,
            "properties": {"roleName": role_name, "type": role_type, "description": description,
                           "assignableScopes": list(scopes or [f"/subscriptions/{sub}"]),
                           "permissions": [{"actions": list(actions), "notActions": list(not_actions),
                                            "dataActions": [], "notDataActions": []}],
                           "createdOn": "2025-03-14T09:26:53.0000000Z", "updatedOn": "2025-03-14T09:26:53.0000000Z",
                           "createdBy": None, "updatedBy": None}}


def servicebus_entity(entity_id, arm_type, *, dead_lettering=None):
    """A Service Bus queue, topic or subscription as Queues_Get / Topics_Get / Subscriptions_Get (2021-11-01)
    return it: a proxy resource (no location, no tags), its settings under properties."""
    props = {"lockDuration": "PT1M", "maxSizeInMegabytes": 1024, "requiresDuplicateDetection": False,
             "requiresSession": False, "defaultMessageTimeToLive": "P10675199DT2H48M5.4775807S",
             "maxDeliveryCount": 10, "status": "Active", "enableBatchedOperations": True,
             "autoDeleteOnIdle": "P10675199DT2H48M5.4775807S", "enablePartitioning": False, "enableExpress": False,
             "createdAt": "2025-03-14T09:26:53.0000000Z", "updatedAt": "2025-03-14T09:26:53.0000000Z",
             "messageCount": 0}
    if dead_lettering is not None:
        props["deadLetteringOnMessageExpiration"] = dead_lettering
    if arm_type.endswith("Topics"):
        props = {k: props[k] for k in ("maxSizeInMegabytes", "requiresDuplicateDetection", "status",
                                       "enableBatchedOperations", "enablePartitioning", "createdAt", "updatedAt")}
    return {"id": entity_id, "name": entity_id.rsplit("/", 1)[-1], "type": arm_type, "properties": props}


def vault_secret(vault_id, name, *, exp=None, tags=None, location="eastus2"):
    """A Key Vault secret as the management plane's Secrets_Get (2023-07-01) returns it: attributes, never
    the value."""
    attrs = {"enabled": True, "created": 1741944413, "updated": 1741944413}
    if exp is not None:
        attrs["exp"] = int(exp)
    vault = vault_id.rsplit("/", 1)[-1]
    return {"id": f"{vault_id}/secrets/{name}", "name": name, "type": "Microsoft.KeyVault/vaults/secrets",
            "location": location, "tags": dict(tags or {}),
            "properties": {"attributes": attrs, "secretUri": f"https://{vault}.vault.azure.net/secrets/{name}",
                           "secretUriWithVersion": f"https://{vault}.vault.azure.net/secrets/{name}/0123456789abcdef"}}


def vault_key(vault_id, name, *, rotation_policy=None, tags=None, location="eastus2", kty="RSA-HSM", size=3072):
    """A Key Vault key as the management plane's Keys_Get (2023-07-01) returns it, with its rotation policy."""
    vault = vault_id.rsplit("/", 1)[-1]
    props = {"attributes": {"enabled": True, "created": 1741944413, "updated": 1741944413,
                            "recoveryLevel": "Recoverable", "exportable": False},
             "kty": kty, "keyOps": ["unwrapKey", "wrapKey"], "keySize": size,
             "keyUri": f"https://{vault}.vault.azure.net/keys/{name}",
             "keyUriWithVersion": f"https://{vault}.vault.azure.net/keys/{name}/0123456789abcdef"}
    if rotation_policy is not None:
        props["rotationPolicy"] = rotation_policy
    return {"id": f"{vault_id}/keys/{name}", "name": name, "type": "Microsoft.KeyVault/vaults/keys",
            "location": location, "tags": dict(tags or {}), "properties": props}


def tracked_resource(sub, rg, provider_type, name, *, location="eastus2", tags=None, properties=None):
    """Any other resource (virtual network, public IP, identity, ...): what the generic listing shows."""
    return {"id": arm_id(sub, rg, provider_type, name), "name": name, "type": provider_type, "location": location,
            "tags": dict(tags or {}), "properties": dict(properties or {"provisioningState": "Succeeded"})}


# ---------------------------------------------------------------------- a Terraform plan, deployed
ARM_TYPES = {   # azurerm type -> ARM provider type (top-level resources)
    "azurerm_postgresql_flexible_server": "Microsoft.DBforPostgreSQL/flexibleServers",
    "azurerm_mysql_flexible_server": "Microsoft.DBforMySQL/flexibleServers",
    "azurerm_mysql_server": "Microsoft.DBforMySQL/servers",
    "azurerm_mariadb_server": "Microsoft.DBforMariaDB/servers",
    "azurerm_postgresql_server": "Microsoft.DBforPostgreSQL/servers",
    "azurerm_mssql_server": "Microsoft.Sql/servers",
    "azurerm_storage_account": "Microsoft.Storage/storageAccounts",
    "azurerm_redis_cache": "Microsoft.Cache/Redis",
    "azurerm_application_gateway": "Microsoft.Network/applicationGateways",
    "azurerm_network_security_group": "Microsoft.Network/networkSecurityGroups",
    "azurerm_application_security_group": "Microsoft.Network/applicationSecurityGroups",
    "azurerm_key_vault": "Microsoft.KeyVault/vaults",
    "azurerm_servicebus_namespace": "Microsoft.ServiceBus/namespaces",
    "azurerm_public_ip": "Microsoft.Network/publicIPAddresses",
    "azurerm_virtual_network": "Microsoft.Network/virtualNetworks",
    "azurerm_user_assigned_identity": "Microsoft.ManagedIdentity/userAssignedIdentities",
    "azurerm_private_dns_zone": "Microsoft.Network/privateDnsZones",
    "azurerm_cdn_frontdoor_profile": "Microsoft.Cdn/profiles",
    "azurerm_network_watcher": "Microsoft.Network/networkWatchers",
    "azurerm_web_application_firewall_policy": "Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies",
    "azurerm_cdn_frontdoor_firewall_policy": "Microsoft.Network/frontdoorWebApplicationFirewallPolicies",
}


def _known_only(v):
    """Nested plan values with the parts known only after apply dropped (None)."""
    from scanner.values import Unknown
    if isinstance(v, Unknown):
        return None
    if isinstance(v, dict):
        return {k: _known_only(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_known_only(x) for x in v]
    return v


class PlanDeployment:
    """What ``terraform apply`` of an azurerm plan would leave in a subscription, put into the emulator.

    Values the plan knows are used as they are; values known only after apply
    that are references (ids of keys, servers, groups) are resolved to the ids
    this deployment gives; a value unknown for another reason is recorded in
    ``unknown`` (address -> attributes), so a test can leave those verdicts out.
    Resources ARM does not list as resources (Key Vault keys: data plane) are in
    ``not_listed``.
    """

    def __init__(self, emu: ArmEmulator, plan_path, sub: str):
        from scanner.sources.terraform.plan import load_plan, read_json

        self.emu, self.sub = emu, sub
        self.project = load_plan(str(plan_path), read_json(str(plan_path)))
        self.res = [r for r in self.project.managed() if r.type.startswith("azurerm_")]
        self.by_addr = {r.address: r for r in self.res}
        self.unknown: dict[str, list[str]] = {}
        self.not_listed: list[str] = []
        self.ids: dict[str, str] = {}
        self.names: dict[str, str] = {}      # address -> Azure name

    # -- reading plan values -------------------------------------------------------
    def val(self, tf, path, default=None):
        from scanner.values import Unknown
        from scanner.sources.terraform.tfmodel import MISSING
        v = tf.raw(path)
        if isinstance(v, Unknown):
            self.unknown.setdefault(tf.address, []).append(path)
            return default
        if v is None or v is MISSING:
            return default
        return _known_only(v)

    def blocks(self, tf, path) -> list[dict]:
        v = _known_only(self.val(tf, path, []))
        return [b for b in v if isinstance(b, dict)] if isinstance(v, list) else []

    def ref(self, tf, path, type_prefix: str = "") -> str | None:
        """The address an attribute references (e.g. server_id -> the server)."""
        for a in tf.refs(path) or []:
            if a in self.by_addr and self.by_addr[a].type.startswith(type_prefix):
                return a
        return None

    def parent(self, tf, path, type_prefix: str) -> str | None:
        """The resource a child is created under; None (and the attribute noted unknown) if not in the plan."""
        found = self.ref(tf, path, type_prefix)
        if found is None:
            self.unknown.setdefault(tf.address, []).append(path)
        return found

    def related(self, tf, rtype: str, attr: str) -> list:
        return [r for r in self.res if r.type == rtype and self.ref(r, attr) == tf.address]

    def key_uri(self, holder, path) -> str | None:
        """A Key Vault key id: the plan's value, or the id the referenced key gets."""
        from scanner.values import Unknown
        raw = holder.raw(path)
        if isinstance(raw, str) and raw:
            return raw
        a = self.ref(holder, path, "azurerm_key_vault_key")
        if a:
            k = self.by_addr[a]
            vault = self.ref(k, "key_vault_id", "azurerm_key_vault")
            vname = self.names.get(vault, "kv") if vault else "kv"
            return f"https://{vname}.vault.azure.net/keys/{self.val(k, 'name', 'key')}/0123456789abcdef"
        if isinstance(raw, Unknown):
            self.unknown.setdefault(holder.address, []).append(path)
        return None

    # -- deploying --------------------------------------------------------------------
    def deploy(self) -> "PlanDeployment":
        self.emu.add_subscription(self.sub, "standby")
        for tf in self.res:
            name = self.val(tf, "name")
            if not isinstance(name, str):
                continue
            self.names[tf.address] = name
            if tf.type == "azurerm_resource_group":
                self.ids[tf.address] = f"/subscriptions/{self.sub}/resourceGroups/{name}"
                self.emu.add_resource_group(self.sub, name, self._loc(tf), tags=self.val(tf, "tags", {}))
            elif tf.type in ARM_TYPES:
                self.ids[tf.address] = arm_id(self.sub, self._rg(tf), ARM_TYPES[tf.type], name)
        for tf in self.res:
            fn = getattr(self, "_" + tf.type[len("azurerm_"):], None)
            if fn is not None and tf.address in self.names:
                fn(tf)
        return self

    def _rg(self, tf) -> str:
        rg = self.val(tf, "resource_group_name")
        if isinstance(rg, str):
            return rg
        a = self.ref(tf, "resource_group_name", "azurerm_resource_group")
        return self.names.get(a, "rg")

    def _loc(self, tf) -> str:
        return str(self.val(tf, "location", "eastus2")).replace(" ", "").lower()

    def _common(self, tf) -> dict:
        return {"location": self._loc(tf), "tags": self.val(tf, "tags", {}) or {}}

    def _postgresql_flexible_server(self, tf):
        cmk = self.blocks(tf, "customer_managed_key")
        ha = self.blocks(tf, "high_availability")
        body = postgres_server(self.sub, self._rg(tf), self.names[tf.address], **self._common(tf),
                               cmk_key_uri=self.key_uri(tf, "customer_managed_key.0.key_vault_key_id") if cmk
                               else None,
                               ha_mode=ha[0].get("mode", "Disabled") if ha else "Disabled",
                               backup_days=self.val(tf, "backup_retention_days", 7),
                               geo_backup="Enabled" if self.val(tf, "geo_redundant_backup_enabled", False)
                               else "Disabled")
        subnet = self.ref(tf, "delegated_subnet_id", "azurerm_subnet")
        net = {"publicNetworkAccess": "Disabled" if subnet or not self.val(tf, "public_network_access_enabled", True)
               else "Enabled"}
        if subnet:
            net["delegatedSubnetResourceId"] = self.subnet_id(subnet)
        body["properties"]["network"] = net
        _dr_postgres(self, tf, body)   # SEC-01, DR-01 (issue 17)
        self.emu.put(body)
        # server parameters: the configuration resources, else the service's defaults
        settings = {"require_secure_transport": "on", "ssl_min_protocol_version": "TLSv1.2"}
        for c in self.related(tf, "azurerm_postgresql_flexible_server_configuration", "server_id"):
            settings[self.val(c, "name")] = self.val(c, "value")
        for k, v in settings.items():
            self.emu.put(postgres_config(body["id"], k, v, "user-override"))

    def _mysql_flexible_server(self, tf):
        cmk = self.blocks(tf, "customer_managed_key")
        ha = self.blocks(tf, "high_availability")
        body = mysql_flexible_server(self.sub, self._rg(tf), self.names[tf.address], **self._common(tf),
                                     cmk_key_uri=self.key_uri(tf, "customer_managed_key.0.key_vault_key_id")
                                     if cmk else None,
                                     ha_mode=ha[0].get("mode", "Disabled") if ha else "Disabled",
                                     backup_days=self.val(tf, "backup_retention_days", 7),
                                     geo_backup="Enabled" if self.val(tf, "geo_redundant_backup_enabled", False)
                                     else "Disabled")
        self.emu.put(body)
        # server parameters: the configuration resources (they name the server), else the service's defaults
        settings = {"require_secure_transport": "ON", "tls_version": "TLSv1.2"}
        for c in self.related(tf, "azurerm_mysql_flexible_server_configuration", "server_name"):
            settings[self.val(c, "name")] = self.val(c, "value")
        for k, v in settings.items():
            self.emu.put(mysql_config(body["id"], k, v))

    def _single(self, tf, engine, key_type=None):
        ssl = self.val(tf, "ssl_enforcement_enabled", True)
        byok = bool(key_type and self.related(tf, key_type, "server_id"))
        self.emu.put(single_server(engine, self.sub, self._rg(tf), self.names[tf.address], **self._common(tf),
                                   ssl="Enabled" if ssl else "Disabled",
                                   min_tls=self.val(tf, "ssl_minimal_tls_version_enforced",
                                                    "TLS1_2" if ssl else "TLSEnforcementDisabled"),
                                   backup_days=self.val(tf, "backup_retention_days", 7),
                                   geo_backup="Enabled" if self.val(tf, "geo_redundant_backup_enabled", False)
                                   else "Disabled", byok=byok))

    def _mysql_server(self, tf):
        self._single(tf, "mysql", "azurerm_mysql_server_key")

    def _mariadb_server(self, tf):
        self._single(tf, "mariadb")

    def _postgresql_server(self, tf):
        self._single(tf, "postgres", "azurerm_postgresql_server_key")

    def _mssql_server(self, tf):
        body = sql_server(self.sub, self._rg(tf), self.names[tf.address], **self._common(tf),
                          min_tls=self.val(tf, "minimum_tls_version", "1.2"))
        body["properties"]["publicNetworkAccess"] = self._public(tf)
        self.emu.put(body)
        _dr_sql_admin(self, tf, body)   # SEC-01 (issue 17)
        key = None
        for t in self.related(tf, "azurerm_mssql_server_transparent_data_encryption", "server_id"):
            key = self.key_uri(t, "key_vault_key_id")
        if key is None and tf.raw("transparent_data_encryption_key_vault_key_id") not in (None,):
            key = self.key_uri(tf, "transparent_data_encryption_key_vault_key_id")
        self.emu.put(sql_encryption_protector(body["id"], key))

    def _mssql_database(self, tf):
        server = self.parent(tf, "server_id", "azurerm_mssql_server")
        if server is None:
            return
        str_days = self.blocks(tf, "short_term_retention_policy")
        body = sql_database(self.ids[server], self.names[tf.address], **self._common(tf),
                            zone_redundant=bool(self.val(tf, "zone_redundant", False)),
                            backup_redundancy=self.val(tf, "storage_account_type", "Geo"))
        body["location"] = self._loc(self.by_addr[server])
        self.ids[tf.address] = body["id"]
        self.emu.put(body)
        self.emu.put(sql_retention(body["id"], str_days[0].get("retention_days", 7) if str_days else 7))

    def _storage_account(self, tf):
        cmk = self.blocks(tf, "customer_managed_key") or self.related(
            tf, "azurerm_storage_account_customer_managed_key", "storage_account_id")
        self.emu.put(storage_account(self.sub, self._rg(tf), self.names[tf.address], **self._common(tf),
                                     key_source="Microsoft.Keyvault" if cmk else "Microsoft.Storage",
                                     min_tls=self.val(tf, "min_tls_version", "TLS1_2"),
                                     https_only=bool(self.val(tf, "https_traffic_only_enabled", True))))

    def _redis_cache(self, tf):
        body = redis_cache(self.sub, self._rg(tf), self.names[tf.address], **self._common(tf),
                           non_ssl_port=bool(self.val(tf, "non_ssl_port_enabled", False)),
                           min_tls=self.val(tf, "minimum_tls_version", "1.2"),
                           zones=tuple(self.val(tf, "zones", []) or ()))
        body["properties"]["publicNetworkAccess"] = self._public(tf)
        self.emu.put(body)

    def _public(self, tf) -> str:
        return "Enabled" if self.val(tf, "public_network_access_enabled", True) else "Disabled"

    def subnet_id(self, subnet_addr) -> str:
        sn = self.by_addr[subnet_addr]
        vnet = self.ref(sn, "virtual_network_name", "azurerm_virtual_network")
        vname = self.names.get(vnet) or self.val(sn, "virtual_network_name", "vnet")
        return f"{arm_id(self.sub, self._rg(sn), 'Microsoft.Network/virtualNetworks', vname)}/subnets/{self.val(sn, 'name')}"

    # -- issue 16: WAF policies, Front Door endpoints and security policies, flow logs ----------
    def _virtual_network(self, tf):
        subnets = []
        for sn in self.related(tf, "azurerm_subnet", "virtual_network_name"):
            sp = {"addressPrefixes": self.val(sn, "address_prefixes", []), "provisioningState": "Succeeded"}
            for a in self.related(sn, "azurerm_subnet_network_security_group_association", "subnet_id"):
                nsg_addr = self.ref(a, "network_security_group_id", "azurerm_network_security_group")
                if nsg_addr in self.ids:
                    sp["networkSecurityGroup"] = {"id": self.ids[nsg_addr]}
            sid = self.subnet_id(sn.address)
            subnets.append({"name": self.val(sn, "name"), "id": sid, "type": "Microsoft.Network/virtualNetworks/subnets",
                            "properties": sp})
        self.emu.put(tracked_resource(self.sub, self._rg(tf), ARM_TYPES[tf.type], self.names[tf.address],
                                      location=self._loc(tf), tags=self.val(tf, "tags", {}), properties={
                                          "provisioningState": "Succeeded",
                                          "addressSpace": {"addressPrefixes": self.val(tf, "address_space", [])},
                                          "subnets": subnets}))

    def _network_watcher(self, tf):
        self._tracked(tf)

    def _network_watcher_flow_log(self, tf):
        # Shape per the FlowLog definition (Microsoft.Network 2024-05-01): a tracked child of the watcher.
        watcher = self.parent(tf, "network_watcher_name", "azurerm_network_watcher")
        if watcher is None:
            return
        target = self.ref(tf, "target_resource_id") or self.ref(tf, "network_security_group_id")
        ret = (self.blocks(tf, "retention_policy") or [{}])[0]
        body = {"id": f"{self.ids[watcher]}/flowLogs/{self.names[tf.address]}", "name": self.names[tf.address],
                "type": "Microsoft.Network/networkWatchers/flowLogs",
                "location": self._loc(self.by_addr[watcher]), "tags": self.val(tf, "tags", {}) or {},
                "properties": {"targetResourceId": self.ids.get(target), "enabled": bool(self.val(tf, "enabled")),
                               "storageId": arm_id(self.sub, "rg-storage", "Microsoft.Storage/storageAccounts", "st"),
                               "retentionPolicy": {"days": ret.get("days", 0), "enabled": bool(ret.get("enabled"))},
                               "format": {"type": "JSON", "version": self.val(tf, "version", 2)},
                               "provisioningState": "Succeeded"}}
        self.ids[tf.address] = body["id"]
        self.emu.put(body)

    def _web_application_firewall_policy(self, tf):
        # Shape per the WebApplicationFirewallPolicy definition (Microsoft.Network 2024-05-01).
        ps = (self.blocks(tf, "policy_settings") or [{}])[0]
        sets = [{"ruleSetType": m.get("type", "OWASP"), "ruleSetVersion": m.get("version")}
                for b in self.blocks(tf, "managed_rules") for m in b.get("managed_rule_set") or []]
        self.emu.put(tracked_resource(self.sub, self._rg(tf), ARM_TYPES[tf.type], self.names[tf.address],
                                      location=self._loc(tf), tags=self.val(tf, "tags", {}), properties={
                                          "provisioningState": "Succeeded", "resourceState": "Enabled",
                                          "policySettings": {"state": "Enabled" if ps.get("enabled", True)
                                                             else "Disabled", "mode": ps.get("mode") or "Prevention",
                                                             "requestBodyCheck": ps.get("request_body_check", True)},
                                          "managedRules": {"managedRuleSets": sets}}))

    def _cdn_frontdoor_firewall_policy(self, tf):
        # Shape per the WebApplicationFirewallPolicy definition (Microsoft.Network frontdoor 2024-02-01).
        body = tracked_resource(self.sub, self._rg(tf), ARM_TYPES[tf.type], self.names[tf.address], location="Global",
                                tags=self.val(tf, "tags", {}), properties={
                                    "provisioningState": "Succeeded", "resourceState": "Enabled",
                                    "policySettings": {"enabledState": "Enabled" if self.val(tf, "enabled", True)
                                                       else "Disabled", "mode": self.val(tf, "mode")},
                                    "managedRules": {"managedRuleSets": [
                                        {"ruleSetType": m.get("type"), "ruleSetVersion": m.get("version"),
                                         "ruleSetAction": m.get("action")} for m in self.blocks(tf, "managed_rule")]}})
        body["sku"] = {"name": self.val(tf, "sku_name")}
        self.emu.put(body)

    def _cdn_frontdoor_endpoint(self, tf):
        # Shape per the AFDEndpoint definition (Microsoft.Cdn 2024-02-01): a tracked child of the profile.
        profile = self.parent(tf, "cdn_frontdoor_profile_id", "azurerm_cdn_frontdoor_profile")
        if profile is None:
            return
        name = self.names[tf.address]
        body = {"id": f"{self.ids[profile]}/afdEndpoints/{name}", "name": name, "type": "Microsoft.Cdn/profiles/afdEndpoints",
                "location": "Global", "tags": self.val(tf, "tags", {}) or {},
                "properties": {"hostName": f"{name}-a1b2c3d4e5f6a7b8.z01.azurefd.net",
                               "enabledState": "Enabled" if self.val(tf, "enabled", True) else "Disabled",
                               "autoGeneratedDomainNameLabelScope": "TenantReuse",
                               "provisioningState": "Succeeded", "deploymentStatus": "NotStarted"}}
        self.ids[tf.address] = body["id"]
        self.emu.put(body)

    def _cdn_frontdoor_security_policy(self, tf):
        # Shape per the SecurityPolicy definition (Microsoft.Cdn 2024-02-01): a proxy resource of the profile.
        profile = self.parent(tf, "cdn_frontdoor_profile_id", "azurerm_cdn_frontdoor_profile")
        if profile is None:
            return
        fw = "security_policies.0.firewall.0"
        waf = self.ref(tf, f"{fw}.cdn_frontdoor_firewall_policy_id", "azurerm_cdn_frontdoor_firewall_policy")
        domains = []
        for i, _d in enumerate(self.blocks(tf, f"{fw}.association.0.domain") or [None]):
            a = self.ref(tf, f"{fw}.association.0.domain.{i}.cdn_frontdoor_domain_id")
            if a is not None:
                ep = self.by_addr[a]
                prof_id = self.ids[self.ref(ep, "cdn_frontdoor_profile_id", "azurerm_cdn_frontdoor_profile")]
                kind = "afdEndpoints" if ep.type == "azurerm_cdn_frontdoor_endpoint" else "customDomains"
                domains.append({"id": f"{prof_id}/{kind}/{self.names[a]}", "isActive": True})
        patterns = self.val(tf, f"{fw}.association.0.patterns_to_match", ["/*"])
        name = self.names[tf.address]
        self.emu.put({"id": f"{self.ids[profile]}/securityPolicies/{name}", "name": name,
                      "type": "Microsoft.Cdn/profiles/securitypolicies",
                      "properties": {"provisioningState": "Succeeded", "deploymentStatus": "NotStarted",
                                     "profileName": self.names[profile],
                                     "parameters": {"type": "WebApplicationFirewall",
                                                    "wafPolicy": {"id": self.ids.get(waf)},
                                                    "associations": [{"domains": domains,
                                                                      "patternsToMatch": patterns}]}}})

    def _key_vault(self, tf):
        self.emu.put(key_vault(self.sub, self._rg(tf), self.names[tf.address], **self._common(tf),
                               purge_protection=bool(self.val(tf, "purge_protection_enabled", False))))

    def _key_vault_key(self, tf):
        # the management plane lists keys under their vault (Keys_List), with their rotation policies
        vault = self.parent(tf, "key_vault_id", "azurerm_key_vault")
        if vault is None:
            return
        pol = self.blocks(tf, "rotation_policy")
        rotation = None
        if pol:
            actions = []
            auto = pol[0].get("automatic") or []
            auto = auto[0] if isinstance(auto, list) and auto else (auto if isinstance(auto, dict) else None)
            if auto:
                trigger = {k2: auto[k1] for k1, k2 in (("time_after_creation", "timeAfterCreate"),
                                                        ("time_before_expiry", "timeBeforeExpiry")) if auto.get(k1)}
                actions.append({"trigger": trigger, "action": {"type": "rotate"}})
            if pol[0].get("notify_before_expiry"):
                actions.append({"trigger": {"timeBeforeExpiry": pol[0]["notify_before_expiry"]},
                                "action": {"type": "notify"}})
            expiry = {"expiryTime": pol[0]["expire_after"]} if pol[0].get("expire_after") else {}
            rotation = {"attributes": {"created": 1741944413, "updated": 1741944413, **expiry},
                        "lifetimeActions": actions}
        self.emu.put(vault_key(self.ids[vault], self.names[tf.address], rotation_policy=rotation,
                               tags=self.val(tf, "tags", {}), location=self._loc(self.by_addr[vault])))

    def _key_vault_secret(self, tf):
        import datetime as _dt
        vault = self.parent(tf, "key_vault_id", "azurerm_key_vault")
        if vault is None:
            return
        exp = self.val(tf, "expiration_date")
        if isinstance(exp, str):
            exp = _dt.datetime.fromisoformat(exp.replace("Z", "+00:00")).timestamp()
        elif "expiration_date" in self.unknown.get(tf.address, ()):
            # what apply of timeadd(timestamp(), "2160h") leaves, read a day later
            exp = time.time() + 89 * 86400
        self.emu.put(vault_secret(self.ids[vault], self.names[tf.address], exp=exp, tags=self.val(tf, "tags", {}),
                                  location=self._loc(self.by_addr[vault])))

    def _servicebus_namespace(self, tf):
        self._tracked(tf)

    def _servicebus_queue(self, tf):
        ns = self.parent(tf, "namespace_id", "azurerm_servicebus_namespace")
        if ns is not None:
            self.emu.put(servicebus_entity(f"{self.ids[ns]}/queues/{self.names[tf.address]}",
                                           "Microsoft.ServiceBus/Namespaces/Queues",
                                           dead_lettering=bool(self.val(tf, "dead_lettering_on_message_expiration",
                                                                        False))))

    def _servicebus_topic(self, tf):
        ns = self.parent(tf, "namespace_id", "azurerm_servicebus_namespace")
        if ns is not None:
            self.ids[tf.address] = f"{self.ids[ns]}/topics/{self.names[tf.address]}"
            self.emu.put(servicebus_entity(self.ids[tf.address], "Microsoft.ServiceBus/Namespaces/Topics"))

    def _servicebus_subscription(self, tf):
        topic = self.parent(tf, "topic_id", "azurerm_servicebus_topic")
        ns = self.ref(self.by_addr[topic], "namespace_id", "azurerm_servicebus_namespace") if topic else None
        if ns is not None:
            topic_id = f"{self.ids[ns]}/topics/{self.names[topic]}"
            self.emu.put(servicebus_entity(f"{topic_id}/subscriptions/{self.names[tf.address]}",
                                           "Microsoft.ServiceBus/Namespaces/Topics/Subscriptions",
                                           dead_lettering=bool(self.val(tf, "dead_lettering_on_message_expiration",
                                                                        False))))

    def _application_security_group(self, tf):
        self.emu.put(asg(self.sub, self._rg(tf), self.names[tf.address], **self._common(tf)))

    def _public_ip(self, tf):
        self._tracked(tf)

    def _user_assigned_identity(self, tf):
        self._tracked(tf)

    def _private_dns_zone(self, tf):
        self._tracked(tf, location="global")

    def _private_dns_zone_virtual_network_link(self, tf):
        zone = self.ref(tf, "private_dns_zone_name", "azurerm_private_dns_zone")
        zname = self.names.get(zone) or self.val(tf, "private_dns_zone_name")
        body = tracked_resource(self.sub, self._rg(tf), "Microsoft.Network/privateDnsZones",
                                f"{zname}/virtualNetworkLinks/{self.names[tf.address]}", location="global",
                                tags=self.val(tf, "tags", {}))
        body.update({"name": self.names[tf.address], "type": "Microsoft.Network/privateDnsZones/virtualNetworkLinks"})
        self.emu.put(body)

    def _role_definition(self, tf):
        perms = self.blocks(tf, "permissions")
        self.emu.put(role_definition(self.sub, self.names[tf.address],
                                     [a for p in perms for a in p.get("actions") or []],
                                     not_actions=[a for p in perms for a in p.get("not_actions") or []],
                                     description=self.val(tf, "description", "") or "",
                                     scopes=[f"/subscriptions/{self.sub}"]))

    def _cdn_frontdoor_profile(self, tf):
        self.emu.put(frontdoor_profile(self.sub, self._rg(tf), self.names[tf.address],
                                       sku=self.val(tf, "sku_name", "Standard_AzureFrontDoor"),
                                       tags=self.val(tf, "tags", {})))

    def _cdn_frontdoor_custom_domain(self, tf):
        profile = self.parent(tf, "cdn_frontdoor_profile_id", "azurerm_cdn_frontdoor_profile")
        if profile is None:
            return
        tls = self.blocks(tf, "tls")
        body = frontdoor_custom_domain(self.ids[profile], self.names[tf.address], host=self.val(tf, "host_name"),
                                       min_tls=(tls[0].get("minimum_tls_version") if tls else None) or "TLS12")
        self.ids[tf.address] = body["id"]
        self.emu.put(body)

    def _tracked(self, tf, location=None):
        self.emu.put(tracked_resource(self.sub, self._rg(tf), ARM_TYPES[tf.type], self.names[tf.address],
                                      location=location or self._loc(tf), tags=self.val(tf, "tags", {})))

    def _application_gateway(self, tf):
        pol = self.blocks(tf, "ssl_policy")
        ssl = None
        if pol:
            p = pol[0]
            ssl = {k2: p[k1] for k1, k2 in (("policy_type", "policyType"), ("policy_name", "policyName"),
                                             ("min_protocol_version", "minProtocolVersion"),
                                             ("cipher_suites", "cipherSuites"),
                                             ("disabled_protocols", "disabledSslProtocols")) if p.get(k1)}
        body = app_gateway(self.sub, self._rg(tf), self.names[tf.address], **self._common(tf), ssl_policy=ssl)
        gid, props = body["id"], body["properties"]
        sku = (self.blocks(tf, "sku") or [{}])[0]
        props["sku"] = {"name": sku.get("name"), "tier": sku.get("tier"), "family": "Generation_1"}
        pol = self.ref(tf, "firewall_policy_id", "azurerm_web_application_firewall_policy")
        if pol is not None:
            props["firewallPolicy"] = {"id": self.ids[pol]}
        for w in self.blocks(tf, "waf_configuration"):
            props["webApplicationFirewallConfiguration"] = {
                "enabled": bool(w.get("enabled")), "firewallMode": w.get("firewall_mode"),
                "ruleSetType": w.get("rule_set_type", "OWASP"), "ruleSetVersion": w.get("rule_set_version")}
        props["httpListeners"] = [
            {"name": x["name"], "id": f"{gid}/httpListeners/{x['name']}",
             "properties": {"protocol": x.get("protocol"), "provisioningState": "Succeeded",
                            "frontendPort": {"id": f"{gid}/frontendPorts/{x.get('frontend_port_name')}"}}}
            for x in self.blocks(tf, "http_listener")]
        props["redirectConfigurations"] = [
            {"name": x["name"], "id": f"{gid}/redirectConfigurations/{x['name']}",
             "properties": dict({"redirectType": x.get("redirect_type", "Permanent")},
                                **({"targetListener": {"id": f"{gid}/httpListeners/{x['target_listener_name']}"}}
                                   if x.get("target_listener_name") else {}),
                                **({"targetUrl": x["target_url"]} if x.get("target_url") else {}))}
            for x in self.blocks(tf, "redirect_configuration")]
        rules = []
        for x in self.blocks(tf, "request_routing_rule"):
            rp = {"ruleType": x.get("rule_type", "Basic"), "priority": x.get("priority"),
                  "httpListener": {"id": f"{gid}/httpListeners/{x.get('http_listener_name')}"}}
            if x.get("redirect_configuration_name"):
                rp["redirectConfiguration"] = {"id": f"{gid}/redirectConfigurations/{x['redirect_configuration_name']}"}
            if x.get("backend_address_pool_name"):
                rp["backendAddressPool"] = {"id": f"{gid}/backendAddressPools/{x['backend_address_pool_name']}"}
            rules.append({"name": x["name"], "id": f"{gid}/requestRoutingRules/{x['name']}", "properties": rp})
        props["requestRoutingRules"] = rules
        self.emu.put(body)

    def _network_security_group(self, tf):
        rg, name = self._rg(tf), self.names[tf.address]
        rules = [dict(r) for r in self.blocks(tf, "security_rule")] if tf.raw("security_rule") is not None and \
            isinstance(tf.raw("security_rule"), list) else []
        srcs = [(r, None) for r in rules]
        for r in self.res:
            if r.type != "azurerm_network_security_rule":
                continue
            if self.ref(r, "network_security_group_name") == tf.address or (
                    self.val(r, "network_security_group_name") == name and self._rg(r) == rg):
                srcs.append((None, r))
        arm_rules = []
        for inline, sep in srcs:
            get = (lambda k, d=None: inline.get(k, d) if inline.get(k) not in (None, "", []) else d) if inline \
                else (lambda k, d=None: self.val(sep, k, d))
            rp = {"protocol": get("protocol", "*"), "access": get("access"), "priority": get("priority"),
                  "direction": get("direction"), "sourcePortRange": get("source_port_range", "*")}
            for tfk, armk in (("destination_port_range", "destinationPortRange"),
                              ("destination_port_ranges", "destinationPortRanges"),
                              ("source_address_prefix", "sourceAddressPrefix"),
                              ("source_address_prefixes", "sourceAddressPrefixes"),
                              ("destination_address_prefix", "destinationAddressPrefix"),
                              ("destination_address_prefixes", "destinationAddressPrefixes")):
                v = get(tfk)
                if v not in (None, "", []):
                    rp[armk] = v
            for side in ("source", "destination"):
                attr = f"{side}_application_security_group_ids"
                ids = []
                if sep is not None:
                    ids = [self.ids[a] for a in (sep.refs(attr) or []) if a in self.ids]
                    if not ids:
                        ids = [x for x in (self.val(sep, attr, []) or []) if isinstance(x, str)]
                else:
                    ids = [x for x in (inline.get(attr) or []) if isinstance(x, str)]
                if ids:
                    rp[f"{side}ApplicationSecurityGroups"] = [{"id": i} for i in ids]
            rname = (inline or {}).get("name") if inline else self.val(sep, "name")
            rp = {k: v for k, v in rp.items() if v is not None}
            rp["name"] = rname
            arm_rules.append(rp)
        for r in arm_rules:
            r.setdefault("destinationAddressPrefix", "*")
        self.emu.put(nsg(self.sub, rg, name, **self._common(tf), rules=arm_rules))


# ---------------------------------------------------------------------- SEC-01, DR-01 (issue 17)
# Shapes per the official examples: PostgreSQL flexible server 2024-08-01 ServerGet (authConfig,
# replicationRole, sourceServerResourceId) and ReplicasListByServer (the replicas are server bodies);
# SQL ServerAzureADAdministrators Get (administrators/ActiveDirectory) and FailoverGroups ListByServer.
def _dr_postgres(dep: PlanDeployment, tf, body: dict) -> None:
    auth = dep.blocks(tf, "authentication")
    a = auth[0] if auth else {}
    body["properties"]["authConfig"] = {
        "activeDirectoryAuth": "Enabled" if a.get("active_directory_auth_enabled") else "Disabled",
        "passwordAuth": "Disabled" if a.get("password_auth_enabled") is False else "Enabled",
        **({"tenantId": a["tenant_id"]} if a.get("tenant_id") else {})}
    if str(dep.val(tf, "create_mode", "")).lower() == "replica":
        source = dep.ref(tf, "source_server_id", "azurerm_postgresql_flexible_server")
        body["properties"].update({"replicationRole": "AsyncReplica", "replicaCapacity": 0,
                                   "sourceServerResourceId": dep.ids.get(source)})
        if source in dep.ids:   # listed under its source server's replicas
            dep.emu.store[f"{dep.ids[source]}/replicas/{body['name']}".lower()] = body
    else:
        body["properties"].update({"replicationRole": "Primary", "replicaCapacity": 5})


def _dr_sql_admin(dep: PlanDeployment, tf, body: dict) -> None:
    admin = dep.blocks(tf, "azuread_administrator")
    if not admin:
        return   # no Entra administrator: GET administrators/ActiveDirectory is a 404
    a = admin[0]
    dep.emu.put({"id": f"{body['id']}/administrators/ActiveDirectory", "name": "ActiveDirectory",
                 "type": "Microsoft.Sql/servers/administrators",
                 "properties": {"administratorType": "ActiveDirectory", "login": a.get("login_username"),
                                "sid": a.get("object_id") or "00000000-0000-0000-0000-000000000000",
                                "tenantId": a.get("tenant_id") or TENANT,
                                "azureADOnlyAuthentication": a.get("azuread_authentication_only") is True}})


def _mssql_failover_group(dep: PlanDeployment, tf) -> None:
    server = dep.parent(tf, "server_id", "azurerm_mssql_server")
    if server is None:
        return
    sid = dep.ids[server]
    partners = []
    for i, p in enumerate(dep.blocks(tf, "partner_server")):
        ref = dep.ref(tf, f"partner_server.{i}.id", "azurerm_mssql_server")
        if ref is not None:
            partners.append({"id": dep.ids[ref], "location": dep._loc(dep.by_addr[ref]),
                             "replicationRole": "Secondary"})
        elif isinstance(p.get("id"), str):   # a server outside the configuration: Azure still reports its location
            partners.append({"id": p["id"], "location": "centralus", "replicationRole": "Secondary"})
    dbs = []
    for a in tf.refs("databases") or []:
        db = dep.by_addr.get(a)
        if db is not None and db.type == "azurerm_mssql_database":
            dbs.append(f"{sid}/databases/{dep.names.get(a, dep.val(db, 'name'))}")
    policy = dep.blocks(tf, "read_write_endpoint_failover_policy")
    pol = policy[0] if policy else {}
    name = dep.names[tf.address]
    dep.emu.put({"id": f"{sid}/failoverGroups/{name}", "name": name, "type": "Microsoft.Sql/servers/failoverGroups",
                 "location": dep._loc(dep.by_addr[server]), "tags": dep.val(tf, "tags", {}) or {},
                 "properties": {"readWriteEndpoint": {"failoverPolicy": pol.get("mode", "Automatic"),
                                                      **({"failoverWithDataLossGracePeriodMinutes": pol["grace_minutes"]}
                                                         if pol.get("grace_minutes") else {})},
                                "readOnlyEndpoint": {"failoverPolicy": "Disabled"},
                                "replicationRole": "Primary", "replicationState": "CATCH_UP",
                                "partnerServers": partners, "databases": dbs}})
    # a proxy resource read per server: the resource listing does not show it (TAG-01 is not checked live)
    dep.not_listed.append(tf.address)


PlanDeployment._mssql_failover_group = _mssql_failover_group
