"""Endpoints, credentials and SDK clients for the live Azure audit.

Everything that leaves the process goes through the clients made here: one
shared requests session (bounded connection pool, the CA bundle the
``REQUESTS_CA_BUNDLE`` setting names), the SDK's own retry policy, and the
read-only guard, a pipeline policy that refuses, before it is sent, any request
that does not go to the configured Resource Manager endpoint, and there any
request other than a GET or the POST of a Resource Graph query to exactly
``<arm>/providers/Microsoft.ResourceGraph/resources?api-version=YYYY-MM-DD``.
"""
from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from azure.core.exceptions import (AzureError, ClientAuthenticationError, HttpResponseError,
                                   ServiceRequestError, ServiceResponseError)
from azure.core.pipeline.policies import SansIOHTTPPolicy

from ...errors import InputError, ScanError
from ...redact import redact, remember

# cloud -> (Resource Manager, authority host, token scope); the scopes are the ones
# azure.mgmt.core.tools.get_arm_endpoints gives (US Government's audience is not its endpoint).
CLOUDS = {
    "public": ("https://management.azure.com", "https://login.microsoftonline.com",
               "https://management.azure.com/.default"),
    "usgov": ("https://management.usgovcloudapi.net", "https://login.microsoftonline.us",
              "https://management.core.usgovcloudapi.net/.default"),
    "china": ("https://management.chinacloudapi.cn", "https://login.chinacloudapi.cn",
              "https://management.chinacloudapi.cn/.default"),
}
# azure-core's own cloud setting (AZURE_SDK_CLOUD_CONF) picks the default cloud
SDK_CLOUD_NAMES = {"AZURE_PUBLIC_CLOUD": "public", "AZURE_US_GOVERNMENT": "usgov", "AZURE_CHINA_CLOUD": "china"}
GRAPH_PATH = "/providers/microsoft.resourcegraph/resources"
API_VERSION = re.compile(r"\d{4}-\d{2}-\d{2}(-preview)?")


@dataclass(frozen=True)
class Endpoints:
    cloud: str
    arm: str
    authority: str
    scope: str

    @property
    def known_authority(self) -> bool:
        return _host(self.authority) in {_host(c[1]) for c in CLOUDS.values()}


def resolve_endpoints(cloud: str | None, arm_endpoint: str | None, authority_host: str | None,
                      scope: str | None = None) -> Endpoints:
    env_cloud = SDK_CLOUD_NAMES.get((os.environ.get("AZURE_SDK_CLOUD_CONF") or "").upper())
    name = (cloud or env_cloud or "public").lower()
    if name not in CLOUDS:
        raise InputError(f"unknown --cloud {cloud!r} (expected public, usgov or china)")
    arm, authority, default_scope = CLOUDS[name]
    if arm_endpoint:
        arm = _url(arm_endpoint, "--arm-endpoint")
        default_scope = arm + "/.default"
    authority = _url(authority_host or os.environ.get("AZURE_AUTHORITY_HOST") or authority, "--authority-host")
    return Endpoints(name, arm, authority, scope or default_scope)


def _url(value: str, option: str) -> str:
    v = value.strip().rstrip("/")
    if "://" not in v:
        v = "https://" + v
    parts = urlsplit(v)
    if parts.scheme != "https" or not parts.hostname:
        raise InputError(f"{option} must be an https URL, not {value!r}")
    return v


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


# ----------------------------------------------------------------------------- the read-only guard
class ReadOnlyViolation(Exception):
    """A request that is not a read was about to leave the process."""


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    try:
        port = parts.port or {"https": 443, "http": 80}.get(parts.scheme.lower())
    except ValueError:   # a port that is not a number
        port = -1
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


