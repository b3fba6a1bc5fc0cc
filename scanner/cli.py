"""The ``specguard`` command line (INTERFACE.md is the contract)."""
from __future__ import annotations

import argparse
import importlib
import os
import stat
import sys

from . import __version__
from .errors import InputError, SpecguardError
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
    r.add_argument("results", metavar="RESULTS.json")
    r.add_argument("--format", "-f", dest="outputs", action=_Output, metavar="F")
    r.add_argument("-o", "--output", dest="outputs", action=_Output, metavar="FILE")
    r.add_argument("--show-pass", action="store_true")

    c = sub.add_parser("controls", help="list the controls of the active profile")
    c.add_argument("--profile", metavar="FILE")
    c.add_argument("--format", "-f", dest="outputs", action=_Output, metavar="F", help="table (default) or json")
    c.add_argument("-o", "--output", dest="outputs", action=_Output, metavar="FILE")

    e = sub.add_parser("export-checkov", help="write specguard's controls as Checkov custom checks")
    e.add_argument("directory", metavar="DIR")
    e.add_argument("--profile", metavar="FILE")
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
    resolve_outputs(args.outputs)
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
    _no_cyclic_gc()
    doc = scan_paths(args)
    return finish(args, doc)


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
    doc = audit(args)
    return finish(args, doc)


def cmd_report(args) -> int:
    from .pipeline import load_results
    _no_cyclic_gc()
    doc = load_results(args.results)
    outputs = resolve_outputs(args.outputs)
    write_outputs(doc, outputs, args)
    return 0


def cmd_controls(args) -> int:
    import json
    from .profile import load_profile
    prof = load_profile(args.profile)
    rows = [{"id": cs.control.id, "title": cs.control.title, "family": cs.control.family,
             "severity": cs.severity, "soc2": cs.control.soc2, "enabled": cs.enabled,
             "requirement": cs.control.requirement, "params": cs.params} for cs in prof.controls.values()]
    outs = resolve_outputs(getattr(args, "outputs", None))
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
    for o, text in texts:
        _emit(o, text)
    return 0


def cmd_export_checkov(args) -> int:
    mod = _optional("scanner.checkov_export")
    if mod is None:
        raise InputError("export-checkov is not available in this build")
    return mod.export(args.directory, args.profile)


COMMANDS = {"scan": cmd_scan, "audit": cmd_audit, "report": cmd_report, "controls": cmd_controls,
            "export-checkov": cmd_export_checkov}


# ----------------------------------------------------------------------------- output
def resolve_outputs(outputs) -> list[dict]:
    """Pair formats with files and check every file can be written, before any scanning."""
    from .render import FORMATS, format_of
    outs = [dict(o) for o in (outputs or [])] or [{"format": "table", "path": None}]
    seen: dict[str, str] = {}
    for o in outs:
        if o["format"] is None:
            o["format"] = format_of(o["path"])
            if o["format"] is None:
                raise InputError(f"cannot tell the format of {o['path']!r} from its name: give --format before -o")
        if o["format"] not in FORMATS:
            raise InputError(f"unknown format {o['format']!r} (expected one of {', '.join(FORMATS)})")
        if o["format"] == "pdf" and not o["path"]:
            raise InputError("--format pdf needs -o FILE")
        if _descriptor(o["path"]) == 1:
            o["path"] = "-"   # standard output by another name: written to the stream, never reopened
        if o["path"] not in (None, "-") and _descriptor(o["path"]) is None:
            _check_writable(o["path"])
            real = os.path.realpath(o["path"])
            if real in seen and not _is_special(real):
                raise InputError(f"both {seen[real]} and {o['format']} would be written to this file", o["path"])
            seen[real] = o["format"]
    if sum(1 for o in outs if o["path"] in (None, "-")) > 1:
        raise InputError("only one format can go to standard output: give -o FILE for the others")
    return outs


