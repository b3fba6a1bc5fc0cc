"""``specguard export-checkov DIR``: specguard's controls as Checkov custom checks.

The directory holds one generated module (``specguard_checks.py``) whose checks
call specguard's own mappers and rules (``scanner.checkov.runtime``), so
Checkov and specguard cannot drift apart.  specguard must therefore be
importable in Checkov's environment: ``pip install --no-deps /path/to/specguard`` (a checkout)
there (Checkov pins its own boto3 and ships its own ``hcl2`` module, so the
two are not installed together otherwise).

A Checkov resource check sees one resource.  A (control, Terraform type) whose
verdict depends on other resources is not exported as a resource check; it is
listed, with the reason, in ``specguard-export.json`` and ``README.md`` of the
directory (and would be a Checkov graph check where Checkov's YAML graph
language can express it exactly; see GRAPH below).
"""
from __future__ import annotations

import fnmatch
import hashlib
import inspect
import json
import os
import sys
from typing import Any

from .. import __version__
from ..errors import InputError

MANIFEST = "specguard-export.manifest"   # JSON; not .json, or Checkov tries it as a YAML/JSON policy
MODULE = "specguard_checks.py"
ID_PREFIX = "CKV_SPECGUARD_"
WILDCARD_TYPES = ["aws_*", "azurerm_*"]

_DR_WHY = ("the copies in another region are other resources (an aws_db_instance whose replicate_source_db names it, "
           "the clusters of an aws_rds_global_cluster, aws_dynamodb_table_replica, an "
           "aws_s3_bucket_replication_configuration and its destination bucket, a PostgreSQL replica's "
           "source_server_id, an azurerm_mssql_failover_group's partner server), and 'another region' compares the "
           "store's region with theirs: an AWS resource's region is its provider's, which Checkov does not give a "
           "resource check (even a DynamoDB replica block's region_name must differ from the table's provider region)")
# (control pattern, Terraform type pattern) -> why a per-resource check cannot give specguard's verdict.
NEEDS_CONTEXT: list[tuple[str, str, str]] = [
    ("NET-0[1-4]", "*",
     "security-group tiering needs other resources: the tier of each source group (another resource's Tier tag) "
     "and the separate rule resources (aws_security_group_rule, aws_vpc_security_group_ingress_rule/"
     "egress_rule, azurerm_network_security_rule) joined into their group. Checkov's graph language can test that "
     "a connection exists, but not 'only these ports from groups of that tier' over every rule"),
    ("HA-01", "aws_rds_cluster",
     "an Aurora cluster survives an AZ loss through its aws_rds_cluster_instance members (at least 2), which are "
     "separate resources; Checkov's graph language can test that a connected resource exists, not count them"),
    ("BAK-02", "aws_db_instance",
     "cross-region backup copies are other resources: aws_db_instance_automated_backups_replication, or an "
     "aws_backup_plan rule with a copy_action to another region plus an aws_backup_selection covering the "
     "database by ARN or tag; Checkov's graph language cannot compare the copy's region with the plan's "
     "region nor match selection tag conditions"),
    ("BAK-02", "aws_rds_cluster", "as for aws_db_instance: the copy is made by other resources"),
    ("ENC-02", "aws_s3_bucket",
     "with AWS provider v4+ a bucket's default encryption is a separate "
     "aws_s3_bucket_server_side_encryption_configuration resource"),
    ("BAK-03", "aws_s3_bucket", "with AWS provider v4+ versioning is a separate aws_s3_bucket_versioning resource"),
    ("NET-05", "aws_rds_cluster",
     "an Aurora cluster is public when any of its aws_rds_cluster_instance members is: those are separate resources"),
    ("WAF-01", "aws_lb", "the web ACL is attached by a separate aws_wafv2_web_acl_association (or "
                         "aws_wafregional_web_acl_association) whose resource_arn references the load balancer"),
    ("WAF-01", "aws_alb", "as for aws_lb: the association is another resource"),
    ("WAF-01", "aws_api_gateway_stage", "the web ACL is attached by a separate aws_wafv2_web_acl_association whose "
                                        "resource_arn references the stage"),
    ("WAF-01", "azurerm_application_gateway",
     "with firewall_policy_id the mode that decides (policy_settings.mode) is on the "
     "azurerm_web_application_firewall_policy resource"),
    ("WAF-01", "azurerm_cdn_frontdoor_endpoint",
     "the endpoint is covered by a separate azurerm_cdn_frontdoor_security_policy, and the mode by its "
     "azurerm_cdn_frontdoor_firewall_policy"),
    ("IAM-01", "aws_iam_role",
     "a role's inline_policy is Optional+Computed: a plan shows it unknown when configuration leaves it out, and "
     "whether configuration writes it is in the plan's configuration section, which a Checkov resource check "
     "does not see (every role would be unknown)"),
    ("LOG-01", "*", "flow logs are separate resources (aws_flow_log, azurerm_network_watcher_flow_log) that name the "
                    "network, or on Azure each network security group of its subnets"),
    ("MSG-01", "aws_sqs_queue",
     "a queue's redrive policy may be a separate aws_sqs_queue_redrive_policy, its target is usually another queue "
     "referenced by ARN, and a queue that is itself another queue's dead-letter target is not applicable: all "
     "other resources"),
    ("MSG-01", "aws_sns_topic_subscription",
     "the redrive policy's deadLetterTargetArn usually references a queue resource; whether that reference is a "
     "queue is another resource"),
    ("SEC-02", "aws_secretsmanager_secret",
     "a secret rotates through a separate aws_secretsmanager_secret_rotation whose secret_id references it"),
    *(("DR-01", t, _DR_WHY) for t in ("aws_db_instance", "aws_rds_cluster", "aws_dynamodb_table", "aws_s3_bucket",
                                       "azurerm_postgresql_flexible_server", "azurerm_mssql_database")),
]
# (control, Terraform type) whose fields come from the resource alone although the type's mapper joins other
# resources for other controls: SEC-01 reads only the server's own sign-in settings.
SINGLE_RESOURCE: set[tuple[str, str]] = {
    ("SEC-01", "azurerm_mssql_server"), ("SEC-01", "azurerm_sql_server"),
    ("SEC-01", "azurerm_postgresql_flexible_server"),
}
# Controls with no Terraform column in CONTROLS.md: nothing to export, and why.
LIVE_ONLY = {
    "IAM-02": "live only: whether a console user has an MFA device is in the account's credential report "
              "(iam:GetCredentialReport), never in Terraform (an MFA device is enrolled by the person, not declared)",
}
LINKED_ONLY_KINDS = ("cluster_member", "sg_rule", "backup_selection", "backup_replication")

