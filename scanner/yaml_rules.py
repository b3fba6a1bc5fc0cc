"""Declarative controls in YAML (issue 18): parsed into the same ``Control`` the engine runs.

    controls:
      - id: ACME-DB-01
        title: Databases are protected from deletion
        family: ACME
        severity: medium
        soc2: [A1.2]
        applies_to: {kinds: [database]}            # and/or types: [aws_db_instance, ...]
        fields:
          deletion_protection:
            terraform: deletion_protection         # path in the plan values / evaluated .tf attributes
            aws: DeletionProtection                # path in the API item the collector read
            azure: properties.deletionProtection   # path in the ARM resource JSON
        require: {field: deletion_protection, equals: true}
        message: {fail: "deletion protection is off", pass: "deletion protection is on"}

A field's path for a source may also be a mapping of Terraform type -> path (an attribute
named differently per type), or ``{path: ..., default: ...}`` (the value when the record does
not carry the key at all, e.g. a provider default in .tf source).  A name in ``require`` that
is not declared under ``fields`` must be a model field (the FIELD CONTRACT).

Conditions: ``equals``, ``not_equals``, ``in``, ``not_in``, ``gte``, ``lte`` (numbers, or
versions such as "7.1"), ``matches`` (RE2, searched: anchor with ^...$), ``contains`` (text,
list element or mapping key), ``exists`` (true/false), composed with ``all``, ``any``, ``not``.
Three-valued throughout: a field that cannot be read is unknown with the reason, never a pass.
"""
from __future__ import annotations

import os
import re
from typing import Any

from .controls import SEVERITIES, Check, Control, Verdict
from .errors import InputError, shown
from .model import KINDS, Resource
from .values import FALSE, TRUE, Origin, Tri, Unknown, Value, tri, unknown_tri
from .withheld import REASON as WITHHELD, Withheld, may_hold, secret_name

OPERATORS = ("equals", "not_equals", "in", "not_in", "gte", "lte", "matches", "contains", "exists")
COMBINATORS = ("all", "any", "not")
CONTROL_KEYS = {"id", "title", "family", "severity", "soc2", "applies_to", "fields", "require", "message",
                "requirement", "params"}
SOURCE_KEYS = {"terraform": ("terraform-plan", "terraform-source"), "aws": ("aws",), "azure": ("azure",)}
ID_RE = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")
CATALOGUE_FAMILIES = {"ENC", "TLS", "HA", "NET", "TAG", "BAK", "WAF", "LOG", "MSG", "SEC", "DR", "IAM"}
MAX_PATTERN = 1000


def _model_field_names() -> frozenset[str]:
    """Field names of the FIELD CONTRACT, read from its text in scanner/model.py (one place)."""
    from . import model
    doc = model.__doc__ or ""
    names = set(re.findall(r"\b([a-z][a-z0-9_]*)\s+(?:bool|str|int|list\[|dict\[|list\b)", doc))
    names |= set(re.findall(r"^\s{4}([a-z][a-z0-9_]*)\s{2,}", doc, re.M))
    names |= {"cluster", "availability_zone", "encrypted", "purge_protection", "rotation_enabled", "key_manager",
              "group", "direction", "rule", "source", "region", "rules", "plan", "resources", "tag_conditions",
              "tier", "family", "engine", "tags", "inherited_tags"}
    return frozenset(names - {"tls", "fields", "a", "the"})


MODEL_FIELDS = _model_field_names()


# ----------------------------------------------------------------------------- raw records
class Missing(Unknown):
    """The record does not carry the key at all (``exists: false`` reads it as absent)."""

    __slots__ = ()


_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def split_path(path: str) -> list[str | int]:
    parts: list[str | int] = []
    for name, index in _PART.findall(path):
        parts.append(int(index) if index else (int(name) if name.isdigit() else name))
    return parts


