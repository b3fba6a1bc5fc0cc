"""SHA-256 of the small things a scan hashes (finding fingerprints, the profile, .tf and rules files)
without importing hashlib, which loads OpenSSL's ``_hashlib`` (~11 M instructions at every start).

The interpreter's built-in SHA-256 module gives the same digests.  What can be megabytes (a plan
file, a report's document) is still hashed through hashlib, imported where it is used: OpenSSL's
code is the faster one there.
"""
from __future__ import annotations

try:
    from _sha256 import sha256   # CPython 3.11
except ImportError:   # pragma: no cover - other interpreters and versions
    try:
        from _sha2 import sha256   # CPython 3.12+
    except ImportError:
        from hashlib import sha256

__all__ = ["sha256"]
