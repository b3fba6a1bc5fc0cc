"""Credentials never leave in a message: scanner.redact, and the AWS audit against an endpoint that echoes them.

The fault proxy answers with the request's own X-Amz-Security-Token as the error
code and its Authorization header in the message (aws_support, EchoCredentials);
whatever the audit writes -- every report format, stdout, stderr -- must not hold
the token, nor any long piece of it.
"""
from __future__ import annotations

import base64
import hashlib
import json

import pytest

from aws_support import use_env, servers  # noqa: F401 (a fixture)
from scanner.redact import MASK, redact, remember

# the shape of an STS session token: a few hundred characters of base64
TOKEN = "IQoJb3JpZ2luX2VjE" + base64.b64encode(hashlib.sha512(b"specguard session").digest() * 5).decode()
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"   # AWS's documented example secret key


def pieces(secret: str, n: int = 16) -> list[str]:
    return [secret[i:i + n] for i in range(0, len(secret) - n + 1)]


def leaks(text: str, secret: str) -> list[str]:
    return [p for p in pieces(secret) if p in text]


# ----------------------------------------------------------------------------- shapes
@pytest.mark.parametrize("text,secret", [
    (f"X-Amz-Security-Token: {TOKEN}", TOKEN),
    (f"<Code>{TOKEN}</Code>", TOKEN),
    (f'{{"__type": "{TOKEN}"}}', TOKEN),
    ("Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261206/us-east-1/rds/aws4_request, "
     "SignedHeaders=host;x-amz-date, Signature=0f4c2a8e9b7d6c5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e",
     "0f4c2a8e9b7d6c5e4f3a2b1c0d9e8f7a"),
    ("the key AKIAIOSFODNN7EXAMPLE was refused", "AKIAIOSFODNN7EXAMPLE"),
    (f"secret {SECRET} rejected", SECRET),
    (f"aws_secret_access_key={SECRET}", SECRET),
    ("Authorization: Bearer eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL21hbmFnZW1lbnQuYXp1cmUuY29tIn0."
     "c2lnbmF0dXJlLW9mLXRoZS10b2tlbg", "eyJhdWQiOiJodHRwczovL21hbmFnZW1lbnQ"),
    ("token eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg", "c2lnbmF0dXJlLW9m"),
    ("GET https://acct.blob.core.windows.net/c/b?sv=2022-11-02&se=2026-12-06&sig=Zm9vYmFyYmF6cXV4%2Bqu%3D&sp=r",
     "Zm9vYmFyYmF6cXV4"),
    ("DefaultEndpointsProtocol=https;AccountName=st1;AccountKey=c3RvcmFnZS1rZXktb2YtdGhlLWFjY291bnQ=;"
     "EndpointSuffix=core.windows.net", "c3RvcmFnZS1rZXkt"),
    ("Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey=a2V5LW9mLXRoZS1idXM=",
     "a2V5LW9mLXRoZS1i"),
    ("Server=db;User Id=admin;Password=hunter2hunter2;", "hunter2hunter2"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----", "MIIEowIBAAKCAQEA"),
])
def test_credential_shapes_are_redacted(text, secret):
    out = redact(text)
    assert secret not in out and MASK in out, out


@pytest.mark.parametrize("text", [
    "rds:DescribeDBInstances, us-east-1, account 123456789012: AccessDenied",
    "ServerSideEncryptionConfigurationNotFoundError",
    "arn:aws:rds:us-east-1:123456789012:db:qts-prod-reporting",
    "/subscriptions/00000000-0000-0000-0000-0000000000a1/resourceGroups/rg-standby/providers/Microsoft.Sql/servers/x",
    "Microsoft.Storage/storageAccounts (list), subscription 00000000-0000-0000-0000-0000000000a1: 429 TooManyRequests",
    "internal error KeyError",
])
def test_ordinary_messages_are_left_alone(text):
    assert redact(text) == text


def test_secrets_the_process_holds_are_redacted_whatever_their_shape(monkeypatch):
    odd = "short-but-secret-9"
    assert redact(f"code {odd}") == f"code {odd}"   # not credential-shaped: only known values catch it
    monkeypatch.setenv("AZURE_CLIENT_SECRET", odd)
    assert redact(f"code {odd}") == f"code {MASK}"
    remember("another+odd/token=value")
    assert redact("x another%2Bodd%2Ftoken%3Dvalue y") == f"x {MASK} y"   # URL-encoded too
    assert redact("another+odd/token=value") == MASK


# ----------------------------------------------------------------------------- an echoing endpoint
def test_an_endpoint_echoing_the_session_token_leaks_it_nowhere(servers, monkeypatch, tmp_path, run_cli):
    server, proxy = servers
    server.reset()
    proxy.clear()
    use_env(monkeypatch, proxy.url)
    env = {"AWS_SESSION_TOKEN": TOKEN}
    proxy.fail("rds", "DescribeDBInstances", error="EchoCredentials")
    proxy.fail("kms", "ListKeys", region="us-west-2", error="EchoCredentials")
    outs = {fmt: tmp_path / f"report.{fmt}" for fmt in ("json", "html", "sarif", "junit", "markdown")}
    args = ["audit", "aws", "--regions", "us-east-1,us-west-2", "--max-attempts", "1"]
    for fmt, path in outs.items():
        args += ["--format", fmt, "-o", path]
    r = run_cli(*args, "--format", "table", "--show-pass", env=env)
    assert r.returncode == 1, r.stderr
    assert proxy.seen[("rds", "DescribeDBInstances", "us-east-1")] >= 1   # the echo was served
    doc = json.loads(outs["json"].read_text())
    entries = [c for c in doc["coverage"] if c["operation"] in ("DescribeDBInstances", "ListKeys")]
    assert len(entries) == 3 and all(c["error"] == MASK for c in entries), entries
    placeholder = [f for f in doc["findings"] if f["resource"]["address"].endswith(":db:*")]
    assert placeholder and all(f["status"] == "unknown" for f in placeholder)
    assert "rds:DescribeDBInstances failed" in placeholder[0]["message"]
    texts = {"stdout": r.stdout, "stderr": r.stderr, **{k: p.read_text() for k, p in outs.items()}}
    for where, text in texts.items():
        assert not leaks(text, TOKEN), f"{where} holds the session token"
        assert "testing-secret" not in text, where

    # an echo that reaches stderr: the credentials' own check fails and the run ends (exit 3)
    proxy.clear()
    proxy.fail("sts", "GetCallerIdentity", error="EchoCredentials")
    r = run_cli("audit", "aws", "--regions", "us-east-1", "--max-attempts", "1", "-o", tmp_path / "x.json",
                env=env)
    assert r.returncode == 3 and "sts:GetCallerIdentity failed" in r.stderr, r.stderr
    assert MASK in r.stderr and not leaks(r.stderr + r.stdout, TOKEN), r.stderr
    assert not (tmp_path / "x.json").exists()
