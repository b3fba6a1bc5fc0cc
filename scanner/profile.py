"""Profiles: the built-in ``spec`` defaults and a user's YAML overrides.

The ``spec`` profile is what each control declares (CONTROLS.md's bold
defaults).  A profile file may change parameters and severities, switch
controls off, and name the organisation and system for reports.  Anything it
names that does not exist is an input error, so a typo never silently leaves
the default in force.
"""
from __future__ import annotations

import copy
import json
import re
from typing import Any

from .controls import SEVERITIES, Control, load_rules
from .digest import sha256
from .errors import InputError, shown
from .record import Record

TOP_KEYS = {"name", "extends", "organisation", "organization", "system", "controls", "description", "rules"}
CONTROL_KEYS = {"enabled", "severity", "params"}


class ControlSettings(Record):
    """A control as a profile sets it: on or off, its severity, its parameters.  (Records, not
    dataclasses: scanner/record.py.)"""

    __slots__ = ("control", "enabled", "severity", "params")

    def __init__(self, control: Control, enabled: bool, severity: str, params: dict[str, Any]):
        self.control = control
        self.enabled = enabled
        self.severity = severity
        self.params = params


class Profile(Record):
    """The active profile: every control's settings, and where they came from."""

    __slots__ = ("name", "organisation", "system", "controls", "path", "file_sha256", "rules")

    def __init__(self, name: str, organisation: str = "", system: str = "",
                 controls: dict[str, ControlSettings] | None = None, path: str | None = None,
                 file_sha256: str | None = None, rules: list[dict[str, Any]] | None = None):
        self.name = name
        self.organisation = organisation
        self.system = system
        self.controls = {} if controls is None else controls
        self.path = path
        self.file_sha256 = file_sha256   # of the YAML file as given (sha256sum); ``sha256`` is of the settings
        self.rules = [] if rules is None else rules   # users' rules files and packages (user_rules)

    @property
    def enabled(self) -> list[ControlSettings]:
        return [c for c in self.controls.values() if c.enabled]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "organisation": self.organisation, "system": self.system,
            "controls": {cid: {"enabled": c.enabled, "severity": c.severity, "params": c.params}
                         for cid, c in self.controls.items()},
        }

    @property
    def sha256(self) -> str:
        """sha256 of the effective settings (every control's enabled, severity and params, in
        canonical JSON): equal for two files that say the same thing, and defined for the
        built-in spec profile, which has no file."""
        canon = json.dumps(self.as_dict(), sort_keys=True, separators=(",", ":"), default=str)
        return sha256(canon.encode()).hexdigest()


def spec_profile() -> Profile:
    reg = load_rules()
    return Profile(
        name="spec",
        controls={cid: ControlSettings(c, True, c.severity, copy.deepcopy(c.params)) for cid, c in reg.items()},
    )


def load_profile(path: str | None, rules: list[str] | None = None) -> Profile:
    """``rules``: users' rules paths (--rules); a profile's own ``rules:`` are read too."""
    prof = spec_profile()
    if not path:
        _add_user_rules(prof, rules, None)
        return prof
    from .yamlfile import read_yaml
    data, _, file_sha256 = read_yaml(path, "profile")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError("a profile must be a YAML mapping", path)
    for key in data:
        if key not in TOP_KEYS:
            raise InputError(f"unknown profile key {shown(key)} (expected one of {', '.join(sorted(TOP_KEYS))})", path, str(key))
    if data.get("extends", "spec") != "spec":
        raise InputError("only 'extends: spec' is supported", path, "extends")
    for key in ("name", "organisation", "organization", "system", "description"):
        value = data.get(key)
        if value is not None and (isinstance(value, (bool, list, dict)) or not isinstance(value, (str, int, float))):
            raise InputError(f"'{key}' must be text, not {_kind(value)}", path, key)
    prof.name = str(data.get("name") or _stem(path))
    prof.organisation = str(data.get("organisation") or data.get("organization") or "")
    prof.system = str(data.get("system") or "")
    prof.path = path
    prof.file_sha256 = file_sha256   # of the very bytes parsed above
    _add_user_rules(prof, rules, _profile_rules(data.get("rules"), path))
    controls = data.get("controls") or {}
    if not isinstance(controls, dict):
        raise InputError("'controls' must be a mapping of control id to settings", path, "controls")
    for cid, settings in controls.items():
        where = f"controls.{cid}"
        if cid not in prof.controls:
            raise InputError(f"unknown control id {shown(cid)}", path, where)
        cs = prof.controls[cid]
        if settings is None:
            continue
        if isinstance(settings, bool):
            cs.enabled = settings
            continue
        if not isinstance(settings, dict):
            raise InputError("control settings must be a mapping (enabled, severity, params)", path, where)
        for k in settings:
            if k not in CONTROL_KEYS:
                raise InputError(f"unknown setting {shown(k)} (expected enabled, severity or params)", path, f"{where}.{k}")
        if "enabled" in settings:
            if not isinstance(settings["enabled"], bool):
                raise InputError("'enabled' must be true or false", path, f"{where}.enabled")
            cs.enabled = settings["enabled"]
        if "severity" in settings:
            sev = str(settings["severity"]).lower()
            if sev not in SEVERITIES:
                raise InputError(f"unknown severity {shown(settings['severity'])} (expected {', '.join(SEVERITIES)})", path, f"{where}.severity")
            cs.severity = sev
        params = settings.get("params") or {}
        if not isinstance(params, dict):
            raise InputError("'params' must be a mapping", path, f"{where}.params")
        for pk, pv in params.items():
            if pk not in cs.params:
                known = ", ".join(sorted(cs.params)) or "none"
                raise InputError(f"unknown parameter {shown(pk)} of {cid} (known: {known})", path, f"{where}.params.{pk}")
            cs.params[pk] = _coerce(pv, cs.params[pk], path, f"{where}.params.{pk}")
    for cid, cs in prof.controls.items():
        check = cs.control.validate
        problem = check(cs.params, {c: x.params for c, x in prof.controls.items()}) if check else None
        if problem:
            raise InputError(problem, path, f"controls.{cid}.params")
    return prof


