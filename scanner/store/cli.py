"""The history store's command line: ``--store``/``--scope`` on scanning commands, ``store
import|verify|get``, ``history``, ``diff`` and ``report --period``.  A thin layer: one function
per command, each calling the store package.  Importing this module imports no database code
(``specguard --version`` stays fast); SQLAlchemy loads when a store is opened.
"""
from __future__ import annotations

import os

from ..errors import InputError, ScanError, SpecguardError
from ..terminal import say

STORE_HELP = "history store: a path or sqlite:///path (SQLite) or postgresql://user@host:port/db (default: $SPECGUARD_STORE)"


# ----------------------------------------------------------------------------- parsers
def add_run_options(p) -> None:
    """--store and --scope on scan, audit aws and audit azure."""
    p.add_argument("--store", metavar="URL", help="keep this run in the " + STORE_HELP)
    p.add_argument("--scope", metavar="NAME", help="the scope this run belongs to in the store (default: the "
                                                   "accounts and regions, subscriptions or input paths)")


def add_period_options(r) -> None:
    """``report --store URL --period START..END``: the audit-period report."""
    r.add_argument("--store", metavar="URL", help="with --period: the " + STORE_HELP)
    r.add_argument("--period", metavar="START..END", help="audit-period report over the store's runs, e.g. "
                                                          "2026-01-01..2026-06-30")
    r.add_argument("--scope", metavar="NAME", help="with --period: the scope (needed when the store holds several)")
    r.add_argument("--expect", metavar="SCHEDULE", help="with --period: daily (default), weekly or hours:N")


def register(sub, output_action) -> None:
    """The store's commands, on the CLI's subparsers."""
    s = sub.add_parser("store", help="the history store: import saved results, verify, give a run back")
    ssub = s.add_subparsers(dest="store_command", parser_class=type(s))
    i = ssub.add_parser("import", help="ingest saved JSON results (ordered by their start)")
    i.add_argument("results", nargs="+", metavar="RESULTS.json")
    i.add_argument("--store", metavar="URL", help=STORE_HELP)
    i.add_argument("--scope", metavar="NAME", help="the scope to file them under (default: each run's own)")
    v = ssub.add_parser("verify", help="recompute every hash and check each scope's chain")
    v.add_argument("--store", metavar="URL", help=STORE_HELP)
    v.add_argument("--scope", metavar="NAME", help="only this scope")
    g = ssub.add_parser("get", help="give a stored run's JSON results back byte for byte")
    g.add_argument("run", metavar="RUN")
    g.add_argument("--store", metavar="URL", help=STORE_HELP)
    g.add_argument("-o", "--output", metavar="FILE", help="file to write (default: standard output)")

    h = sub.add_parser("history", help="runs of a scope with their counts and a per-control trend")
    h.add_argument("--store", metavar="URL", help=STORE_HELP)
    h.add_argument("--scope", metavar="NAME")
    h.add_argument("--last", type=int, metavar="N", help="only the last N runs")
    h.add_argument("--format", "-f", dest="outputs", action=output_action, metavar="F", help="table (default) or json")
    h.add_argument("-o", "--output", dest="outputs", action=output_action, metavar="FILE")

    d = sub.add_parser("diff", help="what changed between two runs (run ids or results files)")
    d.add_argument("runs", nargs="*", metavar="RUN", help="A [B]: run ids or results files (default: the latest run "
                                                          "of the scope against its previous run)")
    d.add_argument("--store", metavar="URL", help=STORE_HELP)
    d.add_argument("--scope", metavar="NAME")
    d.add_argument("--format", "-f", dest="outputs", action=output_action, metavar="F",
                   help="table (default), json, markdown or html")
    d.add_argument("-o", "--output", dest="outputs", action=output_action, metavar="FILE")


# ----------------------------------------------------------------------------- opening
def _url_text(args, needed: bool = True) -> str | None:
    from . import store_url_text
    text = store_url_text(getattr(args, "store", None))
    if text is None and needed:
        raise InputError("no history store: give --store URL (or set SPECGUARD_STORE)")
    return text


def open_from(args, needed: bool = True, create: bool = False):
    from . import open_store
    text = _url_text(args, needed)
    if text is None:
        return None
    return open_store(text, notice=say, create=create)


