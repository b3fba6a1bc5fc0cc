"""Tags of a whole region in one paginated read: the Resource Groups Tagging API (tag:GetResources).

Each service's own tag call (sqs:ListQueueTags, sns:ListTagsForResource, ...)
costs one request per resource; tag:GetResources answers for every tagged
resource of the region, 100 a page.  It is read once per account and region,
on first need, and shared by the collectors of that region.

What its answer means: the Tagging API lists only resources that have (or had)
tags.  So a resource it does not list has no tags -- but only because the call
succeeded for that resource's type.  When the call fails for good (denied,
throttled past the retries), ``Scope.region_tags`` gives None and the collector
reads each resource's tags with the service's own call, as without it; the
failure is one coverage entry.  Never "no tags" from a call that did not answer.

Only the types whose answers were checked against an emulator (moto) are read
this way: SQS queues, SNS topics, DynamoDB tables, KMS keys, ElastiCache
replication groups, Lambda functions.  Kinesis streams, backup plans and RDS parameter groups keep
their own tag calls (moto's Tagging API does not list them, so that path could
not be tested).
"""
from __future__ import annotations

from ...values import Value
from .guard import Failure
from .ops import api_name
from .scope import val

API = api_name("resourcegroupstaggingapi", "GetResources")   # "tag:GetResources"
# service-level filters ("sqs", not "sqs:queue"): AWS accepts both, emulators only the first for some services
SERVICES = ("dynamodb", "elasticache", "kms", "lambda", "sns", "sqs")


class RegionTags:
    """The tag:GetResources answer of one account and region: tags by ARN."""

    def __init__(self, mappings: list[dict]):
        self.by_arn: dict[str, dict[str, str]] = {}
        for m in mappings:
            if m.get("ResourceARN"):
                self.by_arn[m["ResourceARN"]] = {t["Key"]: t.get("Value", "") for t in m.get("Tags") or []
                                                 if "Key" in t}

    def value(self, arn: str) -> Value:
        """The resource's tags; not listed (the call succeeded for its type) means it has none."""
        return val(dict(self.by_arn.get(arn, {})), "Tags", API)


def read(scope) -> RegionTags | Failure:
    """One paginated tag:GetResources for the scope's region; the Failure if any page failed."""
    items, fail = scope.pages("resourcegroupstaggingapi", "GetResources", "ResourceTagMappingList",
                              ResourceTypeFilters=list(SERVICES), ResourcesPerPage=100)
    # a partial answer is no answer: a resource missing from it may be on the page that failed
    return fail if fail else RegionTags(items)
