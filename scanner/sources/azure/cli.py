"""Options of ``specguard audit azure`` (import-light: no Azure SDK import here)."""
from __future__ import annotations

import sys
from importlib import resources as ires

from ...options import guid, non_negative, positive, seconds, tenant


def add_arguments(p) -> None:
    g = p.add_argument_group("Azure")
    g.add_argument("--subscription", type=guid, action="append", default=[], metavar="ID",
                   help="subscription to audit (repeatable; default: every subscription the identity can see)")
    g.add_argument("--tenant", type=tenant, metavar="ID", help="tenant to authenticate in (and whose subscriptions to list)")
    g.add_argument("--cloud", dest="azure_cloud", choices=("public", "usgov", "china"), default=None,
                   help="Azure cloud (default: AZURE_SDK_CLOUD_CONF, else public)")
    g.add_argument("--arm-endpoint", metavar="URL",
                   help="Resource Manager endpoint of a private cloud or an emulator (overrides --cloud)")
    g.add_argument("--authority-host", metavar="URL",
                   help="Microsoft Entra authority host (default: AZURE_AUTHORITY_HOST, else the cloud's)")
    g.add_argument("--credential-scope", metavar="SCOPE",
                   help="token scope for Resource Manager (default: the endpoint + /.default)")
    g.add_argument("--strategy", choices=("arm", "graph"), default="arm",
                   help="listing: per-service Resource Manager listings (default) or Azure Resource Graph")
    g.add_argument("--concurrency", type=positive, default=16, metavar="N",
                   help="requests in flight at once (default 16)")
    g.add_argument("--max-retries", type=non_negative, default=3, metavar="N",
                   help="retries of a throttled (429), failed (5xx) or timed-out request (default 3)")
    g.add_argument("--timeout", type=seconds, default=60.0, metavar="SECONDS", help="per-request read timeout (default 60)")
    g.add_argument("--print-role", action="store_true",
                   help="print the least Azure role the audit needs (a custom role definition) and exit")


def early(args) -> int | None:
    if getattr(args, "print_role", False):
        sys.stdout.write(role_text())
        return 0
    return None


def role_text() -> str:
    return ires.files("scanner").joinpath("data/azure-role.json").read_text("utf-8")