def open_for_run(args):
    """Before a scan or audit: the store it will keep the run in (checked now: exit 2 or 3 in
    seconds, not after the audit), or None when no store is given."""
    text = _url_text(args, needed=False)
    if text is None:
        if getattr(args, "scope", None):
            raise InputError("--scope names a scope of the history store: give --store URL too (or SPECGUARD_STORE)")
        return None
    if getattr(args, "scope", None) is not None and not args.scope.strip():
        raise InputError("--scope is empty")
    from . import open_store
    return open_store(text, notice=say, create=True)


def _store_inputs(store) -> list[tuple[str, str]]:
    """The SQLite file as an input, so that no -o overwrites the store."""
    if store is not None and store.url.get_backend_name() == "sqlite":
        return [("--store", store.url.database)]
    return []


# ----------------------------------------------------------------------------- a run
def annotate(store, args, doc: dict, outputs=None) -> None:
    """Before the outputs are written: the run's scope and what changed since the previous run
    of that scope (the reports say it; the stored document records it).  Then the document is
    encoded, once: it compresses on other threads while the rest of it is encoded and the outputs
    are written, and the JSON output and the reports' hash take the same bytes (Store.prepare)."""
    from .runs import scope_of
    scope = scope_of(doc, getattr(args, "scope", None))
    doc["history"] = store.since(scope, doc)
    if outputs is not None:
        store.prepare(doc)


def keep(store, args, doc: dict, rendered=()) -> None:
    """After the outputs are written: store the run, or say it was not stored (exit 3).
    ``rendered``: the (output, text) pairs just written; a JSON output's bytes are the canonical
    document the store keeps (the very bytes annotate() encoded, when it did)."""
    from sqlalchemy.exc import SQLAlchemyError

    from .engine import hide
    data = next((text for o, text in rendered or () if o.get("format") == "json" and isinstance(text, bytes)), None)
    try:
        s = store.put(doc, scope=(doc.get("history") or {}).get("scope") or getattr(args, "scope", None), data=data)
    except SpecguardError as e:
        raise ScanError(f"the run was not stored in {store.shown}: {e.message} (its outputs were written)")
    except SQLAlchemyError as e:
        msg = hide(str(getattr(e, "orig", None) or e).strip().splitlines()[0], store.url)
        raise ScanError(f"the run was not stored in {store.shown}: {msg} (its outputs were written)")
    if not getattr(args, "quiet", False):
        say(f"stored as run {s.id} of scope {s.scope!r} ({s.seq}) in {store.shown}")


# ----------------------------------------------------------------------------- commands
def cmd_store(args) -> int:
    sub = getattr(args, "store_command", None)
    if not sub:
        raise InputError("store needs a command: specguard store import|verify|get")
    return {"import": _import, "verify": _verify, "get": _get}[sub](args)


def _import(args) -> int:
    from .ingest import import_files
    store = open_from(args, create=True)
    try:
        import_files(store, args.results, args.scope, say)
    finally:
        store.dispose()
    return 0


def _verify(args) -> int:
    store = open_from(args)
    try:
        if args.scope:
            store.pick_scope(args.scope)
        notes: list[str] = []
        problems = store.verify(args.scope, notes=notes)
        counts = store.counts()
        scopes = [args.scope] if args.scope else store.scopes()
    finally:
        store.dispose()
    for n in notes:            # not a problem: runs imported after later ones (see DESIGN.md)
        say(f"verify: note: {n}")
    for p in problems:
        say(f"verify: {p}")
    if problems:
        say(f"verify: {len(problems)} problem(s): the store was altered")
        return 1
    print(f"{counts['runs']} run(s) in {len(scopes)} scope(s): every document matches its SHA-256 and every "
          "chain holds")
    return 0


def _get(args) -> int:
    from ..outputs import write_all
    store = open_from(args)
    try:
        data = store.get_bytes(store.run(args.run).id)
    finally:
        store.dispose()
    path = args.output or "-"
    if path != "-":
        from ..outputs import resolve
        resolve([{"format": "json", "path": path}], _store_inputs(store))
    write_all([({"format": "json", "path": path}, data)])
    return 0


def _resolve(args, allowed: tuple[str, ...], store=None, files=()) -> list[dict]:
    from ..outputs import resolve
    outs = resolve(getattr(args, "outputs", None), _store_inputs(store) + [("RESULTS.json", f) for f in files])
    for o in outs:
        if o["format"] not in allowed:
            raise InputError(f"{args.command} is written as {', '.join(allowed)}, not {o['format']!r}")
    return outs


def _write(outs: list[dict], render) -> None:
    from ..outputs import write_all
    write_all([(o, render(o["format"])) for o in outs])


