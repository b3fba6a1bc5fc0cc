"""Runs inside Checkov: registers specguard's controls as Checkov resource checks.

The directory written by ``specguard export-checkov`` holds a small generated
module that calls ``register(CHECKS)``; Checkov imports it when given
``--external-checks-dir``.  Each check converts Checkov's resource conf with
``scanner.checkov.conf`` and runs specguard's own mapper and rule.

Statuses: pass -> PASSED; fail -> FAILED (the details carry specguard's
message); not applicable -> UNKNOWN (Checkov reports nothing).  Checkov drops
UNKNOWN results from every report, so a specguard ``unknown`` is reported as
FAILED with a detail starting "unknown:" -- the same as specguard's own gate,
where unknown fails unless ``--allow-unknown``.  Set
``SPECGUARD_ALLOW_UNKNOWN=1`` to get Checkov's UNKNOWN instead (not reported).
"""
from __future__ import annotations

import os
from typing import Any

from .conf import evaluate_conf, settings

CATEGORIES = {"ENC": "ENCRYPTION", "TLS": "ENCRYPTION", "HA": "BACKUP_AND_RECOVERY", "BAK": "BACKUP_AND_RECOVERY",
              "NET": "NETWORKING", "TAG": "CONVENTION", "WAF": "NETWORKING", "LOG": "LOGGING",
              "IAM": "IAM"}
SEVERITIES = {"info": "INFO", "low": "LOW", "medium": "MEDIUM", "medium-high": "HIGH", "high": "HIGH",
              "critical": "CRITICAL"}
UNKNOWN_PREFIX = "unknown: "


def register(entries: list[dict[str, Any]]) -> list:
    """Instantiate (and so register with Checkov) one check per exported control."""
    from checkov.common.models.enums import CheckCategories, CheckResult
    from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

    try:
        from checkov.common.bridgecrew.severities import get_severity
    except ImportError:  # older Checkov: no severities on custom checks
        get_severity = None

    class SpecguardCheck(BaseResourceCheck):
        def __init__(self, entry: dict[str, Any]):
            self.entry = entry
            self.profile = settings(entry["control"], entry["severity"], entry["params"])
            family = entry["control"].split("-")[0]
            super().__init__(name=entry["name"], id=entry["id"],
                             categories=[getattr(CheckCategories, CATEGORIES.get(family, "GENERAL_SECURITY"))],
                             supported_resources=entry["types"], guideline=entry.get("guideline"))
            if get_severity is not None:
                self.severity = get_severity(SEVERITIES.get(entry["severity"], "MEDIUM"))

        def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
            name = self.entity_path.rsplit(":", 1)[-1] if self.entity_path else ""
            try:
                f = evaluate_conf(self.profile, conf, self.entity_type, name)
            except Exception as e:  # a conversion bug must not become a pass
                self.details = [f"{UNKNOWN_PREFIX}specguard could not evaluate this resource "
                                f"({e.__class__.__name__}: {e})"]
                return CheckResult.UNKNOWN if _allow_unknown() else CheckResult.FAILED
            if f is None:
                self.evaluated_keys = []
                return CheckResult.UNKNOWN  # not applicable: Checkov reports nothing
            self.evaluated_keys = sorted(k for k in f.evidence if k != "observed_via")
            if f.status == "pass":
                return CheckResult.PASSED
            if f.status == "fail":
                self.details = [f.message]
                return CheckResult.FAILED
            self.details = [UNKNOWN_PREFIX + f.message]
            return CheckResult.UNKNOWN if _allow_unknown() else CheckResult.FAILED

    return [SpecguardCheck(e) for e in entries]


def _allow_unknown() -> bool:
    return os.environ.get("SPECGUARD_ALLOW_UNKNOWN", "").lower() in ("1", "true", "yes")
