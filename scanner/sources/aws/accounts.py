"""Credentials, accounts and regions of a live audit.

Credentials come from boto3's standard chain (``--aws-profile``, environment,
SSO, container or instance role).  ``--role-arn`` assumes one role first;
``--org-role NAME`` lists the AWS Organization's accounts and assumes that role
in each.  Assumed-role credentials refresh themselves, so long audits of large
organisations do not run out of time.  Every STS and Organizations call goes
through the same guard as the collectors.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import boto3
from botocore.credentials import RefreshableCredentials
from botocore.exceptions import ProfileNotFound
from botocore.session import get_session

from ...errors import InputError, ScanError
from ...redact import redact, remember
from .guard import Calls, Failure

SESSION_NAME = "specguard-audit"
REGION_RX = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")


@dataclass
class Account:
    id: str
    session: boto3.Session | None          # None: could not get in (see failure)
    failure: Failure | None = None
    regions: list[str] = field(default_factory=list)
    name: str = ""
    regions_failure: Failure | None = None   # ec2:DescribeRegions failed: the regions audited may not be all


def base_session(profile: str | None) -> boto3.Session:
    try:
        s = boto3.Session(profile_name=profile) if profile else boto3.Session()
    except ProfileNotFound:
        raise InputError(f"--aws-profile: no AWS profile named {profile!r} in the AWS config files")
    try:
        creds = s.get_credentials()
    except ProfileNotFound as e:  # a profile whose source_profile is missing
        raise InputError(f"--aws-profile: {redact(e)}")
    if creds is None:
        raise ScanError("no AWS credentials found (environment, --aws-profile, SSO, or an instance/container role)")
    frozen = creds.get_frozen_credentials()
    remember(frozen.secret_key, frozen.token)   # never printed, even if a server echoes them back
    return s


def home_region(session: boto3.Session) -> str:
    return session.region_name or "us-east-1"


def caller(calls: Calls, session: boto3.Session, region: str, source: str = "the default chain",
           status=None) -> dict:
    """sts:GetCallerIdentity, bounded to a few seconds (``startup.probe``); credentials that do not
    work, or an STS endpoint that cannot be reached, end the audit (exit 3) saying which it was."""
    from . import startup
    probe = startup.probe(calls)
    client = probe.client(session, "sts", region)
    where = startup.endpoint(client)
    if status is not None:
        status.say(f"checking the AWS credentials ({source}) at {where} ...")
    resp = probe.call(client, "GetCallerIdentity", "?", "global")
    startup.merge(calls, probe)
    if isinstance(resp, Failure):
        raise ScanError(startup.explain(resp, where, probe, source))
    return resp


def assume(calls: Calls, session: boto3.Session, region: str, role_arn: str, external_id: str | None,
           account: str) -> boto3.Session | Failure:
    """A session on ``role_arn`` whose credentials renew themselves through sts:AssumeRole."""
    sts = calls.client(session, "sts", region)
    params = {"RoleArn": role_arn, "RoleSessionName": SESSION_NAME}
    if external_id:
        params["ExternalId"] = external_id

    def fetch():
        resp = calls.call(sts, "AssumeRole", account, "global", **params)
        if isinstance(resp, Failure):
            raise ScanError(f"renewing the credentials of {role_arn} failed: {resp.error}")
        c = resp["Credentials"]
        remember(c["SecretAccessKey"], c["SessionToken"])
        return {"access_key": c["AccessKeyId"], "secret_key": c["SecretAccessKey"], "token": c["SessionToken"],
                "expiry_time": c["Expiration"].isoformat()}

    first = calls.call(sts, "AssumeRole", account, "global", **params)
    if isinstance(first, Failure):
        return first
    c = first["Credentials"]
    remember(c["SecretAccessKey"], c["SessionToken"])
    meta = {"access_key": c["AccessKeyId"], "secret_key": c["SecretAccessKey"], "token": c["SessionToken"],
            "expiry_time": c["Expiration"].isoformat()}
    bs = get_session()
    # the service models the base session already parsed (tens of MB per session otherwise: an
    # Organization's hundreds of accounts would each load their own copy)
    bs.register_component("data_loader", session._session.get_component("data_loader"))  # noqa: SLF001
    bs._credentials = RefreshableCredentials.create_from_metadata(meta, fetch, "assume-role")  # noqa: SLF001
    bs.set_config_variable("region", region)
    return boto3.Session(botocore_session=bs)


def org_accounts(calls: Calls, session: boto3.Session, region: str, account: str) -> list[dict]:
    client = calls.client(session, "organizations", region)
    items, fail = calls.pages(client, "ListAccounts", "Accounts", account, "global")
    if fail:
        raise ScanError(f"could not list the accounts of the AWS Organization: {fail.message}")
    return items


def enabled_regions(calls: Calls, session: boto3.Session, region: str, account: str, partition: str
                    ) -> list[str] | Failure:
    """Regions enabled for the account (opted-in and default), within the credentials' partition."""
    resp = calls.call(calls.client(session, "ec2", region), "DescribeRegions", account, region, AllRegions=False)
    if isinstance(resp, Failure):
        return resp
    known = set(session.get_available_regions("ec2", partition_name=partition))
    names = [r["RegionName"] for r in resp.get("Regions") or []
             if r.get("OptInStatus", "opt-in-not-required") != "not-opted-in"]
    # the SDK's list is only used to keep other partitions out (gov/cn); new regions of ours pass
    return sorted(n for n in names if n in known or _partition_of(n) == partition)


def _partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def parse_list(values: list[str] | None) -> list[str]:
    out: list[str] = []
    for v in values or []:
        out += [x.strip() for x in v.split(",") if x.strip()]
    return list(dict.fromkeys(out))


def check_regions(regions: list[str]) -> list[str]:
    for r in regions:
        if not REGION_RX.match(r):
            raise InputError(f"--regions: {r!r} is not an AWS region name (like eu-west-1)")
    return regions


def check_accounts(ids: list[str], option: str) -> list[str]:
    for a in ids:
        if not re.fullmatch(r"\d{12}", a):
            raise InputError(f"{option}: {a!r} is not a 12-digit AWS account id")
    return ids

