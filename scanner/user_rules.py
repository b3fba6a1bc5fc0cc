"""Users' own controls (issue 18): loaded only from what the user names, added to the profile.

Where they come from: ``--rules PATH`` (repeatable), ``rules:`` in a profile (paths relative to
the profile file), and installed packages' entry points in the group ``specguard.rules`` (each
names a module).  A PATH is a YAML file, a ``.py`` file, or a directory of them (not recursive,
sorted).  Python rules are code: nothing is ever discovered inside a scanned directory.

Every file is recorded with its SHA-256 (and every package with its name and version) in the
results' ``rules``, so an auditor sees what custom code judged the estate.  Bad input (YAML
errors, unknown operators, id collisions, undeclared fields, a module that fails to import)
is an InputError: one line, exit 2, nothing written.
"""
from __future__ import annotations

import contextlib
import contextvars
import importlib.util
import os
import sys
from typing import Any

from .controls import REGISTRY, Control, Verdict, load_rules
from .digest import sha256
from .errors import InputError, shown
# yaml_rules is imported where rules are read: a scan without user rules does not pay for it

ENTRY_POINT_GROUP = "specguard.rules"


class UserControl(Control):
    """A control from a user's Python module; a rule that raises gives unknown, never a crash."""

    origin: dict[str, Any]
    errors: list[tuple[str, str]]

    def run(self, r, ctx) -> Verdict | None:
        try:
            with contextlib.redirect_stdout(sys.stderr):   # a rule's print() is not report output
                v = self.rule(r, ctx)
        except Exception as e:   # the user's code: one finding unknown, the scan goes on
            text = (str(e).strip().splitlines() or [""])[0][:300]
            msg = f"{e.__class__.__name__}: {text}" if text else e.__class__.__name__
            self.errors.append((r.address, f"raised {msg}"))
            return Verdict("unknown", f"the rule raised {msg}")
        problem = _not_a_verdict(v)
        if problem:   # what it returned cannot be a finding: unknown, said once under coverage
            self.errors.append((r.address, problem))
            return Verdict("unknown", f"the rule {problem}")
        return v


def _not_a_verdict(v: Any) -> str | None:
    """Why a rule's answer is not a finding (None: it is one, or None for "does not apply")."""
    import json
    if v is None:
        return None
    if not isinstance(v, Verdict):
        return f"returned {type(v).__name__}, not a Verdict (return Check().verdict(...) or None)"
    if v.status not in ("pass", "fail", "unknown"):
        return f"returned the status {shown(v.status)} (pass, fail or unknown)"
    if not isinstance(v.message, str):
        return f"returned a message of type {type(v.message).__name__}, not text"
    try:
        json.dumps(v.evidence, allow_nan=False)
    except (TypeError, ValueError) as e:   # evidence goes into every report as JSON
        return f"returned evidence that is not JSON ({e}): read values with field() or Check().see()"
    if not isinstance(v.evidence, dict):
        return "returned evidence that is not a mapping"
    return None


def _user_control(c: Control, origin: dict[str, Any]) -> UserControl:
    u = UserControl(c.id, c.title, c.family, c.severity, list(c.soc2), c.kinds, c.fields, dict(c.params),
                    c.requirement, None, c.validate)
    u.rule = c.func
    u.func = u.run
    u.origin = origin
    u.errors = []
    return u


class Loaded:
    """The user controls of one run and what they were read from."""

    def __init__(self):
        self.controls: list[Control] = []
        self.records: list[dict[str, Any]] = []
        self.taken: dict[str, str] = {}
        self.files: set[str] = set()   # real paths read (a file named twice is read once)

    def add(self, ctls: list[Control], file: str | None) -> None:
        from .yaml_rules import ID_RE, YamlControl
        for c in ctls:
            if c.id in REGISTRY:
                raise InputError(f"control id {c.id} is a catalogue control: give yours a prefix of its own", file)
            if not ID_RE.match(c.id):
                raise InputError(f"control id {shown(c.id)} must be PREFIX-NAME in capitals and digits (ACME-DB-01)",
                                 file)
            if c.id in self.taken and not isinstance(c, YamlControl):
                raise InputError(f"control id {c.id} is already declared ({self.taken[c.id]})", file)
            self.taken.setdefault(c.id, file or "")
            self.controls.append(c)


