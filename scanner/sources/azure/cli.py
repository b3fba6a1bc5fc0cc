"""Options of ``specguard audit azure`` (import-light: no Azure SDK import here)."""
from __future__ import annotations

import sys

from ...options import guid, non_negative, positive, seconds, tenant


def params() -> list:
    """The command's options, as click decorators (applied in this order)."""
    import click

    from ...cli_parse import value
    return [
        click.option("--subscription", type=value(guid, "ID"), multiple=True,
                     help="subscription to audit (repeatable; default: every subscription the identity can see)"),
        click.option("--tenant", type=value(tenant, "ID"),
                     help="tenant to authenticate in (and whose subscriptions to list)"),
        click.option("--cloud", "azure_cloud", type=click.Choice(["public", "usgov", "china"]), default=None,
                     help="Azure cloud (default: AZURE_SDK_CLOUD_CONF, else public)"),
        click.option("--arm-endpoint", metavar="URL",
                     help="Resource Manager endpoint of a private cloud or an emulator (overrides --cloud)"),
        click.option("--authority-host", metavar="URL",
                     help="Microsoft Entra authority host (default: AZURE_AUTHORITY_HOST, else the cloud's)"),
        click.option("--credential-scope", metavar="SCOPE",
                     help="token scope for Resource Manager (default: the endpoint + /.default)"),
        click.option("--strategy", type=click.Choice(["arm", "graph"]), default="arm", show_default=True,
                     help="listing: per-service Resource Manager listings, or Azure Resource Graph"),
        click.option("--concurrency", type=value(positive, "N"), default=16, show_default=True,
                     help="requests in flight at once"),
        click.option("--max-retries", type=value(non_negative, "N"), default=3, show_default=True,
                     help="retries of a throttled (429), failed (5xx) or timed-out request"),
        click.option("--timeout", type=value(seconds, "SECONDS"), default=60.0, show_default=True,
                     help="per-request read timeout"),
        click.option("--print-role", is_flag=True,
                     help="print the least Azure role the audit needs (a custom role definition) and exit"),
    ]


def early(args) -> int | None:
    if getattr(args, "print_role", False):
        sys.stdout.write(role_text())
        return 0
    return None


def role_text() -> str:
    # imported here: importlib.resources costs about 8 ms of imports, and this module is loaded for
    # every command (it declares the audit's options)
    from importlib import resources as ires
    return ires.files("scanner").joinpath("data/azure-role.json").read_text("utf-8")
