"""The JSON results document, in its canonical form.

Canonical = keys sorted, no insignificant whitespace, UTF-8: the bytes of the file are
exactly what the HTML report's "results SHA-256" is taken over, so `sha256sum results.json`
ties a report to its evidence.  (Also the fast path: the C encoder, not the indenting one.)
"""
from .html import canonical_json

FORMAT = "json"
BINARY = True


def render(doc: dict, **_options) -> bytes:
    return canonical_json(doc)