# Graph checks (Checkov YAML) for context controls, keyed by control id: only those whose meaning
# the YAML graph language expresses exactly are listed; none of the current ones can be (see the
# reasons above), so this stays empty rather than exporting an approximation that would disagree.
GRAPH: dict[str, dict[str, Any]] = {}


def plan_export(profile_path: str | None) -> dict[str, Any]:
    """What would be exported: checks, and the (control, types) left out with reasons."""
    from ..controls import load_rules
    from ..profile import load_profile
    from ..sources.terraform import normalize as tfnorm

    load_rules()
    tfnorm._load_mappers()
    prof = load_profile(profile_path)
    checks, not_exported, not_applicable = [], [], []
    for cid, cs in prof.controls.items():
        ctl = cs.control
        if not cs.enabled:
            not_exported.append({"control": cid, "types": ["*"], "reason": "disabled in the profile"})
            continue
        kinds = [k for k in ctl.kinds if k not in LINKED_ONLY_KINDS]
        if not ctl.kinds or ("generic" in ctl.kinds and "tags" in ctl.fields):
            types = list(WILDCARD_TYPES)   # every taggable resource, mapped or not
        else:
            types = sorted(t for t, (kind, _m) in tfnorm.MAPPERS.items() if kind in kinds)
        keep, left, never = [], {}, []
        for t in types:
            why = _context_reason(ctl, t)
            if why:
                left.setdefault(why, []).append(t)
            elif "*" in t or set(ctl.fields) & mapper_fields(t):
                keep.append(t)
            else:
                never.append(t)
        for why, ts in left.items():
            not_exported.append({"control": cid, "types": ts, "reason": why})
        if never:
            not_applicable.append({"control": cid, "types": never,
                                   "reason": f"specguard never sets {' or '.join(ctl.fields)} on these types, so "
                                             "the control does not apply to them"})
        if not types:
            not_exported.append({"control": cid, "types": [], "reason": LIVE_ONLY.get(
                cid, "no Terraform type maps to its resource kinds")})
        if keep:
            checks.append({"id": ID_PREFIX + cid.replace("-", "_"), "control": cid,
                           "name": f"{cid}: {ctl.title}", "types": keep, "severity": cs.severity,
                           "soc2": ctl.soc2, "params": cs.params, "requirement": ctl.requirement})
    return {"specguard_version": __version__, "profile": prof.name, "profile_sha256": prof.sha256,
            "checks": checks, "graph_checks": sorted(GRAPH), "not_exported": not_exported,
            "not_applicable": not_applicable}


