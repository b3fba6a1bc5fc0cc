"""Value checks for command-line options (``cli_parse.value`` makes them click types): a wrong value
is a usage error (exit 2) with a plain reason, before any credential or network is touched."""
from __future__ import annotations

import re

GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-zA-Z0-9-]{1,63}\.)+[a-zA-Z]{2,63}$")


def _whole(text: str, least: int, says: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a whole number") from None
    if n < least:
        raise ValueError(says)
    return n


def positive(text: str) -> int:
    return _whole(text, 1, "must be at least 1")


def non_negative(text: str) -> int:
    return _whole(text, 0, "must be 0 or more")


def seconds(text: str) -> float:
    try:
        n = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number of seconds") from None
    if not n > 0 or n == float("inf"):
        raise ValueError("must be a number of seconds more than 0")
    return n


def guid(text: str) -> str:
    if not GUID.match(text.strip()):
        raise ValueError(f"{text!r} is not an id of the form 00000000-0000-0000-0000-000000000000")
    return text.strip()


def tenant(text: str) -> str:
    """A tenant id, or a tenant's domain name (contoso.onmicrosoft.com), as azure-identity takes."""
    if not (GUID.match(text.strip()) or DOMAIN.match(text.strip())):
        raise ValueError(f"{text!r} is neither a tenant id (a GUID) nor a domain name")
    return text.strip()


def role_arn(text: str) -> str:
    if not ROLE_ARN.match(text.strip()):
        raise ValueError(f"{text!r} is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)")
    return text.strip()
