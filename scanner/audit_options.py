"""The options of a live audit, typed: what ``specguard audit aws|azure`` reads, built once from the
command line's namespace (``AuditOptions.of(args)``) and handed to the pipeline, the collectors and the
executors.  Plain, frozen and picklable, so a Dask task or a library caller gets the same object the
command line makes; it holds names and paths, never a credential or a secret value.
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

# each cloud's per-request timeout when none is given (the command line's defaults)
DEFAULT_TIMEOUT = {"aws": 30.0, "azure": 60.0}


@dataclass(frozen=True)
class AuditOptions:
    cloud: str                                   # aws | azure
    # what judges the findings (read by the coordinator, and by each worker from the same paths)
    profile: str | None = None
    rules: tuple[str, ...] = ()
    waivers: str | None = None
    quiet: bool = False
    executor: str = "local"                      # local | dask://HOST:PORT | dask-local:N
    # both clouds
    concurrency: int = 16
    timeout: float | None = None                 # None: the cloud's default (DEFAULT_TIMEOUT)
    # AWS
    aws_profile: str | None = None
    regions: tuple[str, ...] = ()
    role_arn: str | None = None
    external_id: str | None = None
    org_role: str | None = None
    accounts: tuple[str, ...] = ()
    exclude_accounts: tuple[str, ...] = ()
    max_attempts: int = 5
    # Azure
    subscription: tuple[str, ...] = ()
    tenant: str | None = None
    azure_cloud: str | None = None
    arm_endpoint: str | None = None
    authority_host: str | None = None
    credential_scope: str | None = None
    strategy: str = "arm"
    max_retries: int = 3

    def __post_init__(self):
        if self.timeout is None:
            object.__setattr__(self, "timeout", DEFAULT_TIMEOUT.get(self.cloud, 30.0))

    @classmethod
    def of(cls, args: Any) -> "AuditOptions":
        """From the command line's namespace (or anything with these attributes); an AuditOptions
        is returned as it is.  Absent or None values take the defaults above."""
        if isinstance(args, cls):
            return args
        values = {}
        for f in fields(cls):
            v = getattr(args, f.name, None)
            if v is None:
                continue
            if isinstance(v, list):
                v = tuple(v)
            values[f.name] = v
        return cls(**values)

    def but(self, **changes: Any) -> "AuditOptions":
        return replace(self, **changes)
