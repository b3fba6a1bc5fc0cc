"""The ``specguard`` command line (INTERFACE.md is the contract)."""
from __future__ import annotations

import argparse
import importlib
import os
import sys

from . import __version__
from .errors import InputError, ScanError, SpecguardError
from .terminal import printable, say

SEVERITY_RANK = {"info": 0, "low": 1, "medium": 2, "medium-high": 3, "high": 4, "critical": 5}


class _Output(argparse.Action):
    """--format F / -o FILE come in pairs, in order; either may be left out."""

    def __call__(self, parser, ns, value, option_string=None):
        outs = getattr(ns, "outputs", None) or []
        if option_string in ("--format", "-f"):
            outs.append({"format": value, "path": None})
        else:
            if outs and outs[-1]["path"] is None:
                outs[-1]["path"] = value
            else:
                outs.append({"format": None, "path": value})
        ns.outputs = outs


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2 (argparse's own default is 2 as well)
        raise InputError(f"{self.prog}: {message}")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--profile", metavar="FILE", help="profile (YAML) overriding the spec defaults")
    p.add_argument("--waivers", metavar="FILE", help="waivers (YAML)")
    p.add_argument("--format", "-f", dest="outputs", action=_Output, metavar="F",
                   help="output format: json, html, sarif, junit, markdown, pdf, table (repeatable)")
    p.add_argument("-o", "--output", dest="outputs", action=_Output, metavar="FILE",
                   help="file for the preceding --format (repeatable)")
    p.add_argument("--fail-on", default="low", metavar="SEVERITY",
                   help="lowest severity whose fail (or unknown) gives exit 1: "
                        "info, low, medium, medium-high, high, critical, none (default: low)")
    p.add_argument("--allow-unknown", action="store_true", help="unknown findings do not fail the gate")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress output")
    p.add_argument("--show-pass", action="store_true", help="table: list passing findings too")
    from .store.cli import add_run_options   # --store, --scope (the history store, issue 15)
    add_run_options(p)


def _optional(module: str):
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as e:
        if e.name and (e.name == module or module.startswith(e.name + ".")):
            return None
        raise


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="specguard", description="Check Terraform and live clouds against the architecture specification.")
    p.add_argument("--version", action="version", version=f"specguard {__version__}")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    s = sub.add_parser("scan", help="scan Terraform plan JSON files and/or .tf directories")
    s.add_argument("paths", nargs="+", metavar="PATH")
    s.add_argument("--source-dir", metavar="DIR", help=".tf sources of a scanned plan (file and line on findings)")
    s.add_argument("--var-file", action="append", default=[], metavar="FILE", help=".tf scans: a tfvars file")
    s.add_argument("--var", action="append", default=[], metavar="NAME=VALUE", help=".tf scans: a variable")
    s.add_argument("--no-source-waivers", action="store_true",
                   help="ignore `# specguard:waive` comments in .tf files (only --waivers counts)")
    s.add_argument("--checkov-results", metavar="FILE", help="Checkov -o json output to include as supplementary checks")
    s.add_argument("--checkov-mapping", metavar="FILE", help="YAML: Checkov check id -> SOC 2 criteria")
    _common(s)

    a = sub.add_parser("audit", help="audit live cloud inventory")
    asub = a.add_subparsers(dest="cloud", parser_class=_Parser)
    for cloud in ("aws", "azure"):
        ap = asub.add_parser(cloud, help=f"live {cloud.upper() if cloud == 'aws' else 'Azure'} audit")
        _common(ap)
        mod = _optional(f"scanner.sources.{cloud}.cli")
        if mod is not None:
            mod.add_arguments(ap)

    r = sub.add_parser("report", help="re-render saved JSON results")
    r.add_argument("results", metavar="RESULTS.json", nargs="?")
    r.add_argument("--format", "-f", dest="outputs", action=_Output, metavar="F")
    r.add_argument("-o", "--output", dest="outputs", action=_Output, metavar="FILE")
    r.add_argument("--show-pass", action="store_true")
    from .store.cli import add_period_options, register
    add_period_options(r)

    c = sub.add_parser("controls", help="list the controls of the active profile")
    c.add_argument("--profile", metavar="FILE")
    c.add_argument("--format", "-f", dest="outputs", action=_Output, metavar="F", help="table (default) or json")
    c.add_argument("-o", "--output", dest="outputs", action=_Output, metavar="FILE")

    e = sub.add_parser("export-checkov", help="write specguard's controls as Checkov custom checks")
    e.add_argument("directory", metavar="DIR")
    e.add_argument("--profile", metavar="FILE")
    register(sub, _Output)   # store import|verify|get, history, diff
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not args.command:
            parser.print_help(sys.stderr)
            return 2
        if args.command == "audit" and not getattr(args, "cloud", None):
            raise InputError("audit needs a cloud: specguard audit aws|azure")
        return COMMANDS[args.command](args)
    except SpecguardError as e:
        say(f"error: {e.message}")   # escaped: names and labels from the input are shown, never obeyed
        return e.exit_status
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    except BrokenPipeError:
        return 0
    except Exception as e:  # never a traceback for a user; SPECGUARD_DEBUG=1 shows it
        if os.environ.get("SPECGUARD_DEBUG"):
            raise
        say(f"internal error: {e.__class__.__name__}: {e} (set SPECGUARD_DEBUG=1 for details)")
        return 3


