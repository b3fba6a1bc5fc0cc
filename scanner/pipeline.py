"""One run: read sources -> normalize -> link -> evaluate -> waivers -> results document."""
from __future__ import annotations

import importlib
import os

from .engine import evaluate
from .errors import InputError, ScanError, json_path
from .link import link
from .model import Resource
from .profile import Profile, load_profile
from .results import SCHEMA_VERSION, Run, build_document
from .waivers import Waiver, apply_waivers, load_waivers


def prepare(args) -> tuple[Profile, list[Waiver]]:
    profile = load_profile(getattr(args, "profile", None), getattr(args, "rules", None))
    waivers = load_waivers(args.waivers, profile.controls) if getattr(args, "waivers", None) else []
    return profile, waivers


def scan_paths(args) -> dict:
    from .sources.terraform.declared import declared_scope
    from .sources.terraform.normalize import normalize
    from .sources.terraform.plan import load_plan, parse_json, read_bytes

    profile, waivers = prepare(args)
    run = Run(command="scan")
    groups: list[list[Resource]] = []
    if (args.var or args.var_file) and not any(os.path.isdir(p) for p in args.paths):
        which = "--var" if args.var else "--var-file"
        raise InputError(f"{which} sets variables of a .tf directory; a plan already holds its variables' values")
    for path in args.paths:
        if os.path.isdir(path):
            hcl = importlib.import_module("scanner.sources.terraform.hcl")
            project = hcl.load_dir(path, var_files=args.var_file, variables=args.var, run=run,
                                   waivers=not getattr(args, "no_source_waivers", False))
            run.sources.append({"kind": "terraform-source", "path": path, **hcl.source_record(project)})
            _source_waivers(args, run, waivers, project)
        else:
            if path.endswith(".tf"):
                raise InputError("a .tf file: scan its directory instead", path)
            if path == "-":   # terraform show -json plan.out | specguard scan -  (issue 20)
                from .sources.terraform.stdin import LABEL, read_stdin
                data, digest = read_stdin()
                project = load_plan(LABEL, data)
            else:
                data = read_bytes(path)   # read once: the hash and the parse are of the same bytes
                import hashlib   # OpenSSL's (fast on a large plan); a .tf scan does not load it (scanner/digest.py)
                digest = hashlib.sha256(data).hexdigest()
                doc = parse_json(data, path)
                del data   # not held while the plan is read
                project = load_plan(path, doc)
                del doc
            src_dir = args.source_dir or _plan_source_dir(path)
            entry = {"kind": "terraform-plan", "path": path, "sha256": digest}
            if src_dir:
                hcl = importlib.import_module("scanner.sources.terraform.hcl")
                tree = hcl.locate(project, src_dir, run=run, waivers=not getattr(args, "no_source_waivers", False),
                                  explicit=bool(args.source_dir))
            if src_dir and tree is not None:
                project.source_dir = src_dir   # its .terraform.lock.hcl pins provider versions
                _source_waivers(args, run, waivers, project)
                entry["source_dir"] = src_dir if args.source_dir else os.path.dirname(path) or "."
                # the files that gave findings their lines and any in-source waivers are evidence too
                rec = hcl.source_record(tree)
                entry["source_sha256"], entry["source_files"] = rec["sha256"], rec["files"]
            run.sources.append(entry)
            for kind, message in getattr(project, "notes", []):
                run.add_coverage(kind, message, source=path)
        for key, values in declared_scope(project).items():
            for v in values:
                run.add_scope(key, v)
        group = normalize(project)
        for kind, message, details in getattr(project, "unmapped", []):
            run.add_coverage(kind, message, source=path, **details)
        for r in group:
            r.context.setdefault("input", path)
        groups.append(group)
    extra = {}
    if getattr(args, "checkov_results", None):
        ck = importlib.import_module("scanner.checkov.results")
        extra["supplementary"] = ck.load(args.checkov_results, getattr(args, "checkov_mapping", None), run)
    return finish_run(groups, profile, run, waivers, extra)


def _source_waivers(args, run: Run, waivers: list[Waiver], project) -> None:
    ignored = getattr(project, "ignored_waivers", 0)
    if ignored:
        run.add_coverage("source-waivers-ignored", f"{ignored} `# specguard:waive` comment(s) not read "
                                                   "(--no-source-waivers)")
    waivers.extend(getattr(project, "waivers", []))


def _plan_source_dir(path: str) -> str | None:
    d = os.path.dirname(os.path.abspath(path))
    try:
        if any(n.endswith(".tf") for n in os.listdir(d)):
            return d
    except OSError:
        return None
    return None


