"""The first seconds of `specguard audit aws` (issue 14, point 3): a network failure is not blamed on
the credentials and names the endpoint; an endpoint that never answers ends the run in seconds; a
person at a terminal is told what is happening from the first second.

Real sockets on loopback: a port nothing listens on, a server that accepts and never answers, and
moto's server behind the fault proxy for credentials STS refuses.
"""
from __future__ import annotations

import os
import pty
import select
import socket
import subprocess
import sys
import threading
import time

from aws_support import ACCOUNT, aws_env, servers  # noqa: F401 (a fixture)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Silent:
    """Accepts every connection and never answers: an endpoint behind a black-holing proxy."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                self.accepted.append(self.sock.accept()[0])
            except OSError:
                pass

    def close(self):
        self._stop.set()
        self._thread.join()
        for c in self.accepted:
            c.close()
        self.sock.close()


def _env(endpoint: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(aws_env(endpoint))
    return env


def _audit(env, tmp_path, *extra, **kw):
    return subprocess.run([sys.executable, "-m", "scanner", "audit", "aws", "--regions", "us-east-1",
                           "--format", "json", "-o", str(tmp_path / "out.json"), *extra],
                          env=env, capture_output=True, text=True, timeout=60, **kw)


def test_nothing_listening_is_a_connection_failure_naming_the_endpoint(tmp_path):
    url = f"http://127.0.0.1:{_free_port()}"
    t0 = time.monotonic()
    r = _audit(_env(url), tmp_path)
    took = time.monotonic() - t0
    assert r.returncode == 3, r.stderr
    assert r.stderr.count("\n") == 1, r.stderr                   # one line
    assert r.stderr.startswith(f"specguard: error: could not reach AWS STS at {url}: could not connect "
                               "(EndpointConnectionError, 2 attempts); the credentials (environment variables) "
                               "were not checked"), r.stderr
    assert "do not work" not in r.stderr
    assert not (tmp_path / "out.json").exists()
    assert took < 8, took


def test_an_endpoint_that_never_answers_ends_the_run_in_seconds_and_a_terminal_is_told_at_once(tmp_path):
    """Default options: the start-up check is bounded (3 s read timeout, 2 attempts), not 5 x 30 s.
    stderr is a terminal (a pseudo-terminal), so the status line shows while the check waits."""
    silent = Silent()
    master, slave = pty.openpty()
    try:
        env = dict(_env(silent.url), COLUMNS="200", TERM="xterm")
        t0 = time.monotonic()
        p = subprocess.Popen([sys.executable, "-m", "scanner", "audit", "aws", "--regions", "us-east-1",
                              "--format", "json", "-o", str(tmp_path / "out.json")],
                             env=env, stdout=subprocess.DEVNULL, stderr=slave, stdin=subprocess.DEVNULL)
        os.close(slave)
        seen, first_status = b"", None
        while True:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:   # the child closed the terminal
                    break
                if not chunk:
                    break
                seen += chunk
                if first_status is None and b"checking the AWS credentials" in seen:
                    first_status = time.monotonic() - t0
            elif p.poll() is not None:
                break
            assert time.monotonic() - t0 < 30, seen
        rc = p.wait(timeout=30)
        took = time.monotonic() - t0
    finally:
        os.close(master)
        silent.close()
    text = seen.decode("utf-8", "replace")
    assert rc == 3, text
    assert f"checking the AWS credentials (environment variables) at {silent.url} ..." in text
    # the interpreter and boto3 load first; the line is there well before the first timeout
    assert first_status is not None and first_status < 2.5, first_status
    assert (f"specguard: error: could not reach AWS STS at {silent.url}: no answer within 3 s "
            "(ReadTimeoutError, 2 attempts)") in text
    assert len(silent.accepted) == 2            # one retry, not botocore's audit-wide 5 attempts
    assert took < 10, took                      # was 150 s (30 s x 5 attempts)
    assert not (tmp_path / "out.json").exists()


def test_an_ec2_endpoint_that_never_answers_ends_the_run_at_the_first_listing(servers, tmp_path):  # noqa: F811
    """STS answers (moto), EC2 does not (its own endpoint, AWS_ENDPOINT_URL_EC2): the regions listing,
    the first call to EC2, is bounded too, instead of 5 x 30 s for it and then for every regional read."""
    _, proxy = servers
    proxy.clear()
    silent = Silent()
    try:
        env = dict(_env(proxy.url), AWS_ENDPOINT_URL_EC2=silent.url)
        t0 = time.monotonic()
        r = subprocess.run([sys.executable, "-m", "scanner", "audit", "aws", "--format", "json",
                            "-o", str(tmp_path / "out.json")], env=env, capture_output=True, text=True, timeout=60)
        took = time.monotonic() - t0
    finally:
        silent.close()
    assert r.returncode == 3, r.stderr
    assert r.stderr.startswith(f"specguard: error: could not reach AWS EC2 at {silent.url}: no answer within 3 s "
                               f"(ReadTimeoutError, 2 attempts); nothing of account {ACCOUNT} could be listed"), r.stderr
    assert r.stderr.count("\n") == 1 and len(silent.accepted) == 2
    assert took < 12, took
    assert not (tmp_path / "out.json").exists()


def test_credentials_sts_refuses_are_said_to_not_work(servers, tmp_path):  # noqa: F811
    _, proxy = servers
    proxy.clear()
    proxy.fail("sts", "GetCallerIdentity", error="InvalidClientTokenId")
    try:
        r = _audit(_env(proxy.url), tmp_path)
    finally:
        proxy.clear()
    assert r.returncode == 3, r.stderr
    assert r.stderr == (f"specguard: error: the AWS credentials (environment variables) do not work: "
                        f"sts:GetCallerIdentity failed at {proxy.url}: InvalidClientTokenId\n")


def test_no_status_line_without_a_terminal_and_the_audit_runs(servers, tmp_path):  # noqa: F811
    """Piped (CI): nothing on stderr; the bounded check does not get in the way of a working endpoint,
    and its call is counted with the audit's."""
    _, proxy = servers
    proxy.clear()
    r = _audit(_env(proxy.url), tmp_path, "--fail-on", "none")
    assert r.returncode == 0, r.stderr
    assert r.stderr.startswith("specguard: gate off") and r.stderr.count("\n") == 1, r.stderr   # only the summary
    assert proxy.seen[("sts", "GetCallerIdentity", "us-east-1")] == 1
    import json
    doc = json.loads((tmp_path / "out.json").read_text())
    assert doc["scope"]["accounts"] == [ACCOUNT]