# ----------------------------------------------------------------------------- commands
def _precheck(args) -> None:
    """Option errors are found before any scanning, so nothing is written."""
    resolve_outputs(args.outputs, args)
    fail_on = (args.fail_on or "").lower()
    if fail_on != "none" and fail_on not in SEVERITY_RANK:
        raise InputError(f"unknown --fail-on severity {args.fail_on!r} "
                         f"(expected {', '.join(SEVERITY_RANK)} or none)")
    if getattr(args, "checkov_mapping", None) and not getattr(args, "checkov_results", None):
        raise InputError("--checkov-mapping goes with --checkov-results (it maps the imported Checkov ids)")
    seen: dict[str, str] = {}
    for path in getattr(args, "paths", None) or []:
        real = os.path.realpath(path)
        if real in seen:
            # its findings would be counted twice
            raise InputError(f"given twice (also as {seen[real]})", path)
        seen[real] = path


def _no_cyclic_gc() -> None:
    """A scan allocates millions of small objects that all live until it ends; the cyclic
    collector's repeated passes over them cost about a third of the run and free nothing
    (measured on a 10,000-resource plan: same peak memory, 1.9 s -> 1.3 s).  Reference
    counting still frees everything else.  Not for audits, which run long against SDKs."""
    import gc
    gc.disable()


def cmd_scan(args) -> int:
    from .pipeline import scan_paths
    _precheck(args)
    store = _open_store(args)   # before the scan: a bad or unreachable store is known now
    _no_cyclic_gc()
    doc = scan_paths(args)
    return finish(args, doc, store=store)


def cmd_audit(args) -> int:
    from .pipeline import audit
    mod = _optional(f"scanner.sources.{args.cloud}.cli")
    if mod is None:
        raise InputError(f"audit {args.cloud} is not available in this build")
    early = getattr(mod, "early", None)
    if early is not None:  # e.g. --print-iam-policy: answers without scanning
        rc = early(args)
        if rc is not None:
            return rc
    _precheck(args)
    store = _open_store(args)   # before the audit: a bad or unreachable store is known now
    doc = audit(args)
    return finish(args, doc, keep=True, store=store)


def _open_store(args):
    from .store.cli import open_for_run
    return open_for_run(args)


def cmd_report(args) -> int:
    from .store.cli import check_report_args, cmd_period_report
    check_report_args(args)
    if args.period:   # the audit-period report, from the history store
        return cmd_period_report(args)
    from .pipeline import load_results
    _no_cyclic_gc()
    doc = load_results(args.results)
    outputs = resolve_outputs(args.outputs, args)
    write_outputs(doc, outputs, args)
    return 0


def cmd_controls(args) -> int:
    import json
    from .profile import load_profile
    prof = load_profile(args.profile)
    rows = [{"id": cs.control.id, "title": cs.control.title, "family": cs.control.family,
             "severity": cs.severity, "soc2": cs.control.soc2, "enabled": cs.enabled,
             "requirement": cs.control.requirement, "params": cs.params} for cs in prof.controls.values()]
    outs = resolve_outputs(getattr(args, "outputs", None), args)
    texts = []
    for o in outs:
        if o["format"] == "json":
            texts.append((o, json.dumps({"profile": prof.name, "profile_sha256": prof.sha256, "controls": rows},
                                        indent=2) + "\n"))
        elif o["format"] == "table":
            lines = [f"profile {printable(prof.name)} ({prof.sha256[:12]})"]
            width = max(len(", ".join(r["soc2"])) for r in rows)
            for r in rows:
                flag = "" if r["enabled"] else "  (disabled)"
                lines.append(f"{r['id']:<7} {r['severity']:<11} {', '.join(r['soc2']):<{width}}  {r['title']}{flag}")
            texts.append((o, "\n".join(lines) + "\n"))
        else:
            raise InputError(f"controls can be listed as table or json, not {o['format']!r}")
    from .outputs import write_all
    write_all(texts)
    return 0