def _sha256(path: str) -> str:
    with open(path, "rb") as fh:
        return sha256(fh.read()).hexdigest()


def _files(path: str) -> list[str]:
    from .yaml_rules import is_rules_file
    if os.path.isdir(path):
        names = sorted(n for n in os.listdir(path)
                       if (is_rules_file(n) or n.endswith(".py")) and not n.startswith((".", "_")))
        if not names:
            raise InputError("no rules (.yaml, .yml or .py files) in this directory", path)
        return [os.path.join(path, n) for n in names]
    if not os.path.exists(path):
        raise InputError("rules file not found", path)
    if not (is_rules_file(path) or path.endswith(".py")):
        raise InputError("a rules file is .yaml, .yml or .py", path)
    return [path]


_MODULES: dict[tuple[str, str], list[Control]] = {}   # (real path, sha256) -> its controls, imported once


def _import_file(path: str, sha: str) -> list[Control]:
    key = (os.path.realpath(path), sha)
    if key in _MODULES:
        return _MODULES[key]
    from . import rules_api
    name = f"specguard_user_rules_{sha[:16]}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise InputError("cannot be imported as a Python module", path)
    module = importlib.util.module_from_spec(spec)
    here = os.path.dirname(os.path.abspath(path))

    def run() -> None:   # helper modules beside it (_name.py, not loaded as rules) may be imported
        sys.path.insert(0, here)
        try:
            spec.loader.exec_module(module)
        finally:
            if here in sys.path:
                sys.path.remove(here)

    got = _collect(run, path, rules_api)
    _MODULES[key] = got
    return got


def _collect(run, where: str, rules_api) -> list[Control]:
    rules_api._collecting.append([])
    try:
        with contextlib.redirect_stdout(sys.stderr):   # nor is what a module prints while importing
            run()
    except InputError:
        raise
    except SyntaxError as e:
        raise InputError(f"the rule module does not import: SyntaxError: {e.msg}", e.filename or where,
                         str(e.lineno) if e.lineno else None)
    except BaseException as e:   # anything a module raises while importing, SystemExit included
        text = (str(e).strip().splitlines() or [""])[0][:300]
        raise InputError(f"the rule module does not import: {e.__class__.__name__}"
                         f"{': ' + text if text else ''}", where)
    finally:
        got = rules_api._collecting.pop()
    if not got:
        raise InputError("the rule module declares no control (@control from scanner.rules_api)", where)
    return got


def load_paths(loaded: Loaded, paths: list[str], via: str) -> None:
    for given in paths:
        for f in _files(given):
            if os.path.realpath(f) in loaded.files:
                continue
            loaded.files.add(os.path.realpath(f))
            sha = _sha256(f)
            from .yaml_rules import is_rules_file, load_file as load_yaml_file
            if is_rules_file(f):
                ctls: list[Control] = load_yaml_file(f, loaded.taken)
                loaded.add(ctls, f)
                kind = "yaml"
            else:
                origin = {"kind": "python", "path": f, "sha256": sha}
                loaded.add([_user_control(c, origin) for c in _import_file(f, sha)], f)
                kind = "python"
            loaded.records.append({"kind": kind, "path": f, "sha256": sha, "via": via})


def _any_declared() -> bool:
    """Whether any installed distribution declares the entry-point group: reading the
    entry_points.txt files is about ten times cheaper than importlib.metadata's scan, which
    every scan would otherwise pay (about 30 ms with a hundred packages installed)."""
    needle = f"[{ENTRY_POINT_GROUP}]"
    for base in sys.path:
        try:
            names = os.listdir(base or ".")
        except OSError:
            continue
        for name in names:
            if name.endswith((".dist-info", ".egg-info")):
                try:
                    with open(os.path.join(base or ".", name, "entry_points.txt"), encoding="utf-8") as fh:
                        if needle in fh.read():
                            return True
                except OSError:
                    continue
    return False