class ReadOnlyPolicy(SansIOHTTPPolicy):
    """Refuse, before sending: any request to another place than the configured Resource Manager
    endpoint (``arm``: scheme, host and port, e.g. a ``nextLink`` pointing elsewhere would carry the
    bearer token there), and there anything but GET and the one Resource Graph query POST.

    The Resource Graph exemption is the exact endpoint: no user info, the ARM base path followed by
    ``/providers/Microsoft.ResourceGraph/resources`` (ARM paths are case-insensitive), and a query of
    exactly one ``api-version`` of the shape YYYY-MM-DD[-preview]; no fragment.

    It sits after the retry policy and before authentication, so it also sees requests other
    policies make on their own (the SDK's automatic resource-provider registration is a POST, and is
    refused here), and a refused request never gets a token.
    """

    def __init__(self, arm: str):
        self._origin = _origin(arm)
        self._graph = urlsplit(arm).path.rstrip("/").lower() + GRAPH_PATH

    def allows(self, method: str, url: str) -> bool:
        parts = urlsplit(url)
        if _origin(url) != self._origin or parts.username is not None or parts.password is not None:
            return False
        method = method.upper()
        if method == "GET":
            return True
        if method != "POST" or parts.fragment or parts.path.lower() != self._graph:
            return False
        query = parse_qsl(parts.query, keep_blank_values=True)
        return len(query) == 1 and query[0][0] == "api-version" and bool(API_VERSION.fullmatch(query[0][1]))

    def on_request(self, request):
        req = request.http_request
        if not self.allows(req.method, req.url):
            parts = urlsplit(req.url)
            where = f"{parts.scheme}://{parts.hostname}{parts.path}"
            raise ReadOnlyViolation(f"refused {req.method.upper()} {redact(where)}: the audit only reads "
                                    "from the Resource Manager endpoint")


# ----------------------------------------------------------------------------- credentials
class _Credential:
    """Asks every token for one tenant (``--tenant``), and remembers each token it hands out,
    so that a server echoing it back in an error never gets it printed (``scanner.redact``)."""

    def __init__(self, inner, tenant: str | None):
        self._inner = inner
        self._tenant = tenant

    def get_token(self, *scopes, **kwargs):
        if self._tenant:
            kwargs.setdefault("tenant_id", self._tenant)
        token = self._inner.get_token(*scopes, **kwargs)
        remember(getattr(token, "token", None))
        return token

    def close(self):
        self._inner.close()


def make_credential(ep: Endpoints, tenant: str | None):
    """DefaultAzureCredential: environment, workload identity, managed identity, Azure CLI, ..."""
    from azure.identity import DefaultAzureCredential

    kwargs = {"authority": ep.authority}
    if not ep.known_authority:
        # MSAL would first ask the public cloud to validate an authority it does not know
        kwargs["disable_instance_discovery"] = True
    if tenant:
        kwargs["additionally_allowed_tenants"] = [tenant]
    try:
        cred = DefaultAzureCredential(**kwargs)
    except ValueError as e:   # e.g. AZURE_CLIENT_ID set but empty
        raise ScanError(f"the Azure credentials in the environment are not usable: {redact(e)}")
    remember(os.environ.get("AZURE_CLIENT_SECRET"))
    return _Credential(cred, tenant)


def check_credential(cred, ep: Endpoints) -> None:
    """One token up front: no credentials at all ends the run (exit 3) before any listing."""
    try:
        cred.get_token(ep.scope)
    except (ClientAuthenticationError, AzureError, ValueError) as e:
        from .signin import explain
        text = redact(e).strip() or e.__class__.__name__
        chain = getattr(getattr(cred, "_inner", cred), "credentials", None)   # DefaultAzureCredential's chain
        raise ScanError(explain(text, len(chain) if chain is not None else None, ep.authority, ep.scope))