def resolve_path(r: Resource, path: str, name: str | None = None, default: Any = Missing) -> Value:
    """The value at ``path`` of ``r.raw``, with an origin naming source, path and file:line."""
    live = r.source in ("aws", "azure")
    origin = Origin(r.source, path, None if live else r.file, None if live else r.line,
                    r.raw_api if live else None)
    what = f"the {r.source} record"
    cur = r.raw
    if cur is None:
        return Unknown(f"{path}: the {r.source} adapter kept no record for this resource", origin)
    walked: list[str] = []
    secret = False   # a step named like a secret (password, auth_token, ...): its value is withheld
    for part in split_path(path):
        secret = secret or secret_name(part)
        if isinstance(cur, Unknown):
            return Unknown(f"{'.'.join(walked) or path} is not known: {cur.reason}", origin)
        if isinstance(cur, list) and isinstance(part, str):
            if len(cur) == 1:   # a Terraform block is a list of one: step into it
                cur = cur[0]
                if isinstance(cur, Unknown):
                    return Unknown(f"{'.'.join(walked) or path} is not known: {cur.reason}", origin)
            elif not cur:
                cur = None
                break
            else:
                return Unknown(f"{'.'.join(walked)} holds {len(cur)} entries: name one ({'.'.join(walked)}[0])",
                               origin)
        if isinstance(cur, dict) and isinstance(part, str):
            if part not in cur:
                if default is not Missing:
                    return Value(default, origin)
                return Missing(f"{path} is not in {what}", origin)
            cur = cur[part]
        elif isinstance(cur, list) and isinstance(part, int):
            if part >= len(cur):
                return Missing(f"{path}: {'.'.join(walked)} has {len(cur)} entries", origin)
            cur = cur[part]
        elif cur is None:
            break   # inside a null block or attribute: the value is null
        else:
            return Missing(f"{path}: {'.'.join(walked) or 'the record'} is not a mapping", origin)
        walked.append(str(part))
    if isinstance(cur, Withheld) or (secret and may_hold(cur)):
        return Withheld(f"{path}: {WITHHELD}", origin)
    if isinstance(cur, Unknown):
        return Unknown(f"{path} is not known: {cur.reason}", origin)
    return Value(_plain(cur, origin), origin)


def _plain(v: Any, origin: Origin) -> Any:
    """A record's value as JSON has it, secrets withheld: botocore gives timestamps as datetimes
    (ISO 8601 text here, as the API sent them), bytes as bytes (not kept: they are binary blobs)."""
    if isinstance(v, (str, int, float, bool)) or v is None or isinstance(v, Unknown):
        return v
    if isinstance(v, dict):
        out = {k: Withheld(WITHHELD, origin) if secret_name(k) and may_hold(x) else _plain(x, origin)
               for k, x in v.items()}
        return v if all(out[k] is v[k] for k in v) else out
    if isinstance(v, (list, tuple)):
        out = [_plain(x, origin) for x in v]
        return v if isinstance(v, list) and all(a is b for a, b in zip(out, v)) else out
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if isinstance(v, (bytes, bytearray)):
        return Unknown(f"binary data ({len(v)} bytes) is not read")
    return str(v)


# ----------------------------------------------------------------------------- comparisons
def _coerce(actual: Any, expected: Any) -> Any:
    """Terraform writes .tf values as text that the provider converts ("true", "5")."""
    if isinstance(actual, str) and isinstance(expected, bool):
        return {"true": True, "false": False}.get(actual.strip().lower(), actual)
    if isinstance(actual, str) and isinstance(expected, (int, float)) and not isinstance(expected, bool):
        try:
            return float(actual)
        except ValueError:
            return actual
    return actual


def _same(actual: Any, expected: Any) -> bool:
    a = _coerce(actual, expected)
    if isinstance(a, bool) != isinstance(expected, bool):
        return False
    return a == expected


_VERSION = re.compile(r"^v?(\d+(?:\.\d+)*)(?:\.([xX*]))?")


def _version(v: Any) -> tuple[tuple[int, ...], bool] | None:
    """(numbers, open) for 7, "7.1", "6.x" (open: later parts unstated), else None."""
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return (tuple(int(p) for p in repr(v).split(".") if p.isdigit()) or (int(v),), False)
    if not isinstance(v, str):
        return None
    m = _VERSION.match(v.strip())
    if not m:
        return None
    return tuple(int(p) for p in m.group(1).split(".")), bool(m.group(2)) or m.end() < len(v.strip())


