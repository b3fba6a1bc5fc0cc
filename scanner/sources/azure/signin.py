"""What to tell a person whose Azure sign-in failed: which credentials DefaultAzureCredential tried,
and what to do, in one line (issue 14, point 11).

azure-identity reports a failed chain only as text: "Attempted credentials:" followed by one
tab-indented "Name: reason" line per credential tried.  When every credential of the chain was
tried, none was configured (each one said it was unavailable and the chain went on); when fewer
were, the last one tried was configured and failed (the chain stops there).
"""
from __future__ import annotations

import re

# azure-identity's credential class names, as a person knows them
NAMES = {
    "EnvironmentCredential": "environment variables",
    "WorkloadIdentityCredential": "workload identity",
    "ManagedIdentityCredential": "managed identity",
    "SharedTokenCacheCredential": "shared token cache",
    "VisualStudioCodeCredential": "VS Code",
    "AzureCliCredential": "Azure CLI",
    "AzurePowerShellCredential": "Azure PowerShell",
    "AzureDeveloperCliCredential": "Azure Developer CLI",
    "BrokerCredential": "broker",
    "InteractiveBrowserCredential": "interactive browser",
}
# what requests/urllib3 say when no answer came (refused, unresolvable, timed out, TLS failed)
NO_ANSWER = re.compile(r"Failed to establish a new connection|Connection refused|timed out|Max retries exceeded|"
                       r"NameResolutionError|Name or service not known|CERTIFICATE_VERIFY_FAILED|SSLError|"
                       r"ConnectionError|Connection aborted", re.I)
WHAT_TO_DO = ("sign in with `az login`, or set AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET "
              "(a service principal), or run where a managed identity is assigned")


def attempts(text: str) -> list[tuple[str, str]] | None:
    """(credential class, reason) for each credential the chain tried, or None if the text has no list."""
    lines = text.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == "Attempted credentials:")
    except StopIteration:
        return None
    out = []
    for line in lines[start + 1:]:
        if not line.startswith("\t"):
            continue   # the continuation of a reason ("Visit https://aka.ms/...")
        name, _, reason = line.strip().partition(":")
        out.append((name.strip(), reason.strip()))
    return out or None


def _short(name: str, reason: str) -> str:
    """A credential's name, with its reason when that is short and says something of its own
    ("Azure CLI (Azure CLI not found on path)"); the SDK's long boilerplate is left out."""
    label = NAMES.get(name, name)
    if not reason or len(reason) > 50 or "Credential" in reason:
        return label
    reason = reason.rstrip(".")
    return reason if reason.lower().startswith(label.lower()) else f"{label} ({reason})"


def explain(text: str, chain_length: int | None, authority: str, scope: str) -> str:
    """The one line that ends an audit whose first token could not be had."""
    tried = attempts(text)
    if tried is None:
        first = text.splitlines()[0] if text else "no token"
        return (f"no usable Azure credentials for {authority} (scope {scope}): {first[:300]}; "
                f"{WHAT_TO_DO}")
    if chain_length is None or len(tried) >= chain_length:
        return f"no Azure credentials found (tried: {', '.join(_short(n, r) for n, r in tried)}): {WHAT_TO_DO}"
    name, reason = tried[-1]
    reason = " ".join(reason.split())
    if NO_ANSWER.search(reason):   # the sign-in never reached the authority: not a verdict on the credentials
        return (f"could not reach the Azure authority {authority} to sign in with {NAMES.get(name, name)}: "
                f"{reason[:300]}; the credentials were not checked. Check the network, a proxy (HTTPS_PROXY) "
                "or the authority (AZURE_AUTHORITY_HOST, --authority-host)")
    return (f"the Azure credentials from {NAMES.get(name, name)} were refused by {authority} (scope {scope}): "
            f"{reason[:300]}")
