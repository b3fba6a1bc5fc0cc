"""The first seconds of ``specguard audit aws``: what a person at a terminal is told, how long the
start-up checks may take, and what their failures mean.

The start-up checks (the credential chain, sts:GetCallerIdentity, the first listing: the enabled
regions, the first call to EC2) decide whether the audit can run at all, so they are bounded to a
few seconds (``PROBE_*``: short connect and read timeouts, one retry): an endpoint that never
answers ends the run in seconds, not after the audit's own retries (5 attempts x 30 s).  The
audit's calls keep botocore's retries and the ``--timeout`` asked for; a first listing that failed
otherwise (denied, throttled, 5xx) is read again with them, and its failure reported as before.

A failure is told apart by kind: a network failure names the endpoint that could not be reached
and says the credentials were not checked; a refusal by STS says the credentials do not work.
"""
from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from ...redact import redact
from .guard import Calls, Failure

PROBE_CONNECT = 3.0    # seconds to open a connection
PROBE_READ = 3.0       # seconds to wait for an answer (GetCallerIdentity takes well under one)
PROBE_ATTEMPTS = 2     # the first try and one retry

# botocore's exceptions for a request that got no answer from the server
NO_ANSWER = {
    "EndpointConnectionError": "could not connect",
    "ConnectTimeoutError": "no connection within {connect:g} s",
    "ReadTimeoutError": "no answer within {read:g} s",
    "ConnectionClosedError": "the connection was closed before an answer came",
    "SSLError": "the TLS handshake failed",
    "ProxyConnectionError": "could not connect to the proxy",
    "HTTPClientError": "the connection failed",
}
# answers of STS that mean: these credentials are not accepted
REFUSED = {"InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken", "ExpiredTokenException",
           "AccessDenied", "AccessDeniedException", "UnrecognizedClientException", "IncompleteSignature",
           "InvalidAccessKeyId", "AuthFailure", "RequestExpired", "InvalidToken"}


def probe(calls: Calls) -> Calls:
    """A Calls for the start-up checks: the audit's retries and timeouts, capped to a few seconds."""
    read = min(PROBE_READ, calls.config.read_timeout)
    connect = min(PROBE_CONNECT, calls.config.connect_timeout)
    attempts = min(PROBE_ATTEMPTS, calls.config.retries.get("total_max_attempts", PROBE_ATTEMPTS))
    return Calls(concurrency=1, max_attempts=attempts, connect_timeout=connect, read_timeout=read)


def merge(into: Calls, probe_calls: Calls) -> None:
    """Count the start-up calls with the audit's (operations made, HTTP attempts)."""
    into.operations.update(probe_calls.operations)
    into.attempts += probe_calls.attempts


def endpoint(client) -> str:
    """The client's endpoint as a person can read it, without any user info a URL may carry."""
    parts = urlsplit(client.meta.endpoint_url)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return redact(urlunsplit((parts.scheme, host, parts.path, "", "")).rstrip("/"))


def unreachable(service: str, where: str, failure: Failure, calls: Calls) -> str:
    """"could not reach AWS STS at URL: no answer within 3 s (ReadTimeoutError, 2 attempts)"."""
    cfg = calls.config
    what = NO_ANSWER[failure.error].format(connect=cfg.connect_timeout, read=cfg.read_timeout)
    tries = cfg.retries.get("total_max_attempts", 1)
    return (f"could not reach AWS {service} at {where}: {what} ({failure.error}, {tries} "
            f"attempt{'s' if tries != 1 else ''})")


CHECK = "Check the network, a proxy (HTTPS_PROXY) or the endpoint (AWS_ENDPOINT_URL)"


def explain(failure: Failure, where: str, calls: Calls, source: str) -> str:
    """The one line that ends an audit whose credentials check failed, by what failed."""
    if failure.error in NO_ANSWER:
        return f"{unreachable('STS', where, failure, calls)}; the credentials ({source}) were not checked. {CHECK}"
    if failure.error in REFUSED:
        return (f"the AWS credentials ({source}) do not work: {failure.api} failed at {where}: "
                f"{failure.error}")
    return f"the AWS credentials ({source}) could not be checked: {failure.api} failed at {where}: {failure.error}"


def first_listing(calls: Calls, account, home: str, partition: str):
    """The account's enabled regions through a bounded Calls (the first call to EC2).  An endpoint
    that does not answer ends the audit (exit 3) naming it; None when the listing failed otherwise,
    so that the caller reads it again with the audit's own retries (its failure is then recorded)."""
    from ...errors import ScanError
    from .accounts import enabled_regions
    probe_calls = probe(calls)
    where = endpoint(probe_calls.client(account.session, "ec2", home))
    got = enabled_regions(probe_calls, account.session, home, account.id, partition)
    merge(calls, probe_calls)
    if not isinstance(got, Failure):
        return got
    if got.error in NO_ANSWER:
        raise ScanError(f"{unreachable('EC2', where, got, probe_calls)}; nothing of account {account.id} could be "
                        f"listed. {CHECK}")
    return None


def describe_source(session, profile: str | None) -> str:
    """Where the credentials come from, in a few words ("profile prod, sso"; "environment variables")."""
    creds = session.get_credentials()
    method = getattr(creds, "method", "") or ""
    names = {"env": "environment variables", "shared-credentials-file": "the shared credentials file",
             "config-file": "the AWS config file", "sso": "AWS SSO", "assume-role": "an assumed role",
             "container-role": "the container role", "iam-role": "the instance role",
             "assume-role-with-web-identity": "web identity", "custom-process": "a credential process"}
    where = names.get(method, method or "the default chain")
    return f"profile {profile}, {where}" if profile else where
