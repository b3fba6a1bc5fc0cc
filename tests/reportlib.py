"""Results documents for renderer tests and the report bench.

    doc = synthetic(10_000)                 # a schema-valid document of 10,000 findings
    doc = synthetic(50, xss=True)           # names, tags, messages and waivers carry XSS payloads
    doc = scan_doc(tmp_path, plan)          # the real pipeline: plan -> `specguard scan` -> JSON

Synthetic documents mix every source (plan, .tf, live AWS, live Azure), every
status, waivers (applied, expired, unused) and coverage entries, so a renderer
sees what real runs produce, at any size.
"""
from __future__ import annotations

import json
import random

XSS = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>')

# The catalogue as CONTROLS.md defines it: id, family, severity, SOC 2 criteria, title.
CONTROLS = [
    ("ENC-01", "ENC", "high", ["CC6.1", "CC6.7"], "Relational databases are encrypted with a customer-managed key"),
    ("ENC-02", "ENC", "high", ["CC6.1"], "Object storage has default encryption"),
    ("ENC-03", "ENC", "high", ["CC6.1"], "Block and file storage are encrypted"),
    ("ENC-04", "ENC", "high", ["CC6.1"], "Other data stores use KMS"),
    ("ENC-05", "ENC", "high", ["CC6.1", "CC6.7"], "KMS keys rotate; key vaults are purge-protected"),
    ("TLS-01", "TLS", "medium-high", ["CC6.7", "CC6.6"], "Load-balancer listeners use a TLS 1.3 policy"),
    ("TLS-02", "TLS", "medium-high", ["CC6.7", "CC6.6"], "Edge and API endpoints refuse old TLS"),
    ("TLS-03", "TLS", "medium-high", ["CC6.7", "CC6.6"], "Data services accept only encrypted connections"),
    ("HA-01", "HA", "medium-high", ["A1.2"], "Relational databases survive the loss of an AZ"),
    ("HA-02", "HA", "medium-high", ["A1.2"], "Caches fail over automatically across AZs"),
    ("NET-01", "NET", "high", ["CC6.6", "CC6.1"], "Web tier ingress only 443 and 80"),
    ("NET-02", "NET", "high", ["CC6.6", "CC6.1"], "App tier ingress only from web and monitoring"),
    ("NET-03", "NET", "high", ["CC6.6", "CC6.1"], "DB tier ingress only 5432 from app"),
    ("NET-04", "NET", "high", ["CC6.6", "CC6.1"], "Untiered groups allow no internet ingress"),
    ("TAG-01", "TAG", "low", ["CC6.1", "CC3.2"], "Taggable resources carry the required tags"),
    ("BAK-01", "BAK", "high", ["A1.2", "A1.3", "CC7.5"], "Databases keep automated backups 35 days"),
    ("BAK-02", "BAK", "high", ["A1.2", "A1.3", "CC7.5"], "Database backups are copied to another region"),
    ("BAK-03", "BAK", "high", ["A1.2", "A1.3", "CC7.5"], "Other stores keep 35 days of recovery"),
]
SHA = "0123456789abcdef" * 4


def _resource(i: int, rng: random.Random, payload: str | None) -> dict:
    kind = i % 4
    name = payload if payload is not None else f"res{i}"
    if kind == 0:
        addr = f'module.app.aws_db_instance.db["{name}"]' if payload else f"module.app.aws_db_instance.db[{i}]"
        return {"address": addr, "type": "aws_db_instance", "provider": "aws", "source": "terraform-plan",
                "name": name}
    if kind == 1:
        return {"address": f"aws_s3_bucket.b{i}", "type": "aws_s3_bucket", "provider": "aws",
                "source": "terraform-source", "name": name, "file": f"storage{i % 7}.tf",
                "line": 1 + i % 400}
    if kind == 2:
        region = rng.choice(["us-east-1", "us-west-2"])
        return {"address": f"arn:aws:rds:{region}:111122223333:db:{name if payload is None else 'x' + str(i)}",
                "type": "aws_db_instance", "provider": "aws", "source": "aws", "name": name,
                "account": "111122223333", "region": region}
    sub = "00000000-0000-0000-0000-000000000001"
    return {"address": f"/subscriptions/{sub}/resourceGroups/rg-prod/providers/Microsoft.Storage/"
                       f"storageAccounts/st{i}",
            "type": "azurerm_storage_account", "provider": "azure", "source": "azure", "name": name,
            "subscription": sub, "resource_group": "rg-prod", "location": "eastus"}


