"""Credential-shaped text out of every message made from a server's answer or an exception.

Error codes and messages come from servers, and a server (or a proxy, or an
emulator) may echo the request back: its ``Authorization`` header, the
``X-Amz-Security-Token``, a SAS URL, a connection string.  Whatever text an
error becomes -- a coverage entry, an unknown's reason, a line on stderr -- goes
through ``redact`` first, in both clouds' error boundaries (aws/guard.py
``Failure``, azure/session.py ``describe_error``).

Two nets, because neither alone is enough:

* shapes: AWS access key ids, long base64 runs (secret keys, session tokens,
  storage keys), JWTs (Azure bearer tokens), ``Bearer ...``, header and
  key=value pairs whose name says "secret" (``X-Amz-Security-Token``,
  ``Authorization``, ``sig=``, ``AccountKey=``, ``Password=``, ...), PEM private keys;
* values: the secrets this process really holds (the secret key and session
  token of each AWS session, each Azure token, the secret variables of the
  environment), wherever they occur, also URL-encoded -- so a short or oddly
  shaped secret is caught too.
"""
from __future__ import annotations

import os
import re
import threading

MASK = "<redacted>"

# environment variables whose values are secrets
SECRET_ENV = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AZURE_CLIENT_SECRET",
              "AZURE_PASSWORD", "AZURE_CLIENT_CERTIFICATE_PASSWORD", "ARM_CLIENT_SECRET", "ARM_ACCESS_KEY",
              "AZURE_STORAGE_KEY", "AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_SAS_TOKEN")
MIN_KNOWN = 8   # shorter "secrets" (test placeholders) would blank ordinary words

_known: set[str] = set()
_lock = threading.Lock()

# names of headers, parameters and connection-string keys whose values are secrets
_NAMES = (r"x-amz-security-token|x-amz-signature|x-amz-credential|aws_?session_?token|session_?token|"
          r"security_?token|aws_?secret_?access_?key|secret_?access_?key|secret_?key|client_?secret|"
          r"access_?token|refresh_?token|id_?token|client_?assertion|account_?key|shared_?access_?key|"
          r"shared_?access_?signature|primary_?key|secondary_?key|password|passwd|pwd|sig|signature|"
          r"credential|x-ms-authorization-auxiliary|ocp-apim-subscription-key|api_?key")
_RULES: list[tuple[re.Pattern, str]] = [
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)", re.S), MASK),
    # Authorization: <scheme> <anything up to the end of the line or a quote/markup>
    (re.compile(r"(\bauthorization\b[\"']?\s*[:=]\s*[\"']?)[^\r\n\"'<>&]*", re.I), r"\1" + MASK),
    (re.compile(r"(\b(?:bearer|basic|sharedkey|sharedaccesssignature)\s+)[A-Za-z0-9._~+/=:%-]+", re.I),
     r"\1" + MASK),
    # name: value, name=value, "name": "value" (a header, a query parameter, a connection string's key)
    (re.compile(r"((?<![A-Za-z0-9])(?:" + _NAMES + r")[\"']?\s*[:=]\s*[\"']?)[^\s\"'<>&;,]+", re.I),
     r"\1" + MASK),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"), MASK),    # a JWT
    (re.compile(r"\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA|ASCA)[A-Z0-9]{12,}\b"),
     MASK),
]
# a run of base64 this long, mixing digits and both cases, is a key or a token, not a word
_OPAQUE = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{32,}={0,2}")
# a path segment: lower case and digits, or words in camelCase / PascalCase (random base64 is neither)
_WORDLIKE = re.compile(r"[a-z0-9]*|[A-Za-z][a-z0-9]*(?:[A-Z][a-z0-9]+)*")


def remember(*secrets: object) -> None:
    """Values this process holds that must never be printed (a session's secret key and token)."""
    with _lock:
        for s in secrets:
            if isinstance(s, str) and len(s) >= MIN_KNOWN:
                _known.add(s)


def _values() -> list[str]:
    with _lock:
        vals = set(_known)
    for name in SECRET_ENV:
        v = os.environ.get(name)
        if v and len(v) >= MIN_KNOWN:
            vals.add(v)
    if not vals:
        return []
    from urllib.parse import quote   # only with secrets to look for: ~2 ms of imports otherwise at every start
    out: set[str] = set()
    for v in vals:
        out.update({v, quote(v, safe=""), quote(v, safe="/")})
    return sorted(out, key=len, reverse=True)   # longest first: an encoded form is not left half-replaced


def _opaque(m: re.Match) -> str:
    s = m.group(0)
    if "/" in s and all(_WORDLIKE.fullmatch(seg) for seg in s.split("/")):
        return s   # a path (.../resourceGroups/rg1/providers/Microsoft), not a key
    if re.search(r"\d", s) and re.search(r"[a-z]", s) and re.search(r"[A-Z]", s):
        return MASK
    return s


def redact(text: object) -> str:
    """``text`` with every credential-shaped part replaced by <redacted>."""
    s = "" if text is None else str(text)
    for v in _values():
        if v in s:
            s = s.replace(v, MASK)
    for rx, repl in _RULES:
        s = rx.sub(repl, s)
    return _OPAQUE.sub(_opaque, s)
