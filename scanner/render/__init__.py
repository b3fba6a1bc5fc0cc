"""Renderers: each turns the JSON results document into one output format.

A renderer is a module here with ``FORMAT`` (its name), ``BINARY`` (bytes or
text) and ``render(doc: dict) -> str | bytes``.  They read only the results
document, so saved results re-render exactly (``specguard report``).
"""
from __future__ import annotations

import importlib

from ..errors import InputError

# format name -> module (imported only when that format is asked for)
FORMATS = {
    "table": "table", "json": "json_out", "html": "html", "sarif": "sarif",
    "junit": "junit", "markdown": "markdown", "pdf": "pdf", "gitlab-sast": "gitlab_sast",
}
EXTENSIONS = {".json": "json", ".html": "html", ".htm": "html", ".sarif": "sarif", ".xml": "junit",
              ".md": "markdown", ".pdf": "pdf", ".txt": "table",
              ".sarif.json": "sarif", ".junit.xml": "junit"}   # the longest ending that matches wins


def format_of(path: str) -> str | None:
    """The format a file name asks for by its ending, or None."""
    name = path.lower()
    ends = [e for e in EXTENSIONS if name.endswith(e)]
    return EXTENSIONS[max(ends, key=len)] if ends else None


def renderer(fmt: str):
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r} (expected one of {', '.join(FORMATS)})", where=None)
    try:
        return importlib.import_module(f"{__name__}.{FORMATS[fmt]}")
    except ModuleNotFoundError as e:
        if e.name and e.name.startswith(__name__):
            raise InputError(f"format {fmt!r} is not available in this build")
        raise


def render(doc: dict, fmt: str, **options) -> str | bytes:
    return renderer(fmt).render(doc, **options)