def synthetic(n: int, seed: int = 7, xss: bool = False, finished: str = "2025-03-01T10:00:05Z") -> dict:
    """A schema-valid results document with ``n`` findings."""
    rng = random.Random(seed)
    waivers = [
        {"control_id": "ENC-01", "resource": "module.app.aws_db_instance.db[*]", "reason": "legacy database, "
         "migration ticket OPS-1", "approver": "ciso@example.com", "expires": "2099-12-31",
         "origin": "waivers.yaml:1", "status": "applied", "matched": []},
        {"control_id": "TLS-01", "resource": "aws_lb_listener.old", "reason": "vendor appliance",
         "approver": "cto@example.com", "expires": "2024-01-31", "origin": "waivers.yaml:6",
         "status": "expired", "matched": []},
        {"control_id": "NET-04", "resource": "aws_security_group.gone", "reason": "decommissioned",
         "approver": "ciso@example.com", "expires": "2099-12-31", "origin": "waivers.yaml:11",
         "status": "unused", "matched": []},
    ]
    if xss:
        waivers.append({"control_id": "TAG-01", "resource": XSS[1], "reason": XSS[0], "approver": XSS[1],
                        "expires": "2099-12-31", "origin": "waivers.yaml:16", "status": "unused", "matched": []})
    counts = {c[0]: {"pass": 0, "fail": 0, "unknown": 0, "waived": 0} for c in CONTROLS}
    findings = []
    for i in range(n):
        cid, fam, sev, _soc2, _title = CONTROLS[i % len(CONTROLS)]
        payload = XSS[i % 2] if xss else None
        res = _resource(i // len(CONTROLS), rng, payload)
        r = rng.random()
        status = "pass" if r < 0.70 else "fail" if r < 0.85 else "unknown" if r < 0.95 else "fail"
        if status == "fail" and cid == "ENC-01" and res["address"].startswith("module.app.aws_db_instance.db["):
            status = "waived"
        evidence = {"storage_encrypted": status != "fail", "kms_key_id": "alias/aws/rds" if status == "fail"
                    else {"unknown": "known only after apply"} if status == "unknown" else "arn:aws:kms:k"}
        if xss:
            evidence["tags"] = {"Name": XSS[0], "Owner": XSS[1]}
        message = {"pass": "storage is encrypted with a customer-managed key",
                   "fail": "storage is encrypted with a provider-managed key (alias/aws/rds)",
                   "unknown": "who manages the encryption key is not known: known only after apply",
                   "waived": "storage is encrypted with a provider-managed key (alias/aws/rds)"}[status]
        if xss:
            message += f" {payload}"
        f = {"control_id": cid, "status": status, "severity": sev, "resource": res, "message": message,
             "evidence": evidence, "fingerprint": f"{i:032x}"}
        if status == "waived":
            waivers[0]["matched"].append(res["address"])
            f["waiver"] = waivers[0]
        counts[cid][status] += 1
        findings.append(f)
    controls = []
    for cid, fam, sev, soc2, title in CONTROLS:
        c = counts[cid]
        st = ("fail" if c["fail"] else "unknown" if c["unknown"] else "waived" if c["waived"]
              else "pass" if c["pass"] else "not_applicable")
        controls.append({"id": cid, "title": title, "family": fam, "severity": sev, "soc2": soc2,
                         "requirement": title + ".", "params": {}, "status": st, "counts": c})
    summary = {k: sum(c[k] for c in counts.values()) for k in ("pass", "fail", "unknown", "waived")}
    coverage = [
        {"kind": "api_error", "message": "rds:DescribeDBInstances denied in eu-west-1 (AccessDenied)",
         "api": "rds:DescribeDBInstances", "region": "eu-west-1"},
        {"kind": "module_not_followed", "message": "module.remote comes from the registry and was not followed",
         "module": "module.remote"},
    ]
    if xss:
        coverage.append({"kind": "api_error", "message": f"bucket {XSS[0]} could not be read {XSS[1]}"})
    return {
        "schema_version": "1",
        "tool": {"name": "specguard", "version": "0.1.0"},
        "run": {"id": "7d4c0a52-6a41-4d43-9b1e-3f1f5f0f0f0f", "started_at": "2025-03-01T10:00:00Z",
                "finished_at": finished, "profile": "spec", "profile_sha256": SHA,
                "organisation": XSS[0] if xss else "Example Corp", "system": XSS[1] if xss else "Payments platform",
                "command": "scan"},
        "sources": [{"kind": "terraform-plan", "path": "plan.json", "sha256": SHA},
                    {"kind": "terraform-source", "path": "infra", "sha256": SHA},
                    {"kind": "aws", "sha256": SHA}, {"kind": "azure"}],
        "scope": {"accounts": ["111122223333"], "regions": ["us-east-1", "us-west-2"],
                  "subscriptions": ["00000000-0000-0000-0000-000000000001"]},
        "summary": dict(summary, total=n),
        "controls": controls,
        "findings": findings,
        "coverage": coverage,
        "waivers": waivers,
    }


def scan_doc(tmp_path, plan, *args, name: str = "plan.json") -> dict:
    """Run the real `specguard scan` on a planlib.Plan; returns the JSON document, schema-checked."""
    from scanner.cli import main
    from scanner.results import validate

    plan_path = plan.write(tmp_path / name)
    out = tmp_path / (name + ".results.json")
    rc = main(["scan", plan_path, *map(str, args), "--format", "json", "-o", str(out)])
    assert rc in (0, 1), rc
    doc = json.loads(out.read_text(encoding="utf-8"))
    validate(doc)
    return doc


def xss_plan():
    """A plan whose resource keys and tags carry the XSS payloads (a for_each key and tag values)."""
    from planlib import Plan

    p = Plan()
    for i, payload in enumerate(XSS):
        p.add("aws_db_instance", "db", {"storage_encrypted": False, "kms_key_id": "alias/aws/rds",
                                        "tags": {"Name": payload, "Owner": XSS[1 - i]},
                                        "tags_all": {"Name": payload, "Owner": XSS[1 - i]}}, index=payload)
    p.add("aws_db_instance", "unseen", {"storage_encrypted": True}, unknown={"kms_key_id": True},
          refs={"kms_key_id": ["data.aws_ssm_parameter.key.value"]})
    p.add("aws_kms_key", "k", {"enable_key_rotation": True})
    p.add("aws_db_instance", "good", {"storage_encrypted": True}, unknown={"kms_key_id": True},
          refs={"kms_key_id": ["aws_kms_key.k.arn", "aws_kms_key.k"]})
    return p
