"""Kept for exported checks written before the Checkov modules became ``scanner.checkov``: they
import ``scanner.checkov_runtime``, and a team's committed checks must keep working until they
export again."""
from .checkov.runtime import register  # noqa: F401
