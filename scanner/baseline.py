"""Baselines (issue 20): accept today's findings so the gate blocks only what a change introduces.

A baseline is the set of findings that would have failed the gate when it was made (``fail`` and
``unknown``), keyed by fingerprint (control + resource address, + the input when a run scans
several).  It is read from a baseline file (``specguard baseline create``, schema
``scanner/data/baseline.schema.json``) or from a results document.  A renamed resource has another
address, so another fingerprint: it is a new finding.

Applying one to a results document marks every finding it accepts with ``"baseline": true``; marked
findings keep their status and appear in every report, but do not count for ``--fail-on``.  Whether
a finding is *new* is decided by the history store's rule (``store.diff.is_new``), so ``specguard
diff`` and the gate never disagree; an entry that no longer fails is listed as fixed by the store's
``is_resolved`` (passing now, or gone).

The fingerprint holds the input only when a run scans several, so the same finding has another
fingerprint in a run of one input than in a run of several (a pre-commit hook scans only the
directories a commit touches).  Entries therefore also record their input, and a finding matches an
entry by (control, address, input) as well as by fingerprint; a fingerprint match is refused when
the entry's input was scanned in this run and is not the finding's (two root modules with the same
addresses).  Entries of inputs this run did not scan are neither matched nor listed as fixed, unless
both the baseline and the run have one input (the same configuration under another file name).
"""
from __future__ import annotations

import datetime as dt
import json
import os
from functools import lru_cache
from typing import Any

from .errors import InputError, json_path
from .store.diff import FAILING, is_new, is_resolved

BASELINE_KEY = "specguard_baseline"
BASELINE_VERSION = "1"
ACCEPTED = "accepted"
GATING = ("fail", "unknown")   # what the gate counts (unknown unless --allow-unknown)


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    from importlib import resources as ires
    return json.loads(ires.files("scanner").joinpath("data/baseline.schema.json").read_text("utf-8"))


def fingerprint(f: dict) -> str:
    """A finding's fingerprint as the results document wrote it (older documents had none: the
    store's fallback, control|address)."""
    return f.get("fingerprint") or f"{f['control_id']}|{(f.get('resource') or {}).get('address', '')}"


@lru_cache(maxsize=256)
def _norm(path: str) -> str:
    return os.path.normpath(path) if path else ""


def _input(f: dict) -> str:
    """The input (plan file, .tf directory, - for stdin) a finding came from, as one path spelling."""
    return _norm((f.get("resource") or {}).get("input") or "")


def create(doc: dict, now: dt.datetime | None = None) -> dict:
    """The baseline of a results document: every finding that would fail the gate, accepted."""
    run = doc.get("run") or {}
    seen: set[str] = set()
    entries = []
    for f in doc.get("findings") or []:
        fp = fingerprint(f)
        if f["status"] not in GATING or fp in seen:
            continue
        seen.add(fp)
        entry = {"fingerprint": fp, "control_id": f["control_id"],
                 "address": (f.get("resource") or {}).get("address", ""), "status": ACCEPTED, "found": f["status"]}
        if _input(f):
            entry["input"] = _input(f)
        entries.append(entry)
    entries.sort(key=lambda e: (e["control_id"], e["address"], e["fingerprint"]))
    when = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
    return {BASELINE_KEY: BASELINE_VERSION,
            "created_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "tool": dict(doc.get("tool") or {"name": "specguard"}),
            "profile": run.get("profile", ""), "profile_sha256": run.get("profile_sha256", ""),
            "from_run": {"id": run.get("id", ""), "started_at": run.get("started_at", "")},
            "findings": entries}


