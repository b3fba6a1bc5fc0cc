"""Terraform plan adapter: ``terraform show -json`` output (format 0.1 to 1.x, OpenTofu).

Reads resources from ``planned_values`` (child modules included), marks values
known only after apply as Unknown (``resource_changes[].change.after_unknown``),
and resolves references through the ``configuration`` section, following
module inputs that pass a reference straight through.
"""
from __future__ import annotations

import json
import math
import os
import re
import sys
from typing import Any

from ...errors import InputError, json_path
from ...values import Origin, Unknown, Value
from . import plan_schema
from .tfmodel import TfProject, TfResource

AFTER_APPLY = "known only after apply"
_UNSET = object()
_AFTER_APPLY = Unknown(AFTER_APPLY)
_RES_RE = re.compile(r'^((?:data\.)?[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)((?:\[[^\]]*\])?)')
_MOD_SEG_RE = re.compile(r'module\.([A-Za-z0-9_-]+)(\[[^\]]*\])?')
_INSTANCE_KEY_RE = re.compile(r'\[(?:\d+|"(?:[^"\\]|\\.)*")\]$')


def read_json(path: str) -> Any:
    return parse_json(read_bytes(path), path)


def read_bytes(path: str) -> bytes:
    """The bytes of a JSON input file (one read: the scan hashes and parses these same bytes)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise InputError("file not found", path)
    except IsADirectoryError:
        raise InputError("is a directory, not a plan file", path)
    except PermissionError:
        raise InputError("permission denied", path)
    if not data.strip():
        raise InputError("file is empty (expected `terraform show -json` output)", path)
    return data


class _NonFinite:
    """NaN, Infinity or a number too large for a float (1e999), found while parsing: reported with its path."""

    def __init__(self, text: str):
        self.text = text


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")   # rare: checked one by one
_LONG_INT = re.compile(r"\d{4301,}")


def parse_json(data: bytes, path: str, too_deep: InputError | None = None) -> Any:
    """Strict JSON (RFC 8259): no NaN/Infinity, no number a float cannot hold, no lone surrogate.

    Python's json module accepts the first three (as nan/inf, so "kept inf days" could pass
    a retention rule) and the last (a str no output can encode), raises ValueError for an
    integer of more than 4,300 digits and RecursionError for deep nesting: each is an input
    error here, named by its place.

    A large input is first given to msgspec when it is installed (the ``fast`` extra): see
    ``_fast_parse``.  What it accepts is the document this function gives; what it refuses is
    parsed again below, which names the error.
    """
    if len(data) >= FAST_FROM:
        doc = _fast_parse(data)
        if doc is not _REFUSED:
            return doc
    try:
        text = data.decode(json.detect_encoding(data), "strict")
    except UnicodeDecodeError as e:
        raise InputError(f"not UTF-8 text at byte {e.start} (is this a binary plan? run "
                         "`terraform show -json plan.out > plan.json`)", path) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    bad: list[_NonFinite] = []

    def non_finite(s: str) -> Any:
        bad.append(_NonFinite(s))
        return bad[-1]

    def number(s: str) -> Any:
        f = float(s)
        return f if math.isfinite(f) else non_finite(s)

    try:
        doc = json.loads(text, parse_constant=non_finite, parse_float=number)
    except json.JSONDecodeError as e:
        raise InputError(f"not valid JSON: {e.msg}", path, f"{e.lineno}:{e.colno}") from None
    except RecursionError:
        raise too_deep or InputError(f"not readable: JSON nested more than {sys.getrecursionlimit() - 50} "
                                     "levels deep", path) from None
    except ValueError as e:   # int() of more than sys.get_int_max_str_digits() digits
        m = _LONG_INT.search(text)
        where = _line_col(text, m.start()) if m else None
        raise InputError(f"not readable: a number of more than 4300 digits ({' '.join(str(e).split())[:80]})",
                         path, where) from None
    if bad:
        raise InputError(f"not valid JSON: {bad[0].text[:40]} is not a finite number", path,
                         _path_of(doc, bad[0]))
    lone = _lone_surrogate(text)
    if lone is not None:
        raise InputError(f"not valid JSON text: an unpaired surrogate escape ({text[lone:lone + 6]}) is not a "
                         "character", path, _line_col(text, lone))
    return doc


# Inputs from this size on go to msgspec first (when installed): below it, importing msgspec
# (about 10 ms) costs more than its faster parse saves.  Tests set it to 0.
FAST_FROM = 1 << 20
_REFUSED = object()
_fast_decode: Any = None   # msgspec.json.Decoder().decode, False when msgspec is not installed


def _fast_parse(data: bytes) -> Any:
    """The document msgspec parses from ``data``, or _REFUSED.

    msgspec is strict where this module's parser is strict, and gives the same values where both
    accept (tests/test_fast_json.py holds the two to it): it refuses NaN and Infinity, numbers no
    float can hold (1e999), integers over 4,300 digits, lone surrogate escapes, invalid UTF-8 and
    nesting past the recursion limit; floats are correctly rounded, a duplicate key keeps its first
    place and its last value.  It also refuses what the strict parser accepts (a UTF-8 byte order
    mark, UTF-16 and UTF-32 text): anything it refuses goes to the strict parser, which either
    accepts it or names the error, so the fast path changes no answer and no message, only the
    time (a 32 MB plan: 0.10 s against 0.20 s, and no 32 MB str of the text).
    ``SPECGUARD_JSON=stdlib`` in the environment turns it off."""
    global _fast_decode
    if _fast_decode is None:
        from ...fast_json import msgspec_json
        mod = msgspec_json()
        _fast_decode = mod.Decoder().decode if mod is not None else False
    if _fast_decode is False:
        return _REFUSED
    # Both parsers give up at the interpreter's recursion limit, msgspec a few levels deeper than
    # json: with the limit lowered while it parses, it gives up first, and a document nested just
    # below json's limit goes to the strict parser, which decides as it always did.
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(limit - _DEPTH_MARGIN)
    try:
        return _fast_decode(data)
    except Exception:   # DecodeError, ValidationError (range), RecursionError: the strict parser decides
        return _REFUSED
    finally:
        sys.setrecursionlimit(limit)


_DEPTH_MARGIN = 16   # msgspec 0.23 nests 4 levels deeper than json (tests/test_fast_json.py holds it)


def _lone_surrogate(text: str) -> int | None:
    """Where a \\uD800-\\uDFFF escape is not half of a pair (None: nowhere)."""
    paired_low = -1
    for m in _SURROGATE_ESCAPE.finditer(text):
        j = m.start()
        k = j
        while k > 0 and text[k - 1] == "\\":
            k -= 1
        if (j - k) % 2:
            continue   # "\\\\ud800": an escaped backslash, then text
        if j == paired_low:
            continue
        code = int(text[j + 2:j + 6], 16)
        nxt = text[j + 6:j + 12]
        if code <= 0xDBFF and len(nxt) == 6 and nxt[:2] == "\\u" and nxt[2] in "dD" and nxt[3] in "cdefCDEF":
            paired_low = j + 6
            continue
        return j
    return None


def _line_col(text: str, pos: int) -> str:
    line = text.count("\n", 0, pos) + 1
    return f"{line}:{pos - (text.rfind(chr(10), 0, pos) + 1) + 1}"


def _path_of(doc: Any, target: Any) -> str:
    """The JSON path of ``target`` (by identity) in ``doc``; iterative, so depth cannot overflow."""
    stack: list[tuple[Any, tuple]] = [(doc, ())]
    while stack:
        node, parts = stack.pop()
        if node is target:
            return json_path(parts)
        if isinstance(node, dict):
            stack.extend((v, parts + (k,)) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, parts + (i,)) for i, v in enumerate(node))
    return "$"


_VERSION_RE = re.compile(r"^(\d+)(?:\.\d+)*$")
SUPPORTED_MAJORS = (0, 1)   # format 0.1 (Terraform 0.12) to 1.x (Terraform 1.x, OpenTofu)


def check_format_version(fv: Any, path: str) -> None:
    """format_version's major version must be one specguard knows; a minor one it does not know
    only adds to the format (Terraform's compatibility promise), so it is read."""
    if not isinstance(fv, str):
        raise InputError(f"malformed plan: format_version must be a string like \"1.2\", found "
                         f"{plan_schema.kind(fv)}", path, "$.format_version")
    m = _VERSION_RE.match(fv.strip())
    if not m:
        raise InputError(f"format_version {json.dumps(fv)[:40]} is not a version "
                         "(expected a Terraform plan format such as \"1.2\")", path, "$.format_version")
    if int(m.group(1)) not in SUPPORTED_MAJORS:
        raise InputError(f"format_version {fv.strip()} is not supported: specguard reads 0.x and 1.x",
                         path, "$.format_version")


def looks_like_plan(doc: Any) -> bool:
    return isinstance(doc, dict) and "format_version" in doc and (
        "planned_values" in doc or "resource_changes" in doc)


def load_plan(path: str, doc: Any | None = None) -> "PlanProject":
    doc = read_json(path) if doc is None else doc
    if not isinstance(doc, dict):
        raise InputError("not a Terraform plan: the top level is not a JSON object", path, "$")
    if "format_version" not in doc:
        raise InputError("not a Terraform plan: no 'format_version' (expected `terraform show -json` output)", path, "$")
    check_format_version(doc["format_version"], path)
    if "planned_values" not in doc and "resource_changes" not in doc:
        if "values" in doc:
            raise InputError("this is Terraform state (`terraform show -json` of a state), not a plan: "
                             "scan `terraform show -json plan.out` instead", path, "$.values")
        raise InputError("not a Terraform plan: no 'planned_values'", path, "$")
    bad = plan_schema.first_error(doc)
    if bad is not None:
        raise InputError(f"malformed plan: {bad[1]}", path, bad[0])
    if doc.get("errored") is True:
        raise InputError("the plan errored (`terraform plan` did not finish): its planned values are partial; "
                         "fix the plan and scan it again", path, "$.errored")
    try:
        return PlanProject(doc, path)
    except RecursionError:
        raise InputError("malformed plan: nested too deeply to read (modules or after_unknown)", path, "$") from None


class PlanProject(TfProject):
    strict_values = True   # Terraform converted every value and the provider validated it

    def __init__(self, doc: dict, path: str):
        super().__init__(source_path=path)
        self.doc = doc
        self.config = (doc.get("configuration") or {})
        self.variables = doc.get("variables") or {}
        changes = {}
        change_paths = {}
        for i, rc in enumerate(doc.get("resource_changes") or []):
            if isinstance(rc, dict) and "address" in rc:
                changes[rc["address"]] = rc
                change_paths[rc["address"]] = i   # its JSON path, written when needed (_change_path)
        self._changes = changes
        # id(TfResource) -> where the plan holds it and its values: (module's JSON path, index) for a
        # resource of planned_values, else (JSON path, values' JSON path); the text is written when an
        # error needs it (_paths), not for every resource
        self._where: dict[int, tuple] = {}
        self._config_of: dict[int, dict | None] = {}   # id(TfResource) -> its configuration resource
        self._refs_memo: tuple[int, dict] = (0, {})
        self.sensitive: dict[int, Any] = {}     # id(TfResource) -> its sensitive_values marks, when any
        root = (doc.get("planned_values") or {}).get("root_module") or {}
        self._walk(root, "", "$.planned_values.root_module")
        self.notes: list[tuple[str, str]] = []   # (coverage kind, message) for the run
        if doc.get("complete") is False:
            self.notes.append(("plan-incomplete", "the plan is incomplete (complete = false): Terraform deferred "
                                                  "some changes to a later plan; deferred resources are unknown"))
        for i, d in enumerate(doc.get("deferred_changes") or []):
            rc = (d or {}).get("resource_change") or {}
            if "address" in rc and "type" in rc:
                # Nothing about a deferred resource is known yet: every value is unknown.
                why = f"deferred by Terraform ({d.get('reason', 'reason not given')})"
                self._add(rc, rc.get("module_address", ""), {}, ("deferred",),
                          jpath=f"$.deferred_changes[{i}].resource_change")
                self.resources[-1].values = Unknown(why)
                self.notes.append(("deferred-change", f"{rc['address']}: {why}"))
                if rc["address"] not in changes:
                    changes[rc["address"]] = rc
                    change_paths[rc["address"]] = f"$.deferred_changes[{i}].resource_change"
        seen = {r.address for r in self.resources}
        # Resources only in resource_changes (deletes, or plans without planned_values).
        for addr, rc in changes.items():
            if addr not in seen and rc.get("mode", "managed") in ("managed", "data"):
                ch = rc.get("change") or {}
                actions = tuple(ch.get("actions") or ())
                side = "after" if actions != ("delete",) else "before"
                where = _change_path(change_paths[addr])
                self._add(rc, rc.get("module_address", ""), ch.get(side), actions,
                          jpath=where, vpath=f"{where}.change.{side}")

    # ---------------------------------------------------------------- reading
    def _walk(self, mod: dict, mod_addr: str, jpath: str) -> None:
        if not isinstance(mod, dict):
            raise InputError("malformed plan: module is not an object", self.source_path, jpath)
        if not isinstance(mod.get("resources") or [], list):
            raise InputError("malformed plan: 'resources' is not a list", self.source_path, f"{jpath}.resources")
        if not isinstance(mod.get("child_modules") or [], list):
            raise InputError("malformed plan: 'child_modules' is not a list", self.source_path,
                             f"{jpath}.child_modules")
        for i, r in enumerate(mod.get("resources") or []):
            if not isinstance(r, dict) or "address" not in r or "type" not in r:
                raise InputError("malformed plan: resource without address/type", self.source_path,
                                 f"{jpath}.resources[{i}]")
            rc = self._changes.get(r["address"], {})
            actions = tuple((rc.get("change") or {}).get("actions") or ())
            self._add(r, mod.get("address", mod_addr), r.get("values"), actions, rc, planned=(jpath, i))
        for i, child in enumerate(mod.get("child_modules") or []):
            self._walk(child, child.get("address", ""), f"{jpath}.child_modules[{i}]")

    def _add(self, r: dict, mod_addr: str, values: dict | None, actions: tuple, rc: dict | None = None,
             jpath: str = "$", vpath: str = "$", planned: tuple | None = None) -> None:
        """``planned``: (module's JSON path, index) of a resource of planned_values; else ``jpath``
        and ``vpath`` say where the resource and its values are."""
        rc = rc if rc is not None else r
        where = planned if planned is not None else (jpath, vpath)
        self._check_identity(r, where, planned=planned is not None, actions=actions)
        unknown = (rc.get("change") or {}).get("after_unknown") or {}
        if values is None:
            # Terraform always writes a resource's values: without them nothing about it is
            # known (read as defaults, an empty security group would pass)
            vals: Any = Unknown("the plan gives no values for it")
        else:
            vals = _mark_unknown(values, unknown, r["address"])
        provider_key = ""
        cfg = self._config_resource(mod_addr, r)
        if cfg:
            provider_key = cfg.get("provider_config_key", "")
        self.resources.append(TfResource(
            address=r["address"], type=r["type"], name=r.get("name", ""), mode=r.get("mode", "managed"),
            module=mod_addr or "", index=r.get("index"), provider_key=provider_key, values=vals,
            source="terraform-plan", actions=actions, project=self))
        self._config_of[id(self.resources[-1])] = cfg   # expression() asks for it again, many times
        self._where[id(self.resources[-1])] = where
        marks = r.get("sensitive_values") or (rc.get("change") or {}).get("after_sensitive")
        if marks and _marks_any(marks):   # what Terraform marks sensitive: withheld from users' fields
            self.sensitive[id(self.resources[-1])] = marks   # (scanner/withheld.py)

    def _check_identity(self, r: dict, where: tuple, planned: bool, actions: tuple) -> None:
        """A resource's address, type, name and mode agree, as Terraform writes them: a mutant
        type or mode would map a failing resource as another kind (or none) and its findings
        would vanish; a resource planned for deletion is not in planned_values."""
        addr, typ = r["address"], r["type"]
        mode = r.get("mode", "managed")
        if not _names(addr, typ, r.get("name"), mode):
            raise InputError(f"malformed plan: address {json.dumps(addr)[:120]} does not name the {mode} "
                             f"resource {json.dumps(typ)[:60]}.{json.dumps(r.get('name'))[:60]} this entry describes",
                             self.source_path, _paths(where)[0])
        if planned and actions == ("delete",):
            raise InputError(f"malformed plan: {addr} is in planned_values but its change deletes it",
                             self.source_path, _paths(where)[0])

    def value_error(self, res: TfResource, parts: tuple, message: str) -> InputError | None:
        """A value of a type its provider never gives, or that it never accepts: malformed plan."""
        where = self._where.get(id(res))
        if where is None:
            return None
        where = _paths(where)[1]
        return InputError(f"malformed plan: {message} ({res.address})", self.source_path,
                          where + json_path(parts)[1:])

    def unreadable(self, res: TfResource, exc: Exception) -> InputError | None:
        """The input error for a resource whose attributes a mapper could not read.

        The schema checks the plan's structure; attribute values are provider data it does
        not know, so a value of a type its provider never gives (a list where a string is
        expected) can still trip a mapper. Named by the resource's place in the plan, never
        as an internal error; SPECGUARD_DEBUG=1 shows the traceback instead.
        """
        if os.environ.get("SPECGUARD_DEBUG"):
            return None
        where = self._where.get(id(res))
        if where is None:
            return None
        where = _paths(where)[0]
        detail = " ".join(str(exc).split())[:120]   # one line
        return InputError(f"malformed plan: cannot read the attributes of {res.address} "
                          f"({exc.__class__.__name__}: {detail}): one of its values or configuration "
                          f"expressions has a type {res.type} never has", self.source_path, where)

    # ---------------------------------------------------------- configuration
    def _config_module(self, mod_addr: str) -> dict | None:
        # Every instance of a module shares one configuration: memoized per module address.
        memo = self.__dict__.setdefault("_config_module_memo", {})
        if mod_addr in memo:
            return memo[mod_addr]
        node = self.config.get("root_module") or {}
        for name, _idx in _MOD_SEG_RE.findall(mod_addr or ""):
            call = (node.get("module_calls") or {}).get(name)
            if not call:
                node = None
                break
            node = call.get("module") or {}
        memo[mod_addr] = node
        return node

    def _config_resource(self, mod_addr: str, r: dict) -> dict | None:
        return self._config_local(mod_addr, ("data." if r.get("mode") == "data" else "")
                                  + f"{r['type']}.{r.get('name', '')}")

    def _config_res(self, res: TfResource) -> dict | None:
        """The configuration resource of ``res`` (the one found when the plan was read, for its resources)."""
        cfg = self._config_of.get(id(res), _UNSET)
        if cfg is _UNSET:
            cfg = self._config_local(res.module, ("data." if res.mode == "data" else "") + f"{res.type}.{res.name}")
        return cfg

    def _config_local(self, mod_addr: str, local: str) -> dict | None:
        node = self._config_module(mod_addr)
        if not node:
            return None
        memo = self.__dict__.setdefault("_config_resources_memo", {})
        by_local = memo.get(id(node))   # the config nodes live as long as self.doc
        if by_local is None:
            by_local = memo[id(node)] = {}
            for c in node.get("resources") or []:
                by_local.setdefault(c.get("address"), c)
        return by_local.get(local)

    def expression(self, res: TfResource, path: str) -> Any:
        cfg = self._config_res(res)
        if not cfg:
            return None
        cur: Any = cfg.get("expressions") or {}
        if "." not in path and cur.__class__ is dict:
            return cur.get(path)   # a top-level attribute (most questions)
        for part in path.split("."):
            if isinstance(cur, list):
                try:
                    cur = cur[int(part)]
                except (ValueError, IndexError):
                    return None
            elif isinstance(cur, dict):
                cur = cur.get(part)
            else:
                return None
            if cur is None:
                return None
        return cur

    def declares(self, res: TfResource, path: str) -> bool | None:
        if isinstance(res.values, Unknown):
            return None   # a deferred resource: nothing about it is known, defaults included
        if self._config_res(res) is None:
            return None
        top = path.split(".")[0]
        if self.expression(res, top) is not None or self.expression(res, "dynamic") is not None:
            return True  # a dynamic block may generate the attribute
        return False

    def refs(self, res: TfResource, path: str) -> list[str] | None:
        # Memoized: mappers that join split resources ask the same question once per candidate
        # parent, which is quadratic on large plans without it.
        memo = self._refs_memo
        if memo[0] != len(self.resources):
            memo = self._refs_memo = (len(self.resources), {})
        key = (res.module, res.mode, res.type, res.name, path)
        out = memo[1].get(key, _UNSET)
        if out is _UNSET:
            expr = self.expression(res, path)
            if not isinstance(expr, dict) or "references" not in expr:
                out = None
            else:
                out = self.resolve(expr["references"], res.module)
            memo[1][key] = out
        return None if out is None else list(out)

    def resolve(self, references: list[str], mod_addr: str, depth: int = 0) -> list[str]:
        """Turn an expression's references into resource addresses (module inputs followed)."""
        if depth > 20:
            return []
        out: list[str] = []
        for ref in _most_specific(references):
            if ref.startswith("var."):
                out += self._through_var(ref[4:].split(".")[0], mod_addr, depth)
            elif ref.startswith("module."):
                out += self._through_output(ref, mod_addr, depth)
            elif ref.startswith(("local.", "each.", "count.", "path.", "terraform.", "self.")):
                continue
            else:
                m = _RES_RE.match(ref)
                if m:
                    out += self._instances(mod_addr, m.group(1), m.group(2))
        return _uniq(out)

    def _instances(self, mod_addr: str, local: str, index: str) -> list[str]:
        base = f"{mod_addr}.{local}" if mod_addr else local
        exact, by_base = self._address_index()
        addrs = list(exact.get(base + index, ()))
        if not addrs and not index:
            addrs = list(by_base.get(base, ()))
        return addrs or [base + index]

    def _address_index(self) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        """address -> [address], and address without its instance key -> instance addresses.

        Built once (rebuilt if resources are added): a linear search per reference is
        quadratic on plans with thousands of resources.
        """
        idx = getattr(self, "_addr_idx", None)
        if idx is None or idx[0] != len(self.resources):
            exact: dict[str, list[str]] = {}
            by_base: dict[str, list[str]] = {}
            for r in self.resources:
                exact.setdefault(r.address, []).append(r.address)
                m = _INSTANCE_KEY_RE.search(r.address)
                if m:
                    by_base.setdefault(r.address[:m.start()], []).append(r.address)
            idx = self._addr_idx = (len(self.resources), exact, by_base)
        return idx[1], idx[2]

    def _through_var(self, var: str, mod_addr: str, depth: int) -> list[str]:
        if not mod_addr:
            return []
        # every resource of a module instance that reads one input asks the same: answered once
        memo = self.__dict__.setdefault("_var_memo", {})
        key = (var, mod_addr, depth, len(self.resources))
        out = memo.get(key)
        if out is None:
            out = memo[key] = tuple(self._through_var_once(var, mod_addr, depth))
        return list(out)

    def _through_var_once(self, var: str, mod_addr: str, depth: int) -> list[str]:
        parent, name = _split_module(mod_addr)
        node = self._config_module(parent)
        call = ((node or {}).get("module_calls") or {}).get(name) or {}
        expr = (call.get("expressions") or {}).get(var)
        if isinstance(expr, dict) and expr.get("references"):
            return self.resolve(expr["references"], parent, depth + 1)
        return []

    def _through_output(self, ref: str, mod_addr: str, depth: int) -> list[str]:
        parts = ref.split(".")
        if len(parts) < 3:
            return []
        call_name, output = parts[1].split("[")[0], parts[2]
        node = self._config_module(mod_addr) or {}
        call = (node.get("module_calls") or {}).get(call_name) or {}
        out_expr = ((call.get("module") or {}).get("outputs") or {}).get(output, {}).get("expression") or {}
        prefix = f"{mod_addr}.module.{call_name}" if mod_addr else f"module.{call_name}"
        children = sorted({r.module for r in self.resources
                           if r.module == prefix or r.module.startswith(prefix + "[")
                           or r.module.startswith(prefix + ".")})
        instances = sorted({_instance_of(m, prefix) for m in children}) or [prefix]
        out: list[str] = []
        for inst in instances:
            out += self.resolve(out_expr.get("references") or [], inst, depth + 1)
        return out

    def config_blocks(self, res: TfResource, path: str) -> list[TfResource] | None:
        expr = self.expression(res, path)
        if not isinstance(expr, list):
            return None
        blocks = []
        for i, b in enumerate(expr):
            if not isinstance(b, dict):
                continue
            vals, refmap = _expr_values(b, f"{path}.{i}")
            blocks.append(_ConfigBlock(self, res, refmap, address=res.address, type=res.type, name=res.name,
                                       mode=res.mode, module=res.module, values=vals, source=res.source,
                                       schema_at=f"{path}.{i}"))
        return blocks

    def provider_versions(self):
        """The provider versions this plan admits (``provider_versions.from_plan``): every module's
        ``version_constraint``, and the ``.terraform.lock.hcl`` of its configuration (``source_dir``,
        set by the pipeline for --source-dir, else the plan's own directory)."""
        from .provider_versions import from_plan
        if "_provider_versions" not in self.__dict__:
            lock_dir = getattr(self, "source_dir", None) or os.path.dirname(os.path.abspath(self.source_path))
            self.__dict__["_provider_versions"] = from_plan(self.config, lock_dir)
        return self.__dict__["_provider_versions"]

    def default_tags(self, res: TfResource) -> Value:
        pc = self.config.get("provider_config") or {}
        key = res.provider_key
        entry = pc.get(key)
        if entry is None and ":" in key:
            entry = pc.get(key.split(":", 1)[1])
        if entry is None and not key:
            entry = pc.get(res.type.split("_", 1)[0])
        origin = Origin("terraform-plan", "default_tags")
        if not entry:
            return Value({}, origin)
        dt = (entry.get("expressions") or {}).get("default_tags")
        if not dt:
            return Value({}, origin)
        block = dt[0] if isinstance(dt, list) and dt else dt
        tags = (block or {}).get("tags") if isinstance(block, dict) else None
        if not tags:
            return Value({}, origin)
        if "constant_value" in tags and isinstance(tags["constant_value"], dict):
            return Value(dict(tags["constant_value"]), origin)
        refs = ", ".join(tags.get("references") or []) or "an expression"
        return Unknown(f"provider default_tags come from {refs}, which a plan does not resolve", origin)


class _ConfigBlock(TfResource):
    """A nested block read from configuration expressions (constant values and references)."""

    def __init__(self, project, parent, refmap, **kw):
        super().__init__(**kw)
        self._plan = project
        self._parent = parent
        self._refmap = refmap
        self.project = None

    def refs(self, path: str) -> list[str] | None:
        refs = self._refmap.get(path)
        if refs is None:
            return None
        return self._plan.resolve(refs, self._parent.module)


def _expr_values(block: dict, path: str) -> tuple[dict, dict]:
    vals: dict = {}
    refmap: dict = {}
    for k, e in block.items():
        if isinstance(e, dict) and "constant_value" in e:
            vals[k] = e["constant_value"]
        elif isinstance(e, dict) and _is_reference_list(e.get("references")):
            vals[k] = Unknown(f"set from {', '.join(e['references'])} (resolved after apply)")
            refmap[k] = e["references"]
        elif isinstance(e, list):
            sub = []
            for j, b in enumerate(e):
                if isinstance(b, dict):
                    sv, sr = _expr_values(b, f"{path}.{k}.{j}")
                    sub.append(sv)
                    refmap.update({f"{k}.{j}.{kk}": vv for kk, vv in sr.items()})
            vals[k] = sub
        elif isinstance(e, dict) and not e:
            vals[k] = Unknown("an expression the plan does not record")
    return vals, refmap


def _change_path(where: int | str) -> str:
    return f"$.resource_changes[{where}]" if isinstance(where, int) else where


def _paths(where: tuple) -> tuple[str, str]:
    """(JSON path of a resource, of its values) from what PlanProject._where holds."""
    first, second = where
    if isinstance(second, int):
        return f"{first}.resources[{second}]", f"{first}.resources[{second}].values"
    return first, second


def _marks_any(marks: Any) -> bool:
    """Whether sensitive_values mark anything (a true leaf): most resources' marks are only empty
    objects and lists ({"tags": {}}), which withhold nothing.  Iterative: any depth."""
    if marks is True:
        return True
    stack = [marks]
    while stack:
        m = stack.pop()
        for x in (m.values() if m.__class__ is dict else m if m.__class__ is list else ()):
            if x:   # an empty object or list marks nothing
                if x is True:
                    return True
                stack.append(x)
    return False


def _mark_unknown(values: Any, unknown: Any, addr: str) -> Any:
    """Overlay after_unknown on planned values: unknown leaves become Unknown.

    Values are copied only along the paths that hold an unknown: most of a plan's
    after_unknown is false or empty, and copying every resource's values costs more
    than the rest of the plan reading.
    """
    if unknown is True:
        return _AFTER_APPLY   # shared: TfResource.get gives each read its own origin
    if not unknown:
        return values
    if isinstance(unknown, dict):
        if not isinstance(values, dict):
            # the shapes disagree (Terraform never writes this): the value stays as the plan
            # gives it, for the boundary check to judge, never replaced by a shape of nulls
            return values
        src = values
        out = None
        for k, u in unknown.items():
            if u is True:   # most marks (an id, an ARN): a leaf, without the call
                if out is None:
                    out = dict(src)
                out[k] = _AFTER_APPLY
            elif u and isinstance(u, (dict, list)):
                old = src.get(k)
                new = _mark_unknown(old, u, addr)
                if new is not old:
                    if out is None:
                        out = dict(src)
                    out[k] = new
        return values if out is None else out
    if isinstance(unknown, list):
        if not isinstance(values, list):
            return values   # as above
        vals = values
        out = None
        for i, u in enumerate(unknown):
            if u is True or (u and isinstance(u, (dict, list)) and i < len(vals)):
                old = vals[i] if i < len(vals) else None
                new = _mark_unknown(old, u, addr)
                if new is not old or i >= len(vals):
                    if out is None:
                        out = list(vals) + [None] * max(0, len(unknown) - len(vals))
                    out[i] = new
        return values if out is None else out
    return values


def _names(addr: str, typ: str, name: Any, mode: str) -> bool:
    """Whether ``addr`` (module.a["k"].data.aws_x.n[0]) is an instance of that type, name and mode.

    Found by the local address followed by an instance key or the end, preceded by a module
    segment or the start; the keys themselves are not parsed (any text may be a for_each key)."""
    if mode not in ("managed", "data") or not isinstance(typ, str) or not isinstance(addr, str):
        return False
    local = ("data." if mode == "data" else "") + typ + "." + (name if isinstance(name, str) else "")
    i = addr.find(local)
    while i >= 0:
        end = i + len(local)
        rest = addr[end:]
        named = isinstance(name, str) or re.match(r"[A-Za-z0-9_-]+", rest)
        if named:
            if not isinstance(name, str):
                rest = rest[re.match(r"[A-Za-z0-9_-]+", rest).end():]
            before = addr[:i]
            # before: nothing, or module segments ending "module.NAME." / "module.NAME[KEY]."
            if (rest == "" or rest.startswith("[")) and (before == "" or before.endswith("].") or (
                    before.endswith(".") and before[:-1].split(".")[-2:-1] == ["module"])):
                return True
        i = addr.find(local, i + 1)
    return False


def _is_reference_list(refs: Any) -> bool:
    # An object (or an array of objects) under "references" is a nested block or attribute of that name.
    return isinstance(refs, list) and all(isinstance(r, str) for r in refs)


def _most_specific(refs: list[str]) -> list[str]:
    """Terraform lists a.b.c, a.b and a: keep only the longest form of each reference."""
    if not isinstance(refs, list):
        return []
    refs = [r for r in refs if isinstance(r, str)]
    if len(refs) < 2:
        return refs
    out = []
    for r in refs:
        longer = (r + ".", r + "[")
        for o in refs:
            if o.startswith(longer) and o != r:
                break
        else:
            out.append(r)
    return out


def _split_module(mod_addr: str) -> tuple[str, str]:
    segs = _MOD_SEG_RE.findall(mod_addr)
    name = segs[-1][0]
    parent = mod_addr[: mod_addr.rfind(".module." + name)] if ".module." + name in mod_addr else ""
    return parent, name


def _instance_of(mod: str, prefix: str) -> str:
    rest = mod[len(prefix):]
    if rest.startswith("["):
        return prefix + rest[: rest.index("]") + 1]
    return prefix


def _uniq(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