def cmd_export_checkov(args) -> int:
    mod = _optional("scanner.checkov_export")
    if mod is None:
        raise InputError("export-checkov is not available in this build")
    return mod.export(args.directory, args.profile)


def _store_command(name: str):
    def run(args) -> int:
        from .store import cli as store_cli
        return getattr(store_cli, name)(args)
    return run


COMMANDS = {"scan": cmd_scan, "audit": cmd_audit, "report": cmd_report, "controls": cmd_controls,
            "export-checkov": cmd_export_checkov, "store": _store_command("cmd_store"),
            "history": _store_command("cmd_history"), "diff": _store_command("cmd_diff")}


# ----------------------------------------------------------------------------- output
def resolve_outputs(outputs, args=None) -> list[dict]:
    """Pair formats with files and check every file can be written, before any scanning;
    an output that names one of the command's inputs is refused (outputs.resolve)."""
    from .outputs import input_paths, resolve
    return resolve(outputs, input_paths(args) if args is not None else ())


def write_outputs(doc: dict, outputs: list[dict], args) -> None:
    """Render everything, then write all of it or change nothing (scanner/outputs.py)."""
    from .outputs import write_all
    from .render import render
    rendered = []
    # a report's hash names the JSON results: say on it when this run does not keep them
    kept = any(o["format"] == "json" for o in outputs) or getattr(args, "command", None) == "report"
    for o in outputs:
        opts = {"results_kept": kept} if o["format"] in ("html", "pdf") else {}
        if o["format"] == "table":
            color = o["path"] is None and sys.stdout is not None and sys.stdout.isatty()
            opts = {"color": color, "show_pass": getattr(args, "show_pass", False)}
        rendered.append((o, render(doc, o["format"], **opts)))
    write_all(rendered)


def atomic_write(path: str, data) -> None:
    """Write a whole file or nothing (symlinks followed, devices written in place, mode kept)."""
    from .outputs import write_all
    write_all([({"path": path}, data)])


def finish(args, doc: dict, keep: bool = False, store=None) -> int:
    """Write the outputs and answer the gate.  ``keep``: the results cannot be had again by
    running the command again (a live audit), so if an output cannot be written they are
    saved beside it (or in the current or temporary folder) and the error line names the file.
    ``store``: the history store the run is kept in, after its outputs are written."""
    outputs = resolve_outputs(args.outputs, args)
    if store is not None:
        from .store.cli import annotate
        annotate(store, args, doc)   # what changed since the scope's previous run, in every report
    try:
        write_outputs(doc, outputs, args)
    except Exception as e:
        if not keep:
            raise
        from .outputs import keep_results
        saved = keep_results(doc, outputs)
        note = (f"; the results were kept in {saved} (render them with: specguard report {saved} -o FILE)"
                if saved else "; the results could not be kept anywhere either")
        if isinstance(e, SpecguardError):
            e.message += note
            e.args = (e.message,)
            raise
        raise ScanError(f"writing the outputs failed ({e.__class__.__name__}: {e}){note}") from e
    if store is not None:
        from .store.cli import keep as keep_run
        try:
            keep_run(store, args, doc)   # exit 3 "the run was not stored" if it fails; outputs are written
        finally:
            store.dispose()
    return gate(doc, args.fail_on, args.allow_unknown)


def gate(doc: dict, fail_on: str, allow_unknown: bool) -> int:
    fail_on = (fail_on or "low").lower()
    if fail_on == "none":
        return 0
    if fail_on not in SEVERITY_RANK:
        raise InputError(f"unknown --fail-on severity {fail_on!r}")
    threshold = SEVERITY_RANK[fail_on]
    bad = {"fail"} if allow_unknown else {"fail", "unknown"}
    for f in doc["findings"]:
        if f["status"] in bad and SEVERITY_RANK.get(f["severity"], 0) >= threshold:
            return 1
    return 0