def _order(actual: Any, bound: Any, op: str) -> Tri:
    """gte/lte: as numbers when both are numbers, else as versions; undecidable -> unknown."""
    if isinstance(actual, (int, float)) and not isinstance(actual, bool) and \
            isinstance(bound, (int, float)) and not isinstance(bound, bool):
        return tri(actual >= bound if op == "gte" else actual <= bound)
    a, b = _version(actual), _version(bound)
    if a is None or b is None:
        return FALSE if actual is None else unknown_tri(f"{shown(actual)} is not a number or a version")
    (av, a_open), (bv, _) = a, b
    n = max(len(av), len(bv))
    left, right = av + (0,) * (n - len(av)), bv + (0,) * (n - len(bv))
    if a_open and av == left[:len(av)] and av == right[:len(av)] and len(av) < len(bv):
        return unknown_tri(f"{shown(actual)} does not say which {'.'.join(map(str, bv))} release")
    return tri(left >= right if op == "gte" else left <= right)


class Pattern:
    """A `matches` regular expression: RE2 (linear time in the input, no backtracking)."""

    def __init__(self, text: str, file: str, where: str):
        import re2  # google-re2, as Terraform's regex functions use it
        if len(text) > MAX_PATTERN:
            raise InputError(f"a pattern of {len(text)} characters (at most {MAX_PATTERN})", file, where)
        opts = re2.Options()
        opts.log_errors = False
        try:
            self.rx = re2.compile(text, options=opts)
        except re2.error as e:
            raise InputError(f"not a valid regular expression (RE2 syntax): {e}", file, where)
        self.text = text

    def search(self, s: str) -> bool:
        return self.rx.search(s) is not None


def _test(op: str, arg: Any, v: Value) -> Tri:
    if isinstance(v, Missing) and op == "exists":
        return tri(not arg)
    if isinstance(v, Withheld) and op == "exists":
        return tri(bool(arg))   # a secret is set; only its value is not shown
    if not v.known:
        return unknown_tri(v.reason)
    x = v.value
    if op == "exists":
        return tri((x is not None) == bool(arg))
    if op == "equals":
        return tri(_same(x, arg))
    if op == "not_equals":
        return tri(not _same(x, arg))
    if op == "in":
        return tri(any(_same(x, a) for a in arg))
    if op == "not_in":
        return tri(not any(_same(x, a) for a in arg))
    if op in ("gte", "lte"):
        return _order(x, arg, op)
    if op == "matches":
        if x is None:
            return FALSE
        if isinstance(x, (dict, list)):
            return unknown_tri(f"{v.origin.path} is not text")
        return tri(arg.search(x if isinstance(x, str) else str(x).lower() if isinstance(x, bool) else str(x)))
    if op == "contains":
        if x is None:
            return FALSE
        if isinstance(x, str):
            return tri(isinstance(arg, str) and arg in x)
        if isinstance(x, dict):
            return tri(arg in x)
        if isinstance(x, list):
            if any(isinstance(e, Unknown) for e in x) and not any(_same(e, arg) for e in x):
                return unknown_tri(f"{v.origin.path} holds values not known yet")
            return tri(any(_same(e, arg) for e in x))
        return FALSE
    raise AssertionError(op)


# ----------------------------------------------------------------------------- conditions
class Cond:
    """A compiled condition: a leaf (field, operator, argument) or all/any/not of others."""

    def __init__(self, op: str, field: str | None = None, arg: Any = None, parts: list["Cond"] | None = None):
        self.op, self.field, self.arg, self.parts = op, field, arg, parts or []

    def fields(self) -> list[str]:
        if self.field:
            return [self.field]
        return [f for p in self.parts for f in p.fields()]

    def params(self) -> list["Cond"]:
        """The leaves whose operand is a parameter."""
        if self.field:
            return [self] if isinstance(self.arg, Param) else []
        return [c for p in self.parts for c in p.params()]

    def evaluate(self, get, params: dict[str, Any]) -> Tri:
        if self.op == "all":
            out = TRUE
            for p in self.parts:
                out = out & p.evaluate(get, params)
            return out
        if self.op == "any":
            out = FALSE
            for p in self.parts:
                out = out | p.evaluate(get, params)
            return out
        if self.op == "not":
            return ~self.parts[0].evaluate(get, params)
        arg = self.arg
        if isinstance(arg, Param):
            arg = arg.value(params, self.op)
        return _test(self.op, arg, get(self.field))

    def describe(self) -> str:
        if self.op in ("all", "any"):
            return f" {'and' if self.op == 'all' else 'or'} ".join(f"({p.describe()})" for p in self.parts)
        if self.op == "not":
            return f"not ({self.parts[0].describe()})"
        arg = self.arg.text if isinstance(self.arg, Pattern) else self.arg
        shown_arg = f"the parameter {arg.name}" if isinstance(arg, Param) else repr(arg)
        return f"{self.field} {self.op.replace('_', ' ')} {shown_arg}"


