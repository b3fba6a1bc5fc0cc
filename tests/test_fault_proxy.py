"""The fault proxy the AWS audit tests put in front of moto must inject only the faults a test asks
for (issue 14, point 12: test_a_failing_region_is_unknown_and_the_others_are_audited failed on a
loaded machine with a ConnectionClosedError beside the injected InternalError).

The cause: a listen backlog of 5.  On a loaded machine the proxy's accept loop waits for the GIL,
the audit opens up to --concurrency connections at once, the kernel's accept queue overflows and
connections are dropped: a fault nobody injected, which --max-attempts 1 turns into a coverage
entry.  The loaded machine is reproduced here deterministically: the accept loop is slowed down.
"""
from __future__ import annotations

import http.client
import threading
import time
import urllib.parse

import aws_support
from aws_support import FaultProxy

BURST = 48   # more than the audit's default --concurrency (16) ever opens at once


def _burst(url: str) -> list:
    target = urllib.parse.urlparse(url)
    results: list = [None] * BURST
    go = threading.Event()

    def one(i):
        go.wait()
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=20)
        try:
            conn.request("POST", "/", body=b"Action=DescribeRegions", headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-west-2/ec2/aws4_request"})
            resp = conn.getresponse()
            resp.read()
            results[i] = resp.status
        except Exception as e:   # noqa: BLE001 - what the client saw is the result
            results[i] = e.__class__.__name__
        finally:
            conn.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(BURST)]
    for t in threads:
        t.start()
    go.set()
    for t in threads:
        t.join(timeout=60)
    return results


def test_a_burst_of_connections_on_a_slow_accept_loop_gets_only_the_injected_fault(monkeypatch):
    original = aws_support._Server.get_request

    def slow_accept(self):   # the accept loop of a loaded machine
        time.sleep(0.02)
        return original(self)

    monkeypatch.setattr(aws_support._Server, "get_request", slow_accept)
    proxy = FaultProxy("http://127.0.0.1:9")   # no upstream is reached: the rule answers every request
    try:
        proxy.fail(None, None, region="us-west-2", error="500")
        results = _burst(proxy.url)
    finally:
        proxy.stop()
    assert results == [500] * BURST, sorted(map(str, results))
    assert proxy.seen[("ec2", "DescribeRegions", "us-west-2")] == BURST
