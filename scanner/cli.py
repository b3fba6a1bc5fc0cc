"""The ``specguard`` command line (INTERFACE.md is the contract): ``main``, and what each command does.

The command tree (options, help, usage errors) is declared with click in ``scanner/commands.py``,
loaded here only when a command runs: ``specguard --version`` answers without it.  Each command
calls one ``cmd_*`` function below with a namespace of its options (``args.fail_on``, ``args.outputs``).
"""
from __future__ import annotations

import importlib
import os
import sys

from . import __version__
from .errors import InputError, ScanError, SpecguardError
from .terminal import printable, say

SEVERITY_RANK = {"info": 0, "low": 1, "medium": 2, "medium-high": 3, "high": 4, "critical": 5}


def _optional(module: str):
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as e:
        if e.name and (e.name == module or module.startswith(e.name + ".")):
            return None
        raise


def _run(fn, args) -> int:
    """Run a command: its errors are one line on stderr with the contract's exit status."""
    try:
        return fn(args)
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


def parse_args(argv: list[str]):
    """The namespace a command line gives its command, without running it (tests, tools)."""
    from .commands import PARSE_ONLY, cli
    return cli.main(args=list(argv), prog_name="specguard", standalone_mode=False, obj=PARSE_ONLY)


def build_parser():
    """What argparse's parser gave callers (tests, bench): ``build_parser().parse_args(argv)``."""
    from types import SimpleNamespace
    return SimpleNamespace(parse_args=parse_args)


def main(argv: list[str] | None = None) -> int:
    """The command line; ``argv`` None: this process's own (the ``specguard`` program), which ends
    when this returns."""
    own_process = argv is None
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv == ["--version"]:   # answered before click builds the command tree: a version check stays instant
        print(f"specguard {__version__}")
        return 0
    import gc
    # the command tree's import makes thousands of objects that all live on: collecting during
    # it frees nothing (each command decides for its own run: cmd_scan turns collection off)
    gc.disable()
    import click

    from .cli_parse import usage_line
    from .commands import cli
    gc.enable()
    try:
        rv = cli.main(args=argv, prog_name="specguard", standalone_mode=False)
        if own_process and _FREEZE_AT_EXIT:
            _freeze_garbage()
    except click.UsageError as e:
        print(printable(usage_line(e)), file=sys.stderr, flush=True)
        return 2
    except click.Abort:   # ^C while click was parsing
        say("interrupted")
        return 130
    except click.ClickException as e:
        say(f"error: {e.format_message()}")
        return 2
    return rv if isinstance(rv, int) else 0


# ----------------------------------------------------------------------------- commands
def _precheck(args) -> None:
    """Option errors are found before any scanning, so nothing is written."""
    resolve_outputs(args.outputs, args)
    fail_on = (args.fail_on or "").lower()
    if fail_on != "none" and fail_on not in SEVERITY_RANK:
        raise InputError(f"unknown --fail-on severity {args.fail_on!r} "
                         f"(expected {', '.join(SEVERITY_RANK)} or none)")
    if getattr(args, "baseline", None):   # read and checked before the scan: a bad one writes nothing
        from .baseline import check_before, load
        args.baseline_doc = load(args.baseline)
        check_before(args.baseline_doc, args)   # another profile's baseline: refused before an audit runs
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
    global _FREEZE_AT_EXIT
    gc.disable()
    _FREEZE_AT_EXIT = True


# set by a scan: the interpreter's exit need not collect what the scan left (see _freeze_garbage)
_FREEZE_AT_EXIT = False


def _freeze_garbage() -> None:
    """The scan's cyclic garbage (the model's resources refer to each other) was left uncollected;
    at exit the interpreter would still make one full collection over all of it, which took 0.35 s of
    the 10,000-resource plan's 1.55 s, to give the memory back to an OS that takes it back anyway.
    Frozen, the exit's collection passes it by.  Only when the process ends next (``main()`` of the
    program): everything was written, flushed and closed by then, and atexit handlers still run.  A
    library caller's garbage is collected as usual."""
    import gc
    gc.freeze()


def cmd_scan(args) -> int:
    _no_cyclic_gc()   # first: the pipeline's imports are long-lived objects too
    from .pipeline import scan_paths
    _precheck(args)
    store = _open_store(args)   # before the scan: a bad or unreachable store is known now
    doc = scan_paths(args)
    _apply_baseline(args, doc)
    return finish(args, doc, store=store)