class Param:
    """An operand a profile may change: ``{gte: {param: min_version}}`` with ``params: {min_version: 7}``."""

    def __init__(self, name: str):
        self.name = name
        self._patterns: dict[str, Pattern] = {}

    def value(self, params: dict[str, Any], op: str) -> Any:
        v = params[self.name]
        if op == "matches":   # checked when the profile was read (YamlControl.validate)
            if v not in self._patterns:
                self._patterns[v] = Pattern(v, "", "")
            return self._patterns[v]
        return v


def operand_problem(op: str, arg: Any) -> str | None:
    if op in ("in", "not_in") and not isinstance(arg, list):
        return f"{op} takes a list"
    if op in ("gte", "lte") and (isinstance(arg, bool) or _version(arg) is None):
        return f"{op} takes a number or a version, not {shown(arg)}"
    if op == "exists" and not isinstance(arg, bool):
        return "exists takes true or false"
    if op == "matches" and not isinstance(arg, str):
        return "matches takes a regular expression (text)"
    if op == "contains" and isinstance(arg, (dict, list)):
        return "contains takes a single value"
    return None


def compile_cond(spec: Any, file: str, where: str, line, params: dict[str, Any] | None = None) -> Cond:
    params = params or {}
    if not isinstance(spec, dict) or not spec:
        raise InputError("a condition must be a mapping (field + operator, or all/any/not)", file, line(where))
    combos = [k for k in spec if k in COMBINATORS]
    if combos:
        if len(spec) != 1:
            raise InputError(f"{combos[0]} stands alone in its condition (found {', '.join(map(str, spec))})",
                             file, line(where))
        op = combos[0]
        body = spec[op]
        if op == "not":
            return Cond("not", parts=[compile_cond(body, file, f"{where}.not", line, params)])
        if not isinstance(body, list) or not body:
            raise InputError(f"{op} takes a list of conditions", file, line(f"{where}.{op}"))
        return Cond(op, parts=[compile_cond(c, file, f"{where}.{op}[{i}]", line, params)
                               for i, c in enumerate(body)])
    if "field" not in spec:
        raise InputError(f"unknown operator {shown(next(iter(spec)))} (expected field with one of "
                         f"{', '.join(OPERATORS)}, or {', '.join(COMBINATORS)})", file, line(where))
    ops = [k for k in spec if k != "field"]
    for k in ops:
        if k not in OPERATORS:
            raise InputError(f"unknown operator {shown(k)} (expected one of {', '.join(OPERATORS)})", file,
                             line(f"{where}.{k}"))
    if len(ops) != 1:
        raise InputError("a condition has one operator (compose several with all)", file, line(where))
    op, arg, field = ops[0], spec[ops[0]], spec["field"]
    if not isinstance(field, str) or not field:
        raise InputError("field must be a field name", file, line(f"{where}.field"))
    param = None
    if isinstance(arg, dict) and set(arg) == {"param"}:
        if arg["param"] not in params:
            raise InputError(f"parameter {shown(arg['param'])} is not declared under params", file,
                             line(f"{where}.{op}"))
        param = Param(arg["param"])
        arg = params[param.name]   # the default is checked like a literal operand
    problem = operand_problem(op, arg)
    if problem:
        raise InputError(problem + (f" (the default of {param.name})" if param else ""), file, line(f"{where}.{op}"))
    if op == "matches":
        arg = Pattern(arg, file, line(f"{where}.{op}"))
    return Cond(op, field, param or arg)


