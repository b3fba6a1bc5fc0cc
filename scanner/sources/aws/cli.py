"""Options of ``specguard audit aws``.  Import-light: boto3 is imported only when an audit runs."""
from __future__ import annotations

import sys

from ...options import positive, role_arn, seconds


def params() -> list:
    """The command's options, as click decorators (applied in this order)."""
    import click

    from ...cli_parse import value
    return [
        click.option("--aws-profile", metavar="NAME",
                     help="AWS named profile (default: the standard credential chain: environment, SSO, role)"),
        click.option("--regions", multiple=True, metavar="R1,R2",
                     help="regions to audit, comma-separated or repeated (default: every region enabled "
                          "for each account)"),
        click.option("--role-arn", type=value(role_arn, "ARN"), help="assume this role before auditing"),
        click.option("--external-id", metavar="ID", help="external id for --role-arn / --org-role"),
        click.option("--org-role", metavar="NAME",
                     help="list the AWS Organization's accounts and assume this role name in each"),
        click.option("--accounts", multiple=True, metavar="ID,ID", help="with --org-role: only these accounts"),
        click.option("--exclude-accounts", multiple=True, metavar="ID,ID", help="with --org-role: skip these accounts"),
        click.option("--concurrency", type=value(positive, "N"), default=16, show_default=True,
                     help="API calls in flight at once"),
        click.option("--max-attempts", type=value(positive, "N"), default=5, show_default=True,
                     help="attempts per call, botocore adaptive retry mode (the credential check at the start "
                          "makes at most 2)"),
        click.option("--timeout", type=value(seconds, "SECONDS"), default=30.0, show_default=True,
                     help="connect and read timeout of each request (the credential check at the start waits "
                          "at most 3 s)"),
        click.option("--print-iam-policy", is_flag=True,
                     help="print the minimal IAM policy the audit needs, and exit"),
    ]


def early(args) -> int | None:
    """Answers that need no AWS access."""
    if getattr(args, "print_iam_policy", False):
        from .ops import shipped_policy_text
        sys.stdout.write(shipped_policy_text())
        sys.stdout.flush()
        return 0
    return None