def audit(args) -> dict:
    """A live audit (``args``: an ``AuditOptions``, or the command line's namespace): its units run
    where ``--executor`` says (``scanner/executor``), the waivers are applied here, once."""
    from .audit_options import AuditOptions
    from .executor import run_audit
    args = AuditOptions.of(args)
    profile, waivers = prepare(args)
    # specguard is installed from its checkout (it is not on the package index): name lines that work
    needs = {"aws": ("boto3", "live AWS audits need boto3, which is not installed: pip install boto3 "
                              "(or, in the specguard checkout, pip install '.[aws]')"),
             "azure": ("azure.identity", "live Azure audits need the Azure SDK (azure-identity and the "
                                         "management clients), which is not installed: in the specguard "
                                         "checkout, pip install '.[azure]'")}[args.cloud]
    if not _importable(needs[0]):
        raise ScanError(needs[1])
    run = Run(command=f"audit {args.cloud}")
    findings = run_audit(args, run, profile)
    doc = finish_findings(findings, profile, run, waivers, hold=True)   # held compactly (scanner/held.py)
    doc["summary"]["units"] = units(run)
    return doc


def units(run: Run) -> dict:
    """Accounts or subscriptions planned, audited, and failed (not entered, or their task failed for good)."""
    live = [s for s in run.sources if s.get("kind") in ("aws", "azure")]
    failed = sum(1 for s in live if s.get("error"))
    return {"planned": len(live), "done": len(live) - failed, "failed": failed}


def _importable(module: str) -> bool:
    import importlib.util
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:   # the parent package (azure) is missing
        return False


def finish_run(groups: list[list[Resource]], profile: Profile, run: Run, waivers: list[Waiver],
               extra: dict | None = None) -> dict:
    """Link and evaluate each input on its own, then gather the findings.

    Two plans scanned together are two separate configurations: a reference in one must
    never resolve to a resource of the other (addresses repeat across plans).
    """
    findings = []
    for group in groups:
        link(group)
        found = evaluate(group, profile)
        secrets = set().union(*(r.secrets for r in group if r.secrets))
        if secrets:   # values the input marks sensitive: judged, never shown (a plan's sensitive_values)
            from .withheld import scrub_findings
            scrub_findings(found, secrets)
        if len(groups) > 1:
            for f in found:
                f.salt = str(f.resource.context.get("input", ""))
        findings += found
    return finish_findings(findings, profile, run, waivers, extra)


def finish_findings(findings: list, profile: Profile, run: Run, waivers: list[Waiver], extra: dict | None = None,
                    hold: bool = False) -> dict:
    """Waivers (once, over every finding), users' controls' coverage, the results document.
    ``findings``: a list, or a stream read once (a Dask audit's units, waived as they are read)."""
    if isinstance(findings, list):
        apply_waivers(findings, waivers)
    else:
        from .held import waived
        findings = waived(findings, waivers)
    if profile.rules:   # users' controls: what they could not look at (user_rules)
        from .user_rules import coverage
        for kind, message, details in coverage(profile):
            run.add_coverage(kind, message, **details)
    return build_document(findings, profile, run, waivers, extra=extra, hold=hold)


def load_results(path: str) -> dict:
    from .sources.terraform.plan import read_json
    import jsonschema
    from .results import schema

    doc = read_json(path)
    if not isinstance(doc, dict) or "schema_version" not in doc:
        raise InputError("not a specguard results document (no schema_version)", path, "$")
    ver = str(doc["schema_version"])
    if ver != SCHEMA_VERSION:
        try:
            newer = int(ver) > int(SCHEMA_VERSION)
        except ValueError:
            newer = True
        if newer:
            raise InputError(f"results have schema_version {ver}, newer than this specguard understands "
                             f"({SCHEMA_VERSION}): upgrade specguard to render them", path, "$.schema_version")
        raise InputError(f"unsupported schema_version {ver}", path, "$.schema_version")
    try:
        jsonschema.validate(doc, schema())
    except jsonschema.ValidationError as e:
        raise InputError(f"results do not match the schema: {e.message}", path, json_path(e.absolute_path))
    counts = {k: 0 for k in ("pass", "fail", "unknown", "waived")}
    for f in doc["findings"]:
        counts[f["status"]] += 1
    if any(doc["summary"].get(k) != v for k, v in counts.items()):
        # A report must not state counts its own findings contradict (an edited or damaged file).
        raise InputError(f"the summary {dict((k, doc['summary'].get(k)) for k in counts)} does not match the "
                         f"findings {counts}: the results were altered", path, "$.summary")
    return doc