def _profile_rules(value: Any, path: str) -> list[str]:
    """A profile's ``rules:``: paths relative to the profile file."""
    if value is None:
        return []
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str) and v for v in items):
        raise InputError("'rules' is a list of rules files or directories", path, "rules")
    import os
    base = os.path.dirname(os.path.abspath(path))
    return [v if os.path.isabs(v) else os.path.join(base, v) for v in items]


def _add_user_rules(prof: Profile, paths: list[str] | None, profile_rules: list[str] | None) -> None:
    from .user_rules import load
    loaded = load(paths, profile_rules)
    for c in loaded.controls:
        prof.controls[c.id] = ControlSettings(c, True, c.severity, copy.deepcopy(c.params))
    prof.rules = loaded.records


VERSION_RE = re.compile(r"^1\.[0-3]$")
TYPE_NAMES = {bool: "true or false", int: "a number", float: "a number", str: "a string",
              list: "a list", dict: "a mapping"}


def _coerce(value: Any, default: Any, path: str, where: str) -> Any:
    """Check a parameter against the shape of its default, all the way down.

    A parameter keeps the type of its default; a list of mappings accepts only the keys the
    default's entries use (a typo such as `port:` for `ports:` would otherwise silently
    change a check); version strings must be 1.0-1.3; counts and days cannot be negative;
    a table keyed by resource type accepts only types specguard knows.
    """
    name = where.rsplit(".", 1)[-1]
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise InputError(f"expected true or false, got {shown(value)}", path, where)
        return value
    if isinstance(default, (int, float)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError(f"expected a number, got {shown(value)}", path, where)
        floor = 1 if name.endswith(("_instances", "_count")) else 0
        if value < floor:
            raise InputError(f"must be at least {floor}, got {shown(value)}", path, where)
        return value
    if isinstance(default, str):
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise InputError(f"expected a string, got {shown(value)}", path, where)
        value = str(value)
        if VERSION_RE.match(default) and not VERSION_RE.match(value):
            raise InputError(f"expected a TLS version 1.0, 1.1, 1.2 or 1.3, got {shown(value)}", path, where)
        return value
    if isinstance(default, list):
        if not isinstance(value, list):
            raise InputError(f"expected a list, got {shown(value)}", path, where)
        if not default:
            return value
        if all(isinstance(d, dict) for d in default):
            return [_entry(v, default, path, f"{where}[{i}]") for i, v in enumerate(value)]
        return [_coerce(v, default[0], path, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(default, dict):
        if not isinstance(value, dict):
            raise InputError(f"expected a mapping, got {shown(value)}", path, where)
        merged = dict(default)
        typed = default and all(_looks_like_type(k) for k in default)
        for k, v in value.items():
            if typed and not _known_type(k):
                raise InputError(f"unknown resource type {shown(k)}", path, f"{where}.{k}")
            sample = default.get(k, next(iter(default.values()), None)) if default else None
            merged[k] = _coerce(v, sample, path, f"{where}.{k}") if sample is not None else v
        return merged
    return value


def _entry(value: Any, defaults: list[dict], path: str, where: str) -> dict:
    if not isinstance(value, dict):
        raise InputError(f"expected a mapping, got {shown(value)}", path, where)
    allowed: dict[str, Any] = {}
    for d in defaults:
        for k, v in d.items():
            allowed.setdefault(k, v)
    required = set.intersection(*(set(d) for d in defaults))
    for k in value:
        if k not in allowed:
            raise InputError(f"unknown key {shown(k)} (expected {', '.join(sorted(allowed))})", path, f"{where}.{k}")
    missing = sorted(required - set(value))
    if missing:
        raise InputError(f"missing {', '.join(missing)}", path, where)
    return {k: _coerce(v, allowed[k], path, f"{where}.{k}") for k, v in value.items()}


def _looks_like_type(key: str) -> bool:
    return isinstance(key, str) and key.startswith(("aws_", "azurerm_"))


def _known_type(key: str) -> bool:
    from .sources.terraform.normalize import MAPPERS, _load_mappers
    _load_mappers()
    return key in MAPPERS


def _kind(value: Any) -> str:
    return {bool: "true or false", list: "a list", dict: "a mapping"}.get(type(value), type(value).__name__)


def _stem(path: str) -> str:
    import os
    return os.path.splitext(os.path.basename(path))[0]
