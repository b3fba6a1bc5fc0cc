"""Hash and crypto functions on strings: base64sha256 base64sha512 md5 sha1 sha256 sha512 uuidv5
(the file* variants are in files.py; bcrypt, uuid and rsadecrypt are in the package's IMPURE table)."""
from __future__ import annotations

import base64
import hashlib
import uuid

from ._base import EvalError, fn, string


def _hex(algo):
    return lambda s: hashlib.new(algo, string(s).encode("utf-8")).hexdigest()


def _b64(algo):
    return lambda s: base64.b64encode(hashlib.new(algo, string(s).encode("utf-8")).digest()).decode("ascii")


for _algo in ("md5", "sha1", "sha256", "sha512"):
    fn(_algo, 1)(_hex(_algo))
fn("base64sha256", 1)(_b64("sha256"))
fn("base64sha512", 1)(_b64("sha512"))

_NAMESPACES = {"dns": uuid.NAMESPACE_DNS, "url": uuid.NAMESPACE_URL, "oid": uuid.NAMESPACE_OID,
               "x500": uuid.NAMESPACE_X500}


@fn("uuidv5", 2)
def _uuidv5(namespace, name):
    ns = string(namespace, "the namespace")
    space = _NAMESPACES.get(ns)
    if space is None:
        try:
            space = uuid.UUID(ns)
        except ValueError:
            raise EvalError(f"uuidv5(): namespace must be dns, url, oid, x500 or a UUID, not {ns[:40]!r}")
    return str(uuid.uuid5(space, string(name, "the name")))