# ----------------------------------------------------------------------------- messages
class Message:
    """A pass/fail/unknown message; ``{name}`` is the value of the control's parameter ``name``
    in the active profile (``{{`` and ``}}`` are braces), so a message says what the profile asks:
    "Redis is older than {min_version}" reads "older than 6" under a profile that lowers it."""

    def __init__(self, text: str, params: dict[str, Any], file: str, where: str | None):
        import string
        self.parts: list[tuple[str, str | None]] = []
        try:
            parsed = list(string.Formatter().parse(text))
        except ValueError as e:   # a lone { or }
            raise InputError(f"message: a brace that is not a {{parameter}} ({e}): write {{{{ and }}}} for braces",
                             file, where)
        for literal, name, spec, conversion in parsed:
            if name is not None:
                if spec or conversion or not name:
                    raise InputError(f"message: {{{name}{'!' + conversion if conversion else ''}"
                                     f"{':' + spec if spec else ''}}} is not a parameter placeholder (write "
                                     f"{{name}}, name one of params)", file, where)
                if name not in params:
                    known = ", ".join(sorted(params)) or "none are declared"
                    raise InputError(f"message: unknown parameter {shown(name)} in {{{name}}} (params: {known})",
                                     file, where)
            self.parts.append((literal, name))

    def text(self, params: dict[str, Any]) -> str:
        return "".join(lit + (_say(params[name]) if name is not None else "") for lit, name in self.parts)


def _placeholders(text: Any, params: dict[str, Any]) -> str | None:
    """The first declared parameter a text writes as {name} (literal braces elsewhere are text)."""
    if not isinstance(text, str) or "{" not in text:
        return None
    import string
    try:
        return next((name for _, name, _, _ in string.Formatter().parse(text) if name in params), None)
    except ValueError:
        return None


def _say(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, tuple)):
        return ", ".join(_say(x) for x in v)
    return str(v)


# ----------------------------------------------------------------------------- controls
class FieldSpec:
    def __init__(self, name: str, paths: dict[str, Any]):
        self.name = name
        self.paths = paths   # source key -> str | {type: str} | {"path": str, "default": x}

    def for_resource(self, r: Resource) -> tuple[str, Any] | None:
        """(path, default) for this resource's source and type, None when the control gives none."""
        key = "terraform" if r.source.startswith("terraform") else r.source
        p = self.paths.get(key)
        if isinstance(p, dict) and "path" not in p:
            p = p.get(r.type)
        if p is None:
            return None
        if isinstance(p, dict):
            return p["path"], p.get("default", Missing)
        return p, Missing


class YamlControl(Control):
    """A control read from a YAML file: applicability, fields and condition as the file says."""

    origin: dict[str, Any]
    types: tuple[str, ...]
    user_fields: dict[str, FieldSpec]
    cond: Cond
    messages: dict[str, "Message"]
    no_path: dict[tuple[str, str], str]   # (source, type) -> the field it has no path for (coverage, once)

    def _paths(self, r: Resource) -> dict[str, tuple[str, Any]] | None:
        out = {}
        for name in self.cond.fields():
            spec = self.user_fields.get(name)
            if spec is None:
                continue
            got = spec.for_resource(r)
            if got is None:
                self.no_path.setdefault((r.source, r.type), name)
                return None
            out[name] = got
        return out

    def applies(self, r: Resource) -> bool:
        if self.kinds and r.kind not in self.kinds:
            return False
        if self.types and r.type not in self.types:
            return False
        if self.fields and not any(r.has(f) for f in self.fields):
            return False
        return self._paths(r) is not None

    def check_params(self, params: dict[str, Any], _all: dict) -> str | None:
        """A profile's values for this control's parameters, checked as the file's operands are."""
        for leaf in self.cond.params():
            v = params[leaf.arg.name]
            problem = operand_problem(leaf.op, v)
            if problem:
                return f"{self.id} params.{leaf.arg.name}: {problem}"
            if leaf.op == "matches":
                try:
                    leaf.arg.value(params, "matches")
                except InputError as e:
                    return f"{self.id} params.{leaf.arg.name}: {e.message}"
        return None

    def check(self, r: Resource, ctx) -> Verdict:
        paths = self._paths(r) or {}
        seen: dict[str, Value] = {}

        def get(name: str) -> Value:
            if name not in seen:
                if name in paths:
                    path, default = paths[name]
                    seen[name] = resolve_path(r, path, name, default)
                else:
                    seen[name] = r[name]
            return seen[name]

        result = self.cond.evaluate(get, ctx.params)
        chk = Check()
        values = [seen[n] for n in self.cond.fields() if n in seen]
        said = {k: m.text(ctx.params) for k, m in self.messages.items()}
        fail = said.get("fail") or f"the requirement does not hold: {self.cond.describe()}"
        chk.require(result, fail, said.get("unknown"), *values)
        for v in values:   # evidence keyed by the path as the source calls it
            chk.see(v)
        return chk.verdict(said.get("pass") or f"{self.cond.describe()} holds")