def load_entry_points(loaded: Loaded) -> None:
    """Installed packages' controls.  A package that does not import (or declares nothing, or an id
    that is taken) is an input error naming the package, its version and the error: the scan does
    not go on without the organisation's controls it installed, since a gate that passes because a
    plugin broke is the silent pass specguard exists to prevent.  ``rules test`` does not load them."""
    if not _any_declared():
        return
    from importlib.metadata import entry_points
    from . import rules_api
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        dist = getattr(ep, "dist", None)
        pkg = {"name": getattr(dist, "name", None) or ep.name, "version": getattr(dist, "version", None) or ""}
        where = (f"installed rules package {pkg['name']} {pkg['version']}".rstrip() +
                 f" (entry point {ep.name} = {ep.value})")
        key = ("entry-point", f"{ep.value}@{pkg['name']}=={pkg['version']}")
        if key not in _MODULES:
            try:
                _MODULES[key] = _collect(lambda: _fresh_import(ep.module), where, rules_api)
            except InputError as e:
                text = e.message if e.message.startswith(where) else f"{where}: {e.message}"
                raise InputError(f"{text} (fix the package, or uninstall it: pip uninstall {pkg['name']})") from None
        origin = {"kind": "package", "package": pkg["name"], "version": pkg["version"], "module": ep.module}
        loaded.add([_user_control(c, origin) for c in _MODULES[key]], where)
        loaded.records.append({"kind": "package", "name": pkg["name"], "version": pkg["version"],
                               "entry_point": ep.name, "module": ep.module, "via": "entry-point"})


def _fresh_import(module: str) -> None:
    if module in sys.modules:   # imported before, outside the collection: run it again to collect
        importlib.reload(sys.modules[module])
    else:
        importlib.import_module(module)


_ACTIVE: set[str] = set()   # ids of the users' controls of the run being prepared


def active_ids() -> set[str]:
    """Ids of the users' controls loaded for this run: `# specguard:waive ACME-DB-01` comments in
    .tf source may name them (the .tf tree is read after the profile)."""
    return set(_ACTIVE)


# ``rules test`` sets this to False for its scans: it judges a directory's own controls, and an
# installed package (perhaps that very directory, packaged) must neither collide with them nor stop it
INSTALLED = contextvars.ContextVar("specguard_installed_rules", default=True)


def load(paths: list[str] | None = None, profile_rules: list[str] | None = None,
         entry_points: bool | None = None) -> Loaded:
    load_rules()   # the catalogue first: its ids are taken
    loaded = Loaded()
    if INSTALLED.get() if entry_points is None else entry_points:
        load_entry_points(loaded)
    load_paths(loaded, list(profile_rules or []), "profile")
    load_paths(loaded, list(paths or []), "--rules")
    _ACTIVE.clear()
    _ACTIVE.update(c.id for c in loaded.controls)
    return loaded


# ----------------------------------------------------------------------------- after a run
def coverage(profile) -> list[tuple[str, str, dict[str, Any]]]:
    """What users' controls could not look at: sources with no path for a field, rules that raised."""
    out = []
    for cs in profile.enabled:
        c = cs.control
        for (source, type_), fname in sorted(getattr(c, "no_path", {}).items()):
            out.append(("rule-not-applicable", f"{c.id} gives no {_source_key(source)} path for its field "
                                               f"{fname} on {type_}: not checked on {source} {type_} resources",
                        {"control_id": c.id, "source": source, "type": type_}))
        errors = getattr(c, "errors", None)
        if errors:
            addrs = [a for a, _ in errors]
            out.append(("rule-error", f"{c.id}: the rule {errors[0][1]}, on {len(errors)} resource(s) "
                                      f"(those findings are unknown)",
                        {"control_id": c.id, "resources": addrs[:20]}))
    return out


def _source_key(source: str) -> str:
    return "terraform" if source.startswith("terraform") else source


def origin_of(c: Control) -> dict[str, Any] | None:
    return getattr(c, "origin", None)
