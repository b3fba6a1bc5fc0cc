"""Every AWS call of the audit goes through here.

``Calls`` makes the boto3 clients (adaptive retries, timeouts, a connection pool
as large as the concurrency) and hooks each one so that:

* an operation that is not in the audit's own table (``ops.OPERATIONS``, the
  operations ``--print-iam-policy`` grants) is refused *before* anything is sent
  (botocore's ``before-call`` event, raised as ReadOnlyViolation);
* no more than ``concurrency`` calls are in flight at once (one semaphore);
* the operations called and the HTTP attempts made are counted (tests, bench).

``Calls.call`` / ``Calls.pages`` return the response, or a ``Failure`` when the
call failed for good (after botocore's retries): denied, throttled, timed out,
5xx, region not enabled.  The failure is recorded once, as the coverage entry
the results document carries.  A Failure's texts come from the server: they are
redacted (``scanner.redact``) when the Failure is made, so no echoed header or
token reaches a reason, a coverage entry or stderr.
"""
from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ...redact import redact
from .ops import api_name, is_read_only


class ReadOnlyViolation(RuntimeError):
    """An operation that is not a read was about to be sent."""


@dataclass(frozen=True)
class Failure:
    """A call that failed for good (after botocore's retries)."""

    api: str          # rds:DescribeDBInstances
    region: str       # eu-west-1 | global
    account: str
    error: str        # AccessDenied, Throttling, InternalError, ReadTimeout, ...
    detail: str = ""

    @property
    def message(self) -> str:
        return f"{self.api}, {self.region}, account {self.account}: {self.error}"

    @property
    def reason(self) -> str:
        return f"{self.api} failed in {self.region}, account {self.account}: {self.error}"


class Calls:
    """Client factory, read-only guard, concurrency bound and failure log of one audit."""

    def __init__(self, concurrency: int = 16, max_attempts: int = 5, connect_timeout: float = 5,
                 read_timeout: float = 30):
        self.concurrency = max(1, int(concurrency))
        # total_max_attempts counts the first try too ("max_attempts" in this dict would count retries only)
        self.config = Config(retries={"mode": "adaptive", "total_max_attempts": max_attempts},
                             connect_timeout=connect_timeout, read_timeout=read_timeout,
                             max_pool_connections=self.concurrency, user_agent_extra="specguard-audit")
        self._slots = threading.BoundedSemaphore(self.concurrency)
        self._lock = threading.Lock()
        self._clients: dict[tuple, Any] = {}
        self.operations: Counter = Counter()     # (service, operation) -> calls
        self.attempts = 0                        # HTTP requests, retries included
        self.failures: list[Failure] = []

    # ------------------------------------------------------------------ clients
    def client(self, session: boto3.Session, service: str, region: str):
        key = (id(session), service, region)
        with self._lock:  # boto3 sessions are not thread-safe; the clients they make are
            c = self._clients.get(key)
            if c is None:
                c = session.client(service, region_name=region, config=self.config)
                c.meta.events.register("before-call", self._guard)
                c.meta.events.register("before-send", self._count_attempt)
                self._clients[key] = c
            return c

    def _guard(self, model, **kwargs):
        service = model.service_model.service_name
        if not is_read_only(service, model.name):
            raise ReadOnlyViolation(f"specguard refused {api_name(service, model.name)}: not one of the "
                                    "operations the audit makes (see --print-iam-policy)")
        with self._lock:
            self.operations[(service, model.name)] += 1

    def _count_attempt(self, **kwargs):
        with self._lock:
            self.attempts += 1

    # ------------------------------------------------------------------ calls
    def call(self, client, op: str, account: str, region: str, expect: Iterable[str] = (), **params):
        """One operation.  Error codes in ``expect`` are answers, returned as ClientError."""
        method = getattr(client, _snake(op))
        try:
            with self._slots:
                return method(**params)
        except ClientError as e:
            code = e.response.get("Error", {}).get("Code", "") or str(e.response.get("ResponseMetadata", {})
                                                                       .get("HTTPStatusCode", "error"))
            if code in expect:
                return e
            return self._fail(client, op, account, region, code, e)
        except ReadOnlyViolation:
            raise
        except BotoCoreError as e:
            return self._fail(client, op, account, region, e.__class__.__name__, e)

    def pages(self, client, op: str, key: str, account: str, region: str, **params) -> tuple[list, Failure | None]:
        """All items under ``key`` of every page; on a failure, the items read so far and the Failure."""
        items: list = []
        try:
            it = iter(client.get_paginator(_snake(op)).paginate(**params))
            while True:
                with self._slots:
                    page = next(it, None)
                if page is None:
                    return items, None
                items.extend(_dig(page, key))
        except ClientError as e:
            code = e.response.get("Error", {}).get("Code", "") or "error"
            return items, self._fail(client, op, account, region, code, e)
        except ReadOnlyViolation:
            raise
        except BotoCoreError as e:
            return items, self._fail(client, op, account, region, e.__class__.__name__, e)

    def _fail(self, client, op, account, region, code, exc) -> Failure:
        service = client.meta.service_model.service_name
        f = Failure(api_name(service, op), region, account, _code(code), redact(str(exc))[:300])
        with self._lock:
            self.failures.append(f)
        return f

    @property
    def total_calls(self) -> int:
        return sum(self.operations.values())


def _dig(page: dict, key: str) -> list:
    cur: Any = page
    for part in key.split("."):
        cur = cur.get(part) if isinstance(cur, dict) else None
    return list(cur or [])


def _snake(op: str) -> str:
    from botocore import xform_name
    return xform_name(op)


def _code(code: str) -> str:
    """An error code as the server sent it, minus anything credential-shaped, on one short line."""
    return " ".join(redact(code).split())[:120] or "error"


def map_bounded(pool, fn: Callable, items: list) -> list:
    """Run ``fn`` over ``items`` on the shared fan-out pool, keeping order."""
    if len(items) <= 1:
        return [fn(i) for i in items]
    return list(pool.map(fn, items))