def load_file(path: str, taken: dict[str, str]) -> list[YamlControl]:
    """Controls of one YAML file; ``taken``: ids already declared (id -> where), updated."""
    from .yamlfile import read_yaml
    yf = read_yaml(path, "rules", with_nodes=True)
    data, root = yf.data, yf.node

    def line(where: str) -> str | None:
        node = _node_at(root, where)
        return str(node.start_mark.line + 1) if node is not None else None

    if not isinstance(data, dict) or set(data) != {"controls"} or not isinstance(data["controls"], list):
        raise InputError("a rules file is a mapping with one key, controls: a list of controls", path,
                         line("") or "1")
    out = []
    for i, c in enumerate(data["controls"]):
        out.append(_control(c, path, f"controls[{i}]", line, taken, yf.sha256))
    return out


def _node_at(node, where: str):
    """The YAML node at a dotted path such as controls[0].require.all[1] (for line numbers)."""
    import yaml
    for name, index in _PART.findall(where):
        if node is None:
            return None
        if index:
            node = node.value[int(index)] if isinstance(node, yaml.SequenceNode) and int(index) < len(node.value) \
                else node
        elif isinstance(node, yaml.MappingNode):
            nxt = None
            for k, v in node.value:
                if getattr(k, "value", None) == name:
                    nxt = k if v is None else v
                    break
            if nxt is None:
                return node
            node = nxt
    return node