def cmd_history(args) -> int:
    from . import history
    store = open_from(args)
    try:
        outs = _resolve(args, ("table", "json"), store)
        h = history.build(store, args.scope, limit=args.last)
    finally:
        store.dispose()
    _write(outs, lambda fmt: history.render(h, fmt))
    return 0


def _is_file(ref: str) -> bool:
    return os.path.exists(ref) or ref.endswith(".json") or os.sep in ref


def cmd_diff(args) -> int:
    from ..pipeline import load_results
    from ..render import diff_report
    from .diff import compare
    from .runs import scope_of

    from .diff import gate, gate_line, parse_fail_on
    refs = args.runs or []
    if len(refs) > 2:
        raise InputError("diff compares two runs: specguard diff [A [B]]")
    fail_on = parse_fail_on(getattr(args, "fail_on", None))
    allow_unknown = bool(getattr(args, "allow_unknown", False))
    if allow_unknown and fail_on is None:
        raise InputError("--allow-unknown goes with --fail-on SEVERITY")
    files = [r for r in refs if _is_file(r)]
    store = open_from(args) if (len(files) < len(refs) or len(refs) < 2) else None
    try:
        outs = _resolve(args, diff_report.FORMATS, store, files)

        def stored(ref):
            row = store.run(ref)
            return store.get_doc(row.id), row

        def load(ref):
            if _is_file(ref):
                return load_results(ref), None
            return stored(ref)

        if not refs:
            latest = store.latest(store.pick_scope(args.scope))
            prev = store.previous(latest)
            if prev is None:
                raise InputError(f"scope {latest.scope!r} holds one run: nothing to compare it with")
            before, after = store.get_doc(prev.id), store.get_doc(latest.id)
            labels = (prev.id, latest.id)
        elif len(refs) == 1:
            after, row = load(refs[0])
            if row is not None:
                prev = store.previous(row)
                if prev is None:
                    raise InputError(f"run {row.id} is the first of its scope: nothing to compare it with")
            else:
                # the file's own run may be stored already (scan --store -o results.json): compare
                # with the run before it in time, not with itself
                run = after.get("run") or {}
                prev = store.before(scope_of(after, args.scope), run.get("started_at", ""), run.get("id", ""))
                if prev is None:
                    raise InputError(f"{refs[0]}: the store holds no earlier run of its scope "
                                     f"{scope_of(after, args.scope)!r} (give --scope, or two runs)")
            before, labels = store.get_doc(prev.id), (prev.id, refs[0] if row is None else row.id)
        else:
            (before, ra), (after, rb) = load(refs[0]), load(refs[1])
            labels = (refs[0] if ra is None else ra.id, refs[1] if rb is None else rb.id)
    finally:
        if store is not None:
            store.dispose()
    d = compare(before, after, *labels)
    if fail_on is None or fail_on == "none":
        _write(outs, lambda fmt: diff_report.render(d, fmt))
        return 0
    d["gate"] = gate(d, fail_on, allow_unknown)      # in the JSON; the exit status says it too
    _write(outs, lambda fmt: diff_report.render(d, fmt))
    say(gate_line(d["gate"]))
    return 0 if d["gate"]["passed"] else 1


def cmd_period_report(args) -> int:
    from ..render import period_html
    from . import period
    if getattr(args, "results", None):
        raise InputError("report takes RESULTS.json or --period, not both")
    start, end = period.parse_period(args.period)
    period.parse_expect(args.expect)
    if not getattr(args, "outputs", None):          # Markdown on the terminal unless told otherwise
        args.outputs = [{"format": "markdown", "path": None}]
    store = open_from(args)
    try:
        outs = _resolve(args, period_html.FORMATS, store)
        doc = period.build(store, args.scope, start, end, args.expect)
    finally:
        store.dispose()
    _write(outs, lambda fmt: period_html.render(doc, fmt))
    return 0


def period_options_given(args) -> bool:
    return any(getattr(args, k, None) for k in ("period", "expect")) or (
        getattr(args, "scope", None) is not None) or getattr(args, "store", None) is not None


def check_report_args(args) -> None:
    """``report`` without --period re-renders a results file; the store options go with --period."""
    if getattr(args, "period", None):
        return
    if period_options_given(args):
        raise InputError("--store, --scope and --expect on report go with --period START..END")
    if not getattr(args, "results", None):
        raise InputError("report needs RESULTS.json (or --store URL --period START..END)")