def _descriptor(path: str | None) -> int | None:
    """The open descriptor a path names (/dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N), or None.

    Such a path is written to the descriptor itself.  Opening it again would truncate a file the
    shell opened for appending (`-o /dev/stdout >> "$GITHUB_STEP_SUMMARY"`), and its real path
    may be a pipe that cannot be renamed over."""
    if not path:
        return None
    named = {"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}
    if path in named:
        return named[path]
    for prefix in ("/dev/fd/", "/proc/self/fd/"):
        if path.startswith(prefix) and path[len(prefix):].isdigit():
            return int(path[len(prefix):])
    return None


def _is_special(path: str) -> bool:
    """A device, FIFO or socket: written in place (never replaced by a regular file)."""
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def _check_writable(path: str) -> None:
    if os.path.isdir(path):
        raise InputError("is a directory, not an output file", path)
    real = os.path.realpath(path)   # a symlink is written through, so check its target's folder
    directory = os.path.dirname(real) or "."
    if not os.path.isdir(directory):
        raise InputError("output directory does not exist", path)
    if os.path.exists(real) and _is_special(real):
        if not os.access(real, os.W_OK):
            raise InputError("cannot write to this file", path)
    elif not os.access(directory, os.W_OK | os.X_OK):
        raise InputError("output directory is not writable", path)


def write_outputs(doc: dict, outputs: list[dict], args) -> None:
    """Render everything, stage every file, then put them all in place.

    A rendering or writing failure leaves no output half-written: nothing is renamed into
    place until every file has been written in full beside its target.
    """
    from .render import render
    rendered = []
    for o in outputs:
        opts = {}
        if o["format"] == "table":
            opts = {"color": o["path"] is None and sys.stdout.isatty(), "show_pass": getattr(args, "show_pass", False)}
        rendered.append((o, render(doc, o["format"], **opts)))
    staged: list[_Staged] = []
    try:
        for o, data in rendered:
            if o["path"] not in (None, "-"):
                staged.append(_Staged(o["path"], data))
    except BaseException:
        for st in staged:
            st.discard()
        raise
    for st in staged:
        st.commit()
    for o, data in rendered:
        if o["path"] in (None, "-"):
            _stdout(data)


def _stdout(data) -> None:
    if isinstance(data, bytes):
        sys.stdout.buffer.write(data)
    else:
        sys.stdout.write(data)
    sys.stdout.flush()


def _emit(o: dict, data) -> None:
    if o["path"] in (None, "-"):
        _stdout(data)
    else:
        atomic_write(o["path"], data)


class _Staged:
    """One output written in full to a temporary file beside its target (see atomic_write)."""

    def __init__(self, path: str, data):
        self.path = path
        self.blob = data if isinstance(data, bytes) else data.encode("utf-8")
        self.real = os.path.realpath(path)
        self.tmp = None
        self.fd = _descriptor(path)
        if self.fd is not None:
            return   # written to the open descriptor at commit
        if os.path.exists(self.real) and _is_special(self.real):
            return   # a device or FIFO (/dev/null, a pipe) is written in place at commit
        try:
            mode = stat.S_IMODE(os.stat(self.real).st_mode)   # an existing file keeps its mode
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask                              # a new one gets the umask's, as `>` would
        import tempfile
        fd, self.tmp = tempfile.mkstemp(dir=os.path.dirname(self.real) or ".", prefix=".specguard-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(self.blob)
            os.chmod(self.tmp, mode)
        except OSError as e:
            self.discard()
            raise InputError(f"cannot write output: {e.strerror or e}", path)

    def commit(self) -> None:
        try:
            if self.fd is not None:
                view = memoryview(self.blob)
                while view:
                    view = view[os.write(self.fd, view):]
            elif self.tmp is None:
                with open(self.real, "wb") as fh:
                    fh.write(self.blob)
            else:
                os.replace(self.tmp, self.real)   # the rename replaces the entry: symlinks were resolved
        except OSError as e:
            self.discard()
            raise InputError(f"cannot write output: {e.strerror or e}", self.path)

    def discard(self) -> None:
        if self.tmp and os.path.exists(self.tmp):
            os.unlink(self.tmp)


def atomic_write(path: str, data) -> None:
    """Write a whole file or nothing (symlinks followed, devices written in place, mode kept)."""
    st = _Staged(path, data)
    st.commit()


def finish(args, doc: dict) -> int:
    outputs = resolve_outputs(args.outputs)
    write_outputs(doc, outputs, args)
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
