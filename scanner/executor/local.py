"""``--executor local``: every unit in this process, on the collectors' own thread pools (as before
executors existed): one model of the whole audit, linked and evaluated at once."""
from __future__ import annotations

import importlib

from ..engine import evaluate
from ..link import link


def audit(opts, run, profile) -> list:
    mod = importlib.import_module(f"scanner.sources.{opts.cloud}.audit")
    resources = mod.collect(opts, run, profile)
    link(resources)
    return evaluate(resources, profile)
