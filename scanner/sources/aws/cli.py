"""Options of ``specguard audit aws``.  Import-light: boto3 is imported only when an audit runs."""
from __future__ import annotations

import argparse
import sys

from ...options import positive, role_arn, seconds


def add_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("AWS")
    g.add_argument("--aws-profile", metavar="NAME",
                   help="AWS named profile (default: the standard credential chain: environment, SSO, role)")
    g.add_argument("--regions", action="append", metavar="R1,R2",
                   help="regions to audit (default: every region enabled for each account)")
    g.add_argument("--role-arn", type=role_arn, metavar="ARN", help="assume this role before auditing")
    g.add_argument("--external-id", metavar="ID", help="external id for --role-arn / --org-role")
    g.add_argument("--org-role", metavar="NAME",
                   help="list the AWS Organization's accounts and assume this role name in each")
    g.add_argument("--accounts", action="append", metavar="ID,ID", help="with --org-role: only these accounts")
    g.add_argument("--exclude-accounts", action="append", metavar="ID,ID", help="with --org-role: skip these accounts")
    g.add_argument("--concurrency", type=positive, default=16, metavar="N",
                   help="API calls in flight at once (default 16)")
    g.add_argument("--max-attempts", type=positive, default=5, metavar="N",
                   help="attempts per call, botocore adaptive retry mode (default 5)")
    g.add_argument("--timeout", type=seconds, default=30.0, metavar="SECONDS",
                   help="connect and read timeout of each request (default 30)")
    g.add_argument("--print-iam-policy", action="store_true",
                   help="print the minimal IAM policy the audit needs, and exit")


def early(args) -> int | None:
    """Answers that need no AWS access."""
    if getattr(args, "print_iam_policy", False):
        from .ops import shipped_policy_text
        sys.stdout.write(shipped_policy_text())
        sys.stdout.flush()
        return 0
    return None
