"""The JSON results document, in its canonical form.

Canonical = keys sorted, no insignificant whitespace, UTF-8: the bytes of the file are
exactly what the HTML report's "results SHA-256" is taken over, so `sha256sum results.json`
ties a report to its evidence.  (Also the fast path: the C encoder, not the indenting one.)
"""
from ..canonical import canonical_json   # not via render.html: a JSON-only run does not import the HTML renderer

FORMAT = "json"
BINARY = True


def render(doc: dict, **_options):
    """The bytes; for a document whose findings are held (a live audit: scanner/held.py), the same
    bytes as parts the writer writes one after another, so the whole is never in memory at once."""
    if not isinstance(doc.get("findings"), list):   # a .tf scan's list: no pickle/zlib imports (~9 M instructions)
        from ..held import CanonicalParts, is_held
        if is_held(doc):
            return CanonicalParts(doc)
    return canonical_json(doc)