def dumps(baseline: dict) -> str:
    return json.dumps(baseline, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


_HOW = "write one with: specguard baseline create PATH -o baseline.json"


def _read(path: str):
    """The JSON of a --baseline file, with errors that speak of a baseline (not of a plan)."""
    from .sources.terraform.plan import parse_json
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise InputError(f"baseline file not found ({_HOW})", path)
    except IsADirectoryError:
        raise InputError("is a directory, not a baseline or results file", path)
    except PermissionError:
        raise InputError("permission denied", path)
    if not data.strip():
        raise InputError(f"file is empty: not a specguard baseline or results document ({_HOW})", path)
    return parse_json(data, path)


def load(path: str) -> dict:
    """A baseline from a baseline file or a results document; anything else is an input error
    naming the file (exit 2)."""
    data = _read(path)
    if isinstance(data, dict) and BASELINE_KEY in data:
        import jsonschema
        try:
            jsonschema.validate(data, schema())
        except jsonschema.ValidationError as e:
            raise InputError(f"not a valid specguard baseline: {e.message}", path, json_path(e.absolute_path))
        out = dict(data)
        out["kind"] = "baseline"
    elif isinstance(data, dict) and "schema_version" in data:
        from .pipeline import load_results
        out = create(load_results(path))
        out["kind"] = "results"
    else:
        raise InputError(f"not a specguard results document or baseline ({_HOW})", path)
    out["path"] = path
    from .results import sha256_file
    out["sha256"] = sha256_file(path)
    return out


def check_controls(baseline: dict, known: set[str], profile: str) -> None:
    """Every control the baseline names must be one of this run's profile (enabled or disabled):
    a baseline of another profile would accept findings by ids that mean something else.  Checked
    before the scan or audit starts (``check_before``), and again on the results (``apply``)."""
    for e in baseline["findings"]:
        if e["control_id"] not in known:
            raise InputError(f"control {e['control_id']} is not a control of profile {profile!r} (the baseline "
                             f"was made with profile {baseline.get('profile', '')!r}; give the same --profile and "
                             "--rules)", baseline.get("path"))


def check_before(baseline: dict, args) -> None:
    """The profile check before any work: an audit is not run for minutes only to be refused after."""
    from .profile import load_profile
    prof = load_profile(getattr(args, "profile", None), getattr(args, "rules", None))
    check_controls(baseline, set(prof.controls), prof.name)


def check_profile(baseline: dict, doc: dict) -> None:
    known = {c["id"] for c in doc.get("controls") or []} | {c["id"] for c in doc.get("disabled_controls") or []}
    check_controls(baseline, known, (doc.get("run") or {}).get("profile", ""))


def apply(doc: dict, baseline: dict) -> dict:
    """Mark the findings the baseline accepts and add the document's ``baseline`` entry.

    A finding is accepted when the baseline holds it (by fingerprint, or by control, address and
    input) and, by the store's rule, it is not a new failure (an entry found ``unknown`` that now
    fails is new)."""
    check_profile(baseline, doc)
    entries = baseline["findings"]
    scanned = {_norm(s["path"]) for s in doc.get("sources") or [] if s.get("path")}
    inputs = {_norm(e["input"]) for e in entries if e.get("input")}
    # a baseline of one input used on a run of one input is the same configuration, whatever the file
    # is called now (a plan is often written under a new name, or read from stdin): fingerprints, which
    # then hold no input on either side, suffice
    one_to_one = len(inputs) <= 1 and len(scanned) <= 1
    by_fp = {e["fingerprint"]: e for e in entries}
    by_key = {} if one_to_one else {(e["control_id"], e["address"], _norm(e["input"])): e
                                    for e in entries if e.get("input")}

    def entry_of(f: dict) -> dict | None:
        e = by_fp.get(fingerprint(f))
        if not by_key:
            return e
        where = _input(f)
        if e is not None and e.get("input") and where and _norm(e["input"]) != where \
                and _norm(e["input"]) in scanned:
            e = None   # that entry is another input's finding, and that input is in this run
        if e is None and where:
            e = by_key.get((f["control_id"], (f.get("resource") or {}).get("address", ""), where))
        return e

    current: dict[int, str] = {}   # entry -> the status of the first finding it matched
    accepted = new = 0
    for f in doc.get("findings") or []:
        e = entry_of(f)
        f.pop("baseline", None)
        if e is not None:
            current.setdefault(id(e), f["status"])
        if is_new(e.get("found", "fail") if e else None, f["status"]):
            new += 1
        elif e is not None and f["status"] in GATING:
            f["baseline"] = True
            accepted += 1
    # an accepted entry is resolved as an accepted failure would be: passing now, or gone; an entry of
    # an input this run did not scan says nothing either way
    checked = entries if one_to_one else \
        [e for e in entries if not (e.get("input") and scanned and _norm(e["input"]) not in scanned)]
    fixed = [{"fingerprint": e["fingerprint"], "control_id": e["control_id"], "address": e["address"],
              "found": e.get("found", "fail")} for e in checked if is_resolved(FAILING, current.get(id(e)))]
    doc["baseline"] = {"path": baseline.get("path", ""), "sha256": baseline.get("sha256", ""),
                       "kind": baseline.get("kind", "baseline"), "profile": baseline.get("profile", ""),
                       "created_at": baseline.get("created_at", ""), "entries": len(entries),
                       "accepted": accepted, "new": new, "fixed": fixed}
    if len(checked) < len(entries):
        doc["baseline"]["not_scanned"] = len(entries) - len(checked)
    return doc


def counts_for_gate(f: dict) -> bool:
    """Whether a finding may fail the gate: one the baseline accepted does not."""
    return not f.get("baseline")


def summary_line(doc: dict) -> str | None:
    """The sentence every report prints about the baseline (None when the run had none)."""
    b = doc.get("baseline")
    if not isinstance(b, dict):
        return None
    fixed = len(b.get("fixed") or [])
    return (f"baseline {b.get('path', '')}: {b.get('accepted', 0)} finding(s) accepted (not counted for the gate), "
            f"{b.get('new', 0)} new failure(s), {fixed} of {b.get('entries', 0)} entries fixed"
            + (" (remove them: specguard baseline create)" if fixed else "")
            + (f"; {b['not_scanned']} entries are of inputs this run did not scan" if b.get("not_scanned") else ""))


# ----------------------------------------------------------------------------- commands
_SCAN_DEFAULTS = {"var": [], "var_file": [], "source_dir": None, "no_source_waivers": False, "checkov_results": None,
                  "checkov_mapping": None, "profile": None, "waivers": None, "rules": None}


def is_results_file(path: str) -> bool:
    """Whether PATH of ``baseline create`` is a saved results document rather than a plan.  Parsed to
    tell (results are written with sorted keys, so no prefix says it): ``baseline create`` runs once
    when the gate is turned on, not on every change, so a second parse of a plan costs little."""
    if path == "-" or not path.endswith(".json") or not os.path.isfile(path):
        return False
    from .sources.terraform.plan import read_json
    data = read_json(path)
    return isinstance(data, dict) and "schema_version" in data and "format_version" not in data


def create_command(args) -> int:
    """``specguard baseline create PATH... [-o baseline.json]``: scan PATHs (or read one saved results
    document) and write the baseline; exit 0 (making a baseline is not a gate)."""
    import types
    from .outputs import input_paths, resolve, write_all
    ns = types.SimpleNamespace(**{**_SCAN_DEFAULTS, **vars(args)})
    outs = resolve([{"format": "json", "path": getattr(args, "output", None) or "-"}], input_paths(ns))
    if len(ns.paths) == 1 and is_results_file(ns.paths[0]):
        from .pipeline import load_results
        doc = load_results(ns.paths[0])
    else:
        from .pipeline import scan_paths
        doc = scan_paths(ns)
    write_all([(outs[0], dumps(create(doc)))])
    return 0
