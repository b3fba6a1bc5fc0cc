"""scanner/digest.py's sha256 is SHA-256: the digests hashlib gives, for what a scan hashes."""
from __future__ import annotations

import hashlib

from scanner.digest import sha256


def test_the_same_digests_as_hashlib():
    for data in (b"", b"abc", "ENC-01|aws_s3_bucket.logs".encode(), bytes(range(256)) * 1000):
        assert sha256(data).hexdigest() == hashlib.sha256(data).hexdigest()
        h = sha256()
        h.update(data[:7])
        h.update(data[7:])
        assert h.hexdigest() == hashlib.sha256(data).hexdigest() and h.digest() == hashlib.sha256(data).digest()
    assert sha256(b"abc").hexdigest() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