def _control(c: Any, file: str, where: str, line, taken: dict[str, str], sha: str) -> YamlControl:
    def need(key: str, kind, text: str):
        v = c.get(key)
        if not isinstance(v, kind) or isinstance(v, bool) or v in ("", [], {}):
            raise InputError(f"{key} is required: {text}", file, line(f"{where}.{key}" if key in c else where))
        return v

    if not isinstance(c, dict):
        raise InputError("a control is a mapping (id, title, ...)", file, line(where))
    for k in c:
        if k not in CONTROL_KEYS:
            raise InputError(f"unknown key {shown(k)} (expected {', '.join(sorted(CONTROL_KEYS))})", file,
                             line(f"{where}.{k}"))
    cid = need("id", str, "an id such as ACME-DB-01")
    if not ID_RE.match(cid):
        raise InputError(f"id {shown(cid)} must be PREFIX-NAME in capitals and digits (ACME-DB-01)", file,
                         line(f"{where}.id"))
    if cid.split("-", 1)[0] in CATALOGUE_FAMILIES:
        raise InputError(f"id {cid} uses the catalogue's prefix {cid.split('-', 1)[0]}: give your controls a "
                         f"prefix of your own (ACME-...)", file, line(f"{where}.id"))
    if cid in taken:
        raise InputError(f"control id {cid} is already declared ({taken[cid]})", file, line(f"{where}.id"))
    taken[cid] = f"{file}:{line(f'{where}.id')}"
    title = need("title", str, "a one-line title")
    family = str(c.get("family") or cid.split("-", 1)[0])
    severity = str(need("severity", str, ", ".join(SEVERITIES))).lower()
    if severity not in SEVERITIES:
        raise InputError(f"unknown severity {shown(c['severity'])} (expected {', '.join(SEVERITIES)})", file,
                         line(f"{where}.severity"))
    soc2 = c.get("soc2") or []
    if not isinstance(soc2, list) or not all(isinstance(s, str) for s in soc2):
        raise InputError("soc2 is a list of criteria (CC6.1, A1.2, ...)", file, line(f"{where}.soc2"))
    applies = need("applies_to", dict, "kinds and/or types")
    for k in applies:
        if k not in ("kinds", "types"):
            raise InputError(f"unknown key {shown(k)} under applies_to (expected kinds, types)", file,
                             line(f"{where}.applies_to.{k}"))
    kinds, types = applies.get("kinds") or [], applies.get("types") or []
    if not isinstance(kinds, list) or not isinstance(types, list) or not (kinds or types):
        raise InputError("applies_to names kinds and/or types (lists)", file, line(f"{where}.applies_to"))
    for k in kinds:
        if k not in KINDS:
            raise InputError(f"unknown kind {shown(k)} (expected one of {', '.join(KINDS)})", file,
                             line(f"{where}.applies_to.kinds"))
    fields_spec = c.get("fields") or {}
    if not isinstance(fields_spec, dict):
        raise InputError("fields is a mapping of field name -> per-source paths", file, line(f"{where}.fields"))
    user_fields = {}
    for name, paths in fields_spec.items():
        fw = f"{where}.fields.{name}"
        if not isinstance(paths, dict) or not paths:
            raise InputError(f"field {name} gives its path per source (terraform, aws, azure)", file, line(fw))
        for src, p in paths.items():
            if src not in SOURCE_KEYS:
                raise InputError(f"unknown source {shown(src)} (expected terraform, aws, azure)", file,
                                 line(f"{fw}.{src}"))
            _check_path(p, file, line(f"{fw}.{src}"))
        user_fields[name] = FieldSpec(name, paths)
    if "require" not in c:
        raise InputError("require is required: the condition that must hold", file, line(where))
    params = c.get("params") or {}
    if not isinstance(params, dict) or not all(isinstance(k, str) and v is not None for k, v in params.items()):
        raise InputError("params is a mapping of name -> default value", file, line(f"{where}.params"))
    cond = compile_cond(c["require"], file, f"{where}.require", line, params)
    model_used = []
    for name in cond.fields():
        if name in user_fields:
            continue
        if name not in MODEL_FIELDS:
            raise InputError(f"field {shown(name)} is used but not declared under fields (nor a model field)",
                             file, line(f"{where}.require"))
        model_used.append(name)
    messages = c.get("message") or {}
    if not isinstance(messages, dict) or any(k not in ("pass", "fail", "unknown") or not isinstance(v, str)
                                             for k, v in messages.items()):
        raise InputError("message is a mapping of pass/fail/unknown to text", file, line(f"{where}.message"))
    messages = {k: Message(v, params, file, line(f"{where}.message.{k}")) for k, v in messages.items()}
    for key in ("title", "requirement"):
        named = _placeholders(c.get(key), params)
        if named:
            raise InputError(f"{key} names the parameter {{{named}}}: a {key} is the control's fixed name in every "
                             f"report and listing, so parameters go in message (the profile may change them)",
                             file, line(f"{where}.{key}"))
    requirement = c.get("requirement") or title
    # a control that names its types looks at them whatever their kind: the engine leaves link kinds
    # (cluster members, backup replications, ...) to controls that name the kind
    ctl = YamlControl(cid, title, family, severity, list(soc2), tuple(kinds or (KINDS if types else ())),
                      tuple(dict.fromkeys(model_used)),
                      dict(params), str(requirement), None)
    ctl.validate = ctl.check_params
    ctl.func = ctl.check
    ctl.types = tuple(types)
    ctl.user_fields = user_fields
    ctl.cond = cond
    ctl.messages = messages
    ctl.no_path = {}
    ctl.origin = {"kind": "yaml", "path": file, "line": int(line(f"{where}.id") or 0) or None, "sha256": sha}
    return ctl


def _check_path(p: Any, file: str, where: str | None) -> None:
    if isinstance(p, str) and split_path(p):
        return
    if isinstance(p, dict) and "path" in p:
        if set(p) - {"path", "default"} or not isinstance(p["path"], str) or not split_path(p["path"]):
            raise InputError("a path with a default is {path: a.b, default: value}", file, where)
        return
    if isinstance(p, dict) and p and all(isinstance(k, str) and k.startswith(("aws_", "azurerm_", "azapi_"))
                                         for k in p):
        for v in p.values():
            _check_path(v, file, where)
        return
    raise InputError("a path is text (a.b[0].c), {path:, default:}, or a mapping of Terraform type -> path",
                     file, where)


def is_rules_file(path: str) -> bool:
    return os.path.splitext(path)[1].lower() in (".yaml", ".yml")
