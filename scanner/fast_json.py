"""msgspec's JSON module, when specguard may use it: the ``fast`` extra is installed and
``SPECGUARD_JSON=stdlib`` does not turn it off.  One answer for both of its uses: parsing large
inputs (``sources.terraform.plan._fast_parse``) and encoding large plain results documents
(``canonical._fast_encoder``); each gives the stdlib's answers, only faster."""
from __future__ import annotations

import os
from typing import Any


def msgspec_json() -> Any:
    """``msgspec.json``, or None (not installed, or turned off).  Read on each call: the environment
    may change between runs of one process (tests, library callers); importing is cached by Python."""
    if os.environ.get("SPECGUARD_JSON", "").lower() == "stdlib":
        return None
    try:
        import msgspec.json
    except ImportError:
        return None
    return msgspec.json