# ----------------------------------------------------------------------------- clients
class Session:
    """Credential, endpoints and one client per (subscription, service), made on first use."""

    def __init__(self, cred, ep: Endpoints, concurrency: int = 16, max_retries: int = 3, timeout: float = 60.0):
        import requests
        from azure.core.pipeline.transport import RequestsTransport

        self.cred = cred
        self.ep = ep
        self._http = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=max(10, concurrency * 2))
        self._http.mount("https://", adapter)
        self.transport = RequestsTransport(session=self._http, session_owner=False,
                                           connection_timeout=min(timeout, 30.0), read_timeout=timeout)
        self.client_kwargs = {
            "base_url": ep.arm, "credential_scopes": [ep.scope], "transport": self.transport,
            "per_retry_policies": [ReadOnlyPolicy(ep.arm)], "retry_total": max_retries,
            "retry_backoff_factor": 0.8, "retry_backoff_max": 30,
            "connection_timeout": min(timeout, 30.0), "read_timeout": timeout,
        }
        self._clients: dict[tuple[str, str], object] = {}
        self._lock = threading.Lock()

    def client(self, service: str, subscription: str | None = None):
        key = (service, subscription or "")
        with self._lock:
            c = self._clients.get(key)
            if c is None:
                c = self._clients[key] = self._make(service, subscription)
            return c

    def _make(self, service: str, sub: str | None):
        kw = self.client_kwargs
        if service == "subscriptions":
            from azure.mgmt.resource.subscriptions import SubscriptionClient
            return SubscriptionClient(self.cred, **kw)
        if service == "graph":
            from azure.mgmt.resourcegraph import ResourceGraphClient
            return ResourceGraphClient(self.cred, **kw)
        if service == "resources":
            from azure.mgmt.resource.resources import ResourceManagementClient as C
        elif service == "postgres":
            from azure.mgmt.postgresqlflexibleservers import PostgreSQLManagementClient as C
        elif service == "sql":
            from azure.mgmt.sql import SqlManagementClient as C
        elif service == "storage":
            from azure.mgmt.storage import StorageManagementClient as C
        elif service == "redis":
            from azure.mgmt.redis import RedisManagementClient as C
        elif service == "network":
            from azure.mgmt.network import NetworkManagementClient as C
        elif service == "keyvault":
            from azure.mgmt.keyvault import KeyVaultManagementClient as C
        else:
            raise KeyError(service)
        return C(self.cred, sub, **kw)

    def list_json(self, path: str, api_version: str, subscription: str, query: dict | None = None):
        """Every item of a Resource Manager collection (``{"value": [...], "nextLink": ...}``), as JSON.

        For the few collections no installed SDK covers (Front Door custom domains, custom role
        definitions with a ``$filter`` query): a plain GET through the same pipeline (credential,
        retries, the read-only guard).
        """
        from urllib.parse import quote, urlencode

        from azure.core.exceptions import HttpResponseError
        from azure.core.rest import HttpRequest
        from azure.mgmt.core.exceptions import ARMErrorFormat

        client = self.client("resources", subscription)
        url = f"{self.ep.arm}{quote(path)}?{urlencode({'api-version': api_version, **(query or {})}, quote_via=quote)}"
        while url:
            resp = client.send_request(HttpRequest("GET", url))
            if resp.status_code >= 400:
                raise HttpResponseError(response=resp, error_format=ARMErrorFormat)
            page = resp.json()
            yield from page.get("value") or []
            url = page.get("nextLink")

    def close(self) -> None:
        self._http.close()
        close = getattr(self.cred, "close", None)
        if close:
            try:
                close()
            except Exception:
                pass


def to_json(obj) -> dict:
    """An SDK model as the REST API's JSON (camelCase, nested ``properties``)."""
    if isinstance(obj, dict) and not hasattr(obj, "as_dict"):
        return obj
    if hasattr(obj, "serialize"):       # msrest-style models (redis, resourcegraph)
        return obj.serialize(keep_readonly=True)
    return obj.as_dict()                # "hybrid" models keep the REST names and unknown keys


def describe_error(e: BaseException) -> str:
    """A short, credential-free description: '403 AuthorizationFailed', 'timeout', ...

    The error code and reason phrase are the server's words: they go through ``redact``
    (an endpoint echoing the Authorization header must not put the bearer token in a report)."""
    if isinstance(e, ReadOnlyViolation):
        return redact(e)
    if isinstance(e, HttpResponseError):
        code = getattr(getattr(e, "error", None), "code", None) or (e.reason or "")
        return " ".join(redact(f"{e.status_code} {code}").split())[:160]
    if isinstance(e, (ServiceResponseError, ServiceRequestError)):
        return "timeout" if "timed out" in str(e).lower() or "timeout" in type(e).__name__.lower() \
            else f"connection error ({e.__class__.__name__})"
    if isinstance(e, ClientAuthenticationError):
        return "authentication failed"
    return e.__class__.__name__
