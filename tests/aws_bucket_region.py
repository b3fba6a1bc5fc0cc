"""S3's ListBuckets as AWS answers it: a paginated request (MaxBuckets, ContinuationToken, Prefix or
BucketRegion given) lists each bucket with its BucketRegion; an unpaginated one does not.

moto 5.2 never returns BucketRegion, so without this an audit on moto makes one GetBucketLocation per
bucket that on AWS it does not.  The proxy below adds the field only where AWS would, taking each
bucket's region from moto itself (a GetBucketLocation made straight to moto, not through the proxy,
so it is not counted as the audit's).
"""
from __future__ import annotations

import urllib.parse
import xml.etree.ElementTree as ET

from aws_support import FaultProxy, _scope, client

NS = "http://s3.amazonaws.com/doc/2006-03-01/"
PAGINATED = ("max-buckets", "continuation-token", "prefix", "bucket-region")


class BucketRegionProxy(FaultProxy):
    """A FaultProxy whose paginated ListBuckets answers carry BucketRegion, as AWS's do."""

    listed_paginated = 0   # how many ListBuckets requests were paginated (a test reads it)

    def _forward(self, h, body: bytes, upstream):
        status, headers, payload = super()._forward(h, body, upstream)
        parsed = urllib.parse.urlparse(h.path)
        query = urllib.parse.parse_qs(parsed.query, keep_blank_values=True)
        _, region, service = _scope(h.headers.get("Authorization", ""))
        if (status == 200 and service == "s3" and h.command == "GET" and parsed.path == "/"
                and any(k in query for k in PAGINATED)):
            self.listed_paginated += 1
            payload = with_regions(payload, f"http://{upstream.hostname}:{upstream.port}", region or "us-east-1")
        return status, headers, payload


def with_regions(payload: bytes, moto_url: str, region: str) -> bytes:
    ET.register_namespace("", NS)
    root = ET.fromstring(payload)
    s3 = client(moto_url, "s3", region)
    for b in root.iter(f"{{{NS}}}Bucket"):
        name = b.findtext(f"{{{NS}}}Name")
        where = s3.get_bucket_location(Bucket=name).get("LocationConstraint") or "us-east-1"
        el = ET.SubElement(b, f"{{{NS}}}BucketRegion")
        el.text = {"EU": "eu-west-1"}.get(where, where)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