def _context_reason(ctl, tf_type: str) -> str | None:
    from .conf import mapper_consults_others
    for cpat, tpat, why in NEEDS_CONTEXT:
        if fnmatch.fnmatchcase(ctl.id, cpat) and fnmatch.fnmatchcase(tf_type, tpat):
            return why
    own = set(ctl.fields) - {"tags"}   # tags are read by the normalizer, never joined from elsewhere
    if "*" not in tf_type and own and (ctl.id, tf_type) not in SINGLE_RESOURCE and mapper_consults_others(tf_type):
        return (f"specguard reads {tf_type} together with other resources that configure it (split "
                "resources such as encryption, versioning or server configurations); a Checkov resource "
                "check sees only the one resource")
    if not any(fnmatch.fnmatchcase(ctl.id, c) for c, _t, _w in NEEDS_CONTEXT) and _uses_lookup(ctl.func):
        # A rule added later that looks up other resources: safe default until someone decides.
        return "the rule looks up other resources (ctx.lookup), which a Checkov resource check cannot see"
    return None


def mapper_fields(tf_type: str) -> set[str]:
    """The model fields the mapper of ``tf_type`` can set, probed on two stand-in resources.

    A control applies to a resource only when one of its key fields is present, and a
    control's kinds are broad (TLS-03 covers every data kind, security groups included),
    so a (control, type) is worth a Checkov check only when the mapper can set a key field.
    The probes are an empty resource (every attribute unset: the defaults) and one whose
    every attribute is known only after apply (the branches that read a value); the
    union is what the mapper may produce.  A mapper that fails on a probe contributes
    nothing from it.
    """
    from .conf import ConfProject
    from ..model import Resource
    from ..sources.terraform import normalize as tfnorm
    from ..sources.terraform.tfmodel import TfResource
    from ..values import Unknown

    tfnorm._load_mappers()
    kind, mapper = tfnorm.MAPPERS[tf_type]
    fields: set[str] = set()
    for values in ({}, Unknown("probe: known only after apply")):
        project = ConfProject("probe")
        tf = TfResource(address=f"{tf_type}.probe", type=tf_type, name="probe", mode="managed", module="",
                        source="probe", values=values, project=project)
        project.resources.append(tf)
        project.main = tf
        r = Resource(kind=kind, type=tf_type, address=tf.address, provider=tf.provider, source="probe")
        try:
            mapper(tf, r)
            for extra in tfnorm.ADDERS.get(tf_type, ()):   # fields other modules add (normalize.adds)
                extra(tf, r)
        except Exception:  # noqa: BLE001 - a stand-in the mapper cannot read proves nothing either way
            continue
        fields |= set(r.fields)
    return fields


def _uses_lookup(func) -> bool:
    try:
        src = inspect.getsource(sys.modules[func.__module__])
    except (OSError, TypeError, KeyError):
        return False
    return ".lookup(" in src