def _apply_baseline(args, doc: dict) -> None:
    """--baseline (issue 20): accepted findings are marked before any output, the store or the gate sees them."""
    if getattr(args, "baseline_doc", None) is not None:
        from .baseline import apply
        from .canonical import forget_plain
        from .held import materialise
        forget_plain(doc)   # its marks come from the baseline file: the stdlib encoder writes them
        apply(materialise(doc), args.baseline_doc)   # it marks findings: a list of them (scanner/held.py)


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
    from .audit_options import AuditOptions
    doc = audit(AuditOptions.of(args))   # typed options from here on (the pipeline, collectors, executors)
    _apply_baseline(args, doc)
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
    from .rules_cli import origin_text
    prof = load_profile(args.profile, list(getattr(args, "rules", None) or []))
    rows = [{"id": cs.control.id, "title": cs.control.title, "family": cs.control.family,
             "severity": cs.severity, "soc2": cs.control.soc2, "enabled": cs.enabled,
             "requirement": cs.control.requirement, "params": cs.params,
             **({"origin": cs.control.origin} if getattr(cs.control, "origin", None) else {})}   # a user's control
            for cs in prof.controls.values()]
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
                where = f"  [{origin_text(r['origin'])}]" if r.get("origin") else ""
                lines.append(printable(f"{r['id']:<7} {r['severity']:<11} {', '.join(r['soc2']):<{width}}  "
                                       f"{r['title']}{flag}{where}"))
            texts.append((o, "\n".join(lines) + "\n"))
        else:
            raise InputError(f"controls can be listed as table or json, not {o['format']!r}")
    from .outputs import write_all
    write_all(texts)
    return 0


def cmd_export_checkov(args) -> int:
    mod = _optional("scanner.checkov.export")
    if mod is None:
        raise InputError("export-checkov is not available in this build")
    return mod.export(args.directory, args.profile)


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
            opts = {"show_pass": getattr(args, "show_pass", False), **table_layout(o)}
        rendered.append((o, render(doc, o["format"], **opts)))
    write_all(rendered)
    return rendered


def table_layout(o: dict) -> dict:
    """A table on a terminal takes the terminal's width (COLUMNS first, as shutil reads it), in
    colour; on a pipe or in a file it is plain aligned lines, or a table COLUMNS wide if COLUMNS is set."""
    if o["path"] in (None, "-") and sys.stdout is not None and sys.stdout.isatty():
        import shutil
        return {"color": True, "width": shutil.get_terminal_size().columns}
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return {"color": False, "width": int(columns)}
    return {"color": False, "plain": True}


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
    if not isinstance(doc.get("findings"), list) and (store is not None or any(o["format"] != "json" for o in outputs)):
        from .held import materialise   # held findings stream into JSON only (scanner/held.py)
        materialise(doc)
    if store is not None:
        from .store.cli import annotate
        annotate(store, args, doc, outputs)   # what changed since the scope's previous run, in every report
    try:
        rendered = write_outputs(doc, outputs, args)
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
            keep_run(store, args, doc, rendered)   # exit 3 "not stored" if it fails; outputs are written
        finally:
            store.dispose()
    rc = gate(doc, args.fail_on, args.allow_unknown)
    if not getattr(args, "quiet", False) and all(o["path"] not in (None, "-") for o in outputs):
        say(summary_line(doc, args.fail_on, args.allow_unknown, rc, [o["path"] for o in outputs]), own=True)
    return rc


def summary_line(doc: dict, fail_on: str, allow_unknown: bool, rc: int, files: list[str]) -> str:
    """What a run that wrote only files says on stderr (a CI log): the gate's answer, the counts
    at or above the threshold, all counts, the files written."""
    s = doc["summary"]
    counts = f"{s['pass']} pass, {s['fail']} fail, {s['unknown']} unknown, {s['waived']} waived"
    fail_on = (fail_on or "low").lower()
    if fail_on == "none":
        verdict = f"gate off (--fail-on none); {counts}"
    else:
        threshold = SEVERITY_RANK[fail_on]
        n_fail = n_unknown = 0   # one pass, no list: a live audit's findings are held (scanner/held.py)
        for f in doc["findings"]:   # what --baseline accepted does not count (issue 20)
            if SEVERITY_RANK.get(f["severity"], 0) >= threshold and not f.get("baseline"):
                n_fail += f["status"] == "fail"
                n_unknown += f["status"] == "unknown"
        above = f"{n_fail} fail" + ("" if allow_unknown else f" and {n_unknown} unknown")
        verdict = (f"gate {'failed' if rc else 'passed'}: {above} at or above {fail_on}"
                   f"{' (unknown allowed)' if allow_unknown else ''}"
                   f"{' not in the baseline' if isinstance(doc.get('baseline'), dict) else ''}; all findings: {counts}")
    return f"{verdict}; wrote {', '.join(files)}"


def gate(doc: dict, fail_on: str, allow_unknown: bool) -> int:
    fail_on = (fail_on or "low").lower()
    if fail_on == "none":
        return 0
    if fail_on not in SEVERITY_RANK:
        raise InputError(f"unknown --fail-on severity {fail_on!r}")
    threshold = SEVERITY_RANK[fail_on]
    bad = {"fail"} if allow_unknown else {"fail", "unknown"}
    for f in doc["findings"]:
        if f.get("baseline"):   # accepted by --baseline: reported, not counted (issue 20)
            continue
        if f["status"] in bad and SEVERITY_RANK.get(f["severity"], 0) >= threshold:
            return 1
    return 0
