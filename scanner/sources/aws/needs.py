"""Which per-resource reads the run's controls need, so a call no control can use is not made.

The audit reads what the controls of the run's profile (and the users' controls it loads) may look
at.  A read left out never becomes a pass: the field it would have filled is ``Unknown`` with the
reason it was not read, so a control that did read it after all (a library caller evaluating with
another profile) says unknown.

Only one read is left out today: ``s3:GetBucketReplication`` (``cross_region_replica``) of a bucket
that DR-01 does not check -- DR-01 looks only at buckets tagged critical (its parameters ``tag`` and
``value``), and it is the catalogue's only control that reads the field (``READERS``; a test checks
the rules' source for others).  The bucket's tags are read first, and DR-01's own test of them
(``rules/dr.py``) decides; a bucket whose tags are not known is read.  Every bucket is read when
a user's control could read the field: a YAML control that names it, or any Python control that
may look at buckets (what its code reads cannot be known).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...model import Resource

REPLICATION = "cross_region_replica"
# the catalogue's controls that read a field whose read is left out when they do not need it
READERS = {REPLICATION: ("DR-01",)}
BUCKET_KIND, BUCKET_TYPE = "object_store", "aws_s3_bucket"


@dataclass(frozen=True)
class Needs:
    """``every_bucket``: some control may read any bucket's replication; else ``critical`` is DR-01's
    (tag, value) when DR-01 is on, None when no control of the run reads replication at all."""

    every_bucket: bool = True
    critical: tuple[str, str] | None = None

    def bucket_replication(self, r: Resource) -> str | None:
        """None: read the bucket's replication (its tags already set); otherwise why it is not read."""
        if self.every_bucket:
            return None
        if self.critical is None:
            return "not read: no control of this run reads a bucket's replication (DR-01 is switched off)"
        from ...rules.dr import _critical   # DR-01's own test, so the two cannot disagree
        tag, value = self.critical
        if _critical(r, tag, value) is False:
            return (f"not read: the bucket is not tagged {tag} = {value}, so no control of this run needs "
                    f"its replication")
        return None


ALL = Needs()


def of_profile(profile: Any) -> Needs:
    """What the enabled controls of ``profile`` (a scanner.profile.Profile) need."""
    from ...user_rules import UserControl
    from ...yaml_rules import YamlControl
    dr = None
    for cs in profile.controls.values():
        if not cs.enabled:
            continue
        c = cs.control
        if c.kinds and BUCKET_KIND not in c.kinds:
            continue
        if isinstance(c, YamlControl):
            if c.types and BUCKET_TYPE not in c.types:
                continue
            if REPLICATION in c.fields or REPLICATION in c.cond.fields():
                return ALL
        elif isinstance(c, UserControl):
            return ALL   # Python: it may read any field of a bucket
        elif c.id == "DR-01":
            dr = (str(cs.params.get("tag", "Criticality")), str(cs.params.get("value", "critical")))
        elif c.id in READERS[REPLICATION] or REPLICATION in c.fields:
            return ALL
    return Needs(every_bucket=False, critical=dr)