def export(directory: str, profile_path: str | None = None) -> int:
    plan = plan_export(profile_path)
    _prepare_dir(directory)
    files = {
        "__init__.py": "",
        MODULE: _module_text(plan["checks"]),
        MANIFEST: json.dumps(plan, indent=2, sort_keys=True, default=str) + "\n",
        "README.md": _readme(plan),
    }
    for name, spec in GRAPH.items():
        files[f"specguard_{name.lower().replace('-', '_')}.yaml"] = _yaml(spec)
    for name, text in files.items():
        tmp = os.path.join(directory, f".{name}.tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, os.path.join(directory, name))
    n_types = sum(len(c["types"]) for c in plan["checks"])
    left = sorted({e["control"] for e in plan["not_exported"]})
    from ..terminal import say   # the directory name is the user's: shown escaped
    say(f"wrote {len(plan['checks'])} Checkov checks ({n_types} resource types) to {directory}; "
        f"not exported (in part or whole): {', '.join(left) or 'none'} - reasons in {MANIFEST} and README.md")
    return 0


def _prepare_dir(directory: str) -> None:
    if os.path.exists(directory) and not os.path.isdir(directory):
        raise InputError("exists and is not a directory", directory)
    if os.path.isdir(directory):
        ours = {"__init__.py", MODULE, MANIFEST, "README.md", "__pycache__"}
        other = [n for n in os.listdir(directory)
                 if n not in ours and not (n.startswith("specguard_") and n.endswith(".yaml"))]
        if other and not os.path.exists(os.path.join(directory, MANIFEST)):
            raise InputError(f"directory is not empty and not a specguard export (has {sorted(other)[0]}); "
                             "Checkov loads every check in it, so give an empty or new directory", directory)
        for n in os.listdir(directory):  # stale graph checks of a previous export
            if n.startswith("specguard_") and n.endswith(".yaml"):
                os.remove(os.path.join(directory, n))
    else:
        parent = os.path.dirname(os.path.abspath(directory))
        if not os.path.isdir(parent):
            raise InputError("parent directory does not exist", directory)
        os.mkdir(directory)


def _module_text(checks: list[dict[str, Any]]) -> str:
    data = json.dumps(checks, indent=1, sort_keys=True, default=str)
    digest = hashlib.sha256(data.encode()).hexdigest()[:16]
    return (
        '"""specguard controls as Checkov custom checks. Generated by `specguard export-checkov`; do not edit.\n\n'
        "Verdicts come from specguard's own rules: specguard must be installed in Checkov's environment\n"
        '(`pip install --no-deps /path/to/specguard`, a checkout of it). Run Checkov with\n'
        'EVAL_TF_PLAN_AFTER_UNKNOWN=true so values known only after apply reach the checks as unknown\n'
        'instead of looking absent.\n"""\n'
        "import json\n\n"
        "from scanner.checkov.runtime import register\n\n"
        f"EXPORT_DIGEST = {digest!r}\n"
        f"CHECKS = json.loads({data!r})\n\n"
        "register(CHECKS)\n")


def _yaml(spec: dict[str, Any]) -> str:
    import yaml
    return yaml.safe_dump(spec, sort_keys=False)


def _readme(plan: dict[str, Any]) -> str:
    lines = [
        "# specguard controls for Checkov",
        "",
        f"Exported by specguard {plan['specguard_version']} from profile `{plan['profile']}` "
        f"({plan['profile_sha256'][:12]}).",
        "",
        "    pip install --no-deps /path/to/specguard   # a specguard checkout, in Checkov's environment",
        "    EVAL_TF_PLAN_AFTER_UNKNOWN=true checkov -f plan.json --framework terraform_plan \\",
        "        --external-checks-dir THIS_DIR --check CKV_SPECGUARD_ENC_01,...",
        "",
        "Each check runs specguard's own rule on the resource Checkov gives it. A specguard `unknown` is",
        "reported as FAILED with a detail starting `unknown:` (Checkov drops UNKNOWN results from its",
        "reports); set SPECGUARD_ALLOW_UNKNOWN=1 to get Checkov's UNKNOWN (unreported) instead.",
        "",
        "## Exported",
        "",
        "| Checkov id | control | severity | Terraform types |",
        "|---|---|---|---|",
    ]
    for c in plan["checks"]:
        lines.append(f"| {c['id']} | {c['control']} | {c['severity']} | {', '.join(c['types'])} |")
    lines += ["", "## Not exported", "", "| control | Terraform types | why |", "|---|---|---|"]
    for e in plan["not_exported"]:
        lines.append(f"| {e['control']} | {', '.join(e['types']) or '-'} | {e['reason']} |")
    lines += ["", "Scan with `specguard scan` for these: it joins resources before evaluating.", ""]
    if plan.get("not_applicable"):
        lines += ["## Never applicable", "",
                  "specguard's mapper for these types never sets the control's key fields (for example TLS-03 on",
                  "a security group), so no check is exported for them.", "",
                  "| control | Terraform types |", "|---|---|"]
        lines += [f"| {e['control']} | {', '.join(e['types'])} |" for e in plan["not_applicable"]]
        lines.append("")
    return "\n".join(lines)
