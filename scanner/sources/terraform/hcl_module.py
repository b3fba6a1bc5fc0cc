"""Module instances of a .tf tree: variables, locals, resources with count/for_each, module calls.

Everything is evaluated on demand and remembered, so a resource that refers to
another resource, a local or a module output gets it in whatever order the
files declare them.  A reference cycle yields an Unknown, not a crash.
"""
from __future__ import annotations

import errno
import json
import os
import re
from typing import Any

from ...errors import InputError
from ...values import Unknown
from .hcl_eval import Computed, EvalError, Lazy, Scope, branch_values, evaluate, first_unknown
from . import provider_types
from .hcl_files import (ModuleSource, ResBlock, drop_waive_comments, find_downloaded, is_local_source, read_manifest,
                        source_kind, tf_files, within)
from .hcl_limits import MAX_INSTANCES, LimitExceeded
from .hcl_parse import Attribute, Block
from .hcl_taggable import TAGGABLE
from .hcl_types import Mismatch, convert, show, variable_nullable
from .tfmodel import TfResource

_INDEX = re.compile(r'\[(?:"(?:[^"\\]|\\.)*"|[^\]"])*\]')     # an instance key in an address
META = {"count", "for_each", "provider", "depends_on", "lifecycle", "provisioner", "connection"}
_BUSY = object()


def index_suffix(key: Any) -> str:
    if key is None:
        return ""
    return f"[{key}]" if isinstance(key, int) else f"[{json.dumps(key)}]"


def expr_text(node) -> str:
    """A reference as written (aws_kms_key.db.arn), for messages."""
    if node[0] == "name":
        return node[1]
    if node[0] == "attr":
        return f"{expr_text(node[1])}.{node[2]}"
    if node[0] == "index":
        k = node[2]
        return f"{expr_text(node[1])}[{json.dumps(k[1]) if k[0] == 'lit' else '...'}]"
    return "..."


def provider_config_key(block: Block) -> str:
    """aws, or aws.dr for a provider block with an alias."""
    alias = block.attrs().get("alias")
    return block.labels[0] + (f".{alias.expr[1]}" if alias and alias.expr[0] == "lit" else "")


class Iteration(dict):
    """A dynamic block's iterator ({"key", "value"}), which remembers the for_each expression it
    comes from, so the references of ``<iterator>.value`` can be followed (hcl.refs_of)."""

    def __init__(self, key: Any, value: Any, expr: tuple, scope: Scope):
        super().__init__(key=key, value=value)
        self.expr, self.scope = expr, scope


class SrcResource(TfResource):
    """A resource instance read from source; its values are evaluated on first use."""

    def __init__(self, *, inst: "ModuleInstance", rb: ResBlock, scope: Scope, **kw):
        super().__init__(**kw)
        self.inst = inst
        self.rb = rb
        self.scope = scope
        self.exprs: dict = {}
        self.provider_entry = None     # (provider block, file, module instance) or None
        self._state = None

    def realize(self) -> dict:
        if self._state is None:
            self._state = _BUSY
            try:
                self.values, self.exprs = self.inst.eval_body(self.rb.block.body, self.scope, top=True,
                                                              schema=provider_types.body(self.type))
            except LimitExceeded as e:
                e.file = e.file or self.rb.file
                raise
            self.alternatives = _alternatives(self.rb.block.body, self.values, self.scope)
            if self.mode == "managed" and self.type in TAGGABLE and "tags" not in self.values:
                self.values["tags"] = None   # as a plan shows it (see hcl_taggable)
            self._state = True
        elif self._state is _BUSY:
            return Computed({}, self.address)
        return self.values


class ModuleInstance:
    def __init__(self, project, src: ModuleSource, addr: str, parent: "ModuleInstance | None" = None,
                 call: Block | None = None, call_scope: Scope | None = None, providers: dict | None = None,
                 key: Any = None):
        self.project = project
        self.key = key              # count index / for_each key of this instance of the call
        self.src = src
        self.addr = addr
        self.parent = parent
        self.call = call
        self.call_scope = call_scope
        self.providers = dict(providers or {})
        for block, frel in src.providers:
            self.providers[provider_config_key(block)] = (block, frel, self)
        self.scope = Scope(self.root, module=self)
        self._memo: dict = {}
        self.unexpanded: dict[str, str] = {}   # address -> why its count/for_each is not known
        # why this module instance may not be created (its call's, or an ancestor's, count/for_each unknown)
        self.existence: str | None = None
        if parent is not None:
            self.existence = parent.existence or parent.unexpanded.get(addr)
        self.path_value = {"module": src.rel, "root": ".", "cwd": "."}

    # ------------------------------------------------------------------ names
    def root(self, name: str) -> Any:
        if name == "var":
            return Lazy(self.var, "var")
        if name == "local":
            return Lazy(self.local, "local")
        if name == "module":
            return Lazy(self.module_value, "module")
        if name == "data":
            return Lazy(lambda t: Lazy(lambda n: self.resource_value("data", t, n), f"data.{t}"), "data")
        if name == "path":
            return self.path_value
        if name == "terraform":
            return {"workspace": "default"}
        if name in self.src.types:
            return Lazy(lambda n: self.resource_value("managed", name, n), name)
        if name in ("count", "each", "self"):
            raise EvalError(f"{name} is not available here")
        raise EvalError(f"there is no resource type or name {name!r} in this module")

    def _remember(self, key, compute):
        v = self._memo.get(key)
        if v is _BUSY:
            return Unknown(f"{key[1]} refers to itself (a cycle)")
        if v is None and key not in self._memo:
            self._memo[key] = _BUSY
            try:
                v = compute()
            except EvalError as e:
                v = Unknown(f"{key[1]} cannot be evaluated: {e}")
            self._memo[key] = v
        return v

    def var(self, name: str) -> Any:
        return self._remember(("var", f"var.{name}"), lambda: self._var(name))

    def _var(self, name: str) -> Any:
        v = self._var_value(name)
        sensitive = self.src.variables[name].attrs().get("sensitive")
        if sensitive is not None and sensitive.expr == ("lit", True):   # a literal, as Terraform requires
            from ...withheld import add_secret
            add_secret(self.project.secrets, v)
        return v

    def _var_value(self, name: str) -> Any:
        block = self.src.variables.get(name)
        if block is None:
            raise EvalError(f"no variable {name!r} is declared")
        # Terraform converts every value to the declared type (optional() attributes and their
        # defaults included) before any expression sees it; nullable = false turns null into the default
        t = self.src.var_types.get(name)
        given: Any = _BUSY
        if self.parent is None:
            if name in self.project.var_values:
                # converted when read (hcl_files: a value Terraform refuses is an input error there)
                given = _convert(self.project.var_values[name], t, name, "the value given")
        else:
            arg = self.call.attrs().get(name)
            if arg is not None:
                given = _convert(self.project.attr_value(arg, self.call_scope, annotate=False), t, name,
                                 f"{self.addr}'s input")
        if given is not _BUSY and (given is not None or variable_nullable(block)):
            return given
        default = block.attrs().get("default")
        if default is not None:
            return _convert(evaluate(default.expr, Scope(self.root, module=self)), t, name, "the default")
        if given is None:
            return Unknown(f"variable {name} is null, which it does not accept (nullable = false) "
                           f"and it has no default")
        where = "give it with --var or --var-file" if self.parent is None else f"{self.addr} does not set it"
        return Unknown(f"variable {name} has no value ({where})")

    def local(self, name: str) -> Any:
        def compute():
            entry = self.src.locals.get(name)
            if entry is None:
                raise EvalError(f"no local value {name!r}")
            try:
                return self.project.attr_value(entry[0], self.scope, annotate=False)
            except LimitExceeded as e:
                e.file = e.file or entry[1]
                raise
        return self._remember(("local", f"local.{name}"), compute)

    # ------------------------------------------------------------------ resources
    def instances(self, rb: ResBlock) -> list[SrcResource]:
        key = ("expand", rb.local)
        got = self._memo.get(key)
        if got is None:
            self._memo[key] = []
            got = self._expand(rb)
            self._memo[key] = got
        return got

    def _expand(self, rb: ResBlock) -> list[SrcResource]:
        base = f"{self.addr}.{rb.local}" if self.addr else rb.local
        keys = self.expansion(rb.block, base, rb.file)
        out = []
        attrs = rb.block.attrs()
        attr_lines = {a.name: a.line for a in attrs.values()}
        for b in rb.block.body:
            if isinstance(b, Block):
                name = b.labels[0] if b.type == "dynamic" and b.labels else b.type
                attr_lines.setdefault(name, b.line)
        prov = attrs.get("provider")
        local_key = expr_text(prov.expr) if prov is not None else rb.type.split("_", 1)[0]
        # the provider configuration this resource ends up with (through the module calls' providers maps)
        entry = self.providers.get(local_key)
        provider_key = provider_config_key(entry[0]) if entry else local_key
        existence = self.unexpanded.get(base) or self.existence
        for key, scope in keys:
            out.append(SrcResource(
                inst=self, rb=rb, scope=scope, address=base + index_suffix(key), type=rb.type, name=rb.name,
                mode=rb.mode, module=self.addr, index=key, provider_key=provider_key, values={},
                source="terraform-source", file=rb.file, line=rb.block.line, attr_lines=dict(attr_lines),
                project=self.project))
            out[-1].provider_entry = entry
            out[-1].existence = existence
        return out

    def expansion(self, block: Block, base: str, frel: str) -> list[tuple[Any, Scope]]:
        """(index, scope) of each instance a block with count / for_each makes."""
        attrs = block.attrs()
        if "count" in attrs:
            n = self.project.attr_value(attrs["count"], self.scope)
            if isinstance(n, Unknown) or isinstance(n, bool) or not isinstance(n, (int, float, str)):
                return self._unexpanded(base, "count", attrs["count"], n, frel)
            try:
                n = int(float(n))
            except (ValueError, OverflowError):
                return self._unexpanded(base, "count", attrs["count"], n, frel)
            _bounded(n, attrs["count"], frel)
            return [(i, self.scope.child(count={"index": i})) for i in range(n)]
        if "for_each" in attrs:
            coll = self.project.attr_value(attrs["for_each"], self.scope)
            if isinstance(coll, dict) and first_unknown(list(coll.keys())) is None:
                items = sorted(coll.items())
            elif isinstance(coll, list) and all(isinstance(x, str) for x in coll):
                items = [(x, x) for x in sorted(set(coll))]
            else:
                return self._unexpanded(base, "for_each", attrs["for_each"], coll, frel)
            _bounded(len(items), attrs["for_each"], frel)
            return [(k, self.scope.child(each={"key": k, "value": v})) for k, v in items]
        return [(None, self.scope)]

    def _unexpanded(self, base, meta, attr: Attribute, value, frel) -> list:
        reason = value.reason if isinstance(value, Unknown) else f"it is a {_kind(value)}"
        # it may make no instance at all: nothing about it (or joined through it) can pass
        self.unexpanded[base] = f"whether {base} is created is not known: {meta} = {attr.text} ({reason})"
        self.project.coverage("expansion-unknown",
                              f"{base}: {meta} = {attr.text} cannot be evaluated ({reason}); "
                              f"it may or may not be created, so its findings are unknown",
                              resource=base, file=frel, line=attr.line)
        u = Unknown(f"{meta} = {attr.text} is not known ({reason})")
        v = {"index": u} if meta == "count" else {"key": u, "value": u}
        return [(None, self.scope.child(**{"count" if meta == "count" else "each": v}))]

    def resource_value(self, mode: str, type_: str, name: str) -> Any:
        local = f"{'data.' if mode == 'data' else ''}{type_}.{name}"
        rb = self.src.resources.get(local)
        if rb is None:
            raise EvalError(f"no {local} in this module")
        insts = self.instances(rb)
        if mode == "data":
            return _data_value(rb, insts)

        def one(r: SrcResource):
            return Computed(r.realize(), r.address)

        block_attrs = rb.block.attrs()
        if "count" in block_attrs and not (len(insts) == 1 and insts[0].index is None):
            return [one(r) for r in insts]
        if "for_each" in block_attrs and not (len(insts) == 1 and insts[0].index is None):
            return {r.index: one(r) for r in insts}
        if insts and insts[0].index is None and ("count" in block_attrs or "for_each" in block_attrs):
            return Unknown(f"the instances of {local} are not known")
        return one(insts[0]) if insts else Unknown(f"{local} has no instances")

    # ------------------------------------------------------------------ bodies
    def eval_body(self, body: list, scope: Scope, top: bool = False, schema: dict | None = None) -> tuple[dict, dict]:
        """Values (nested blocks as lists of dicts, like a plan) and the expressions behind them.

        ``schema`` is the body's provider schema when known: list-typed attributes keep their
        known elements beside unknown ones, as a plan shows them."""
        values: dict = {}
        exprs: dict = {}
        for item in body:
            if isinstance(item, Attribute):
                if top and item.name in META:
                    continue
                v = self.project.attr_value(item, scope)
                if not provider_types.is_ordered_list(provider_types.attr_type(schema, item.name)):
                    v = _whole_list(v)
                values[item.name] = v
                exprs[item.name] = (item.expr, scope)
            elif item.type == "dynamic" and item.labels:
                self._dynamic(item, scope, values, exprs, provider_types.nested(schema, item.labels[0]))
            elif top and item.type in META:
                continue
            else:
                v, e = self.eval_body(item.body, scope, schema=provider_types.nested(schema, item.type))
                if isinstance(values.get(item.type), Unknown):
                    continue
                values.setdefault(item.type, []).append(v)
                exprs.setdefault(item.type, []).append(e)
        return values, exprs

    def _dynamic(self, block: Block, scope: Scope, values: dict, exprs: dict, schema: dict | None = None) -> None:
        name = block.labels[0]
        attrs = block.attrs()
        it = attrs.get("iterator")
        it_name = it.expr[1] if it is not None and it.expr[0] == "name" else name
        content = next((b for b in block.blocks("content")), None)
        fe = attrs.get("for_each")
        coll = self.project.attr_value(fe, scope) if fe is not None else Unknown("dynamic block without for_each")
        if isinstance(coll, Unknown) or content is None:
            values[name] = Unknown(f"dynamic \"{name}\" blocks: for_each = {fe.text if fe else '?'} "
                                   f"is not known ({getattr(coll, 'reason', 'no content')})")
            exprs.pop(name, None)
            return
        pairs = list(enumerate(coll)) if isinstance(coll, list) else sorted(coll.items()) if isinstance(coll, dict) else []
        for k, v in pairs:
            sub = scope.child(**{it_name: Iteration(k, v, fe.expr, scope)})
            bv, be = self.eval_body(content.body, sub, schema=schema)
            if isinstance(values.get(name), Unknown):
                return
            values.setdefault(name, []).append(bv)
            exprs.setdefault(name, []).append(be)

    # ------------------------------------------------------------------ modules
    def children(self, call_name: str) -> list["ModuleInstance"] | None:
        """Instances of a module call; None when its source is not followed."""
        key = ("children", call_name)
        if key in self._memo:
            return self._memo[key]
        self._memo[key] = []
        self._memo[key] = self._children(call_name)
        return self._memo[key]

    def _children(self, call_name: str):
        block, frel = self.src.modules[call_name]
        source = block.attrs().get("source")
        base = f"{self.addr}.module.{call_name}" if self.addr else f"module.{call_name}"
        src_value = source.expr[1] if source is not None and source.expr[0] == "lit" else None
        if not isinstance(src_value, str):
            self.project.not_followed(base, source.text if source else "?", frel, block.line)
            return None
        if is_local_source(src_value):
            directory = self._local_dir(call_name, base, src_value, frel, source.line)
        else:
            directory = self._downloaded_dir(call_name, base, src_value, frel, block.line)
        if directory is None:
            return None
        if not tf_files(directory):
            raise InputError(f"module {call_name}: source {src_value} has no .tf files",
                             self.project.shown(frel), str(source.line))
        self._no_cycle(call_name, src_value, directory, frel, source.line)
        child_src = self.project.module_source(directory)
        self._no_downloaded_waivers(base, child_src)
        providers = {k: v for k, v in self.providers.items() if "." not in k}
        pmap = block.attrs().get("providers")
        if pmap is not None and pmap.expr[0] == "object":
            for k, v in pmap.expr[1]:
                kname = k[1] if k[0] == "lit" else expr_text(k)
                target = expr_text(v)
                if target in self.providers:
                    providers[kname] = self.providers[target]
        out = []
        for key, scope in self.expansion(block, base, frel):
            out.append(ModuleInstance(self.project, child_src, base + index_suffix(key), self, block, scope, providers,
                                      key))
        return out

    def _local_dir(self, call_name: str, base: str, src_value: str, frel: str, line: int) -> str | None:
        """A local path, as Terraform follows it: relative to this module's directory, wherever it
        leads (the results say so when that is outside the scanned directory); inside a downloaded
        module it must stay within the downloaded package, as Terraform requires."""
        directory = os.path.normpath(os.path.join(self.src.dir, src_value.replace("\\", "/")))
        try:
            real = os.path.realpath(directory, strict=True)
        except OSError as e:
            if e.errno == errno.ELOOP:
                raise InputError(f"module {call_name}: source {src_value} is a symlink loop (module cycle)",
                                 self.project.shown(frel), str(line)) from None
            raise InputError(f"module {call_name}: source {src_value} does not exist",
                             self.project.shown(frel), str(line)) from None
        manifest = self._manifest()
        if manifest is not None and within(self.src.real, manifest.modules_dir):
            package = os.path.join(manifest.modules_dir,
                                   os.path.relpath(self.src.real, manifest.modules_dir).split(os.sep)[0])
            if not within(real, package):
                why = f"its local path leaves the package terraform init downloaded for {self.addr}"
                self.project.not_followed(base, src_value, frel, line, why=why)
                self._memo[("unfollowed", call_name)] = f"module {call_name} (source {src_value}), which {why}"
                return None
        elif not within(real, self._root_real()) and (within(self.src.real, self._root_real())
                                                      or not within(real, self.src.real)):
            # said where the path leaves the tree (not again for each module below ../../ that it calls)
            how = " (through a symlink)" if within(directory, os.path.normpath(self.project.root_dir)) else ""
            module = _INDEX.sub("", base)
            self.project.coverage("module-outside-root",
                                  f"{module}: source {src_value} is outside the scanned directory{how} "
                                  f"(read, as Terraform reads it)",
                                  module=module, source=src_value, file=frel, line=line)
        return directory

    def _downloaded_dir(self, call_name: str, base: str, src_value: str, frel: str, line: int) -> str | None:
        """Where terraform init put a registry / git / ... module (.terraform/modules/modules.json)."""
        key = ".".join([i.call.labels[0] for i in self._chain() if i.call is not None][::-1] + [call_name])
        version = self.src.modules[call_name][0].attrs().get("version")
        directory, why = find_downloaded(self._manifest(), key, src_value,
                                         version.expr[1] if version is not None and version.expr[0] == "lit"
                                         and isinstance(version.expr[1], str) else None)
        if directory is None:
            what = f"{source_kind(src_value)} source {src_value}"
            self.project.not_followed(base, src_value, frel, line, why=why)
            self._memo[("unfollowed", call_name)] = (f"module {call_name} ({what}) that terraform init has not "
                                                     f"downloaded" if why.startswith("terraform init")
                                                     else f"module {call_name} ({what}), not followed: {why}")
        return directory

    def _no_downloaded_waivers(self, base: str, child_src: ModuleSource) -> None:
        """A waive comment in a module terraform init downloaded waives nothing (hcl_files.drop_waive_comments)."""
        dropped = drop_waive_comments(self._manifest(), child_src)
        if dropped:
            module = _INDEX.sub("", base)
            self.project.coverage("source-waivers-ignored",
                                  f"{module}: {len(dropped)} specguard:waive comment(s) in a module terraform init "
                                  f"downloaded are not applied (waivers come from the scanned configuration's own "
                                  f"files)", module=module, file=dropped[0][0], line=dropped[0][1])

    def _chain(self) -> list["ModuleInstance"]:
        """This instance and its parents up to the root."""
        out, inst = [], self
        while inst is not None:
            out.append(inst)
            inst = inst.parent
        return out

    def _manifest(self):
        root = self._chain()[-1]
        if ("manifest",) not in root._memo:
            root._memo[("manifest",)] = read_manifest(self.project.root_dir, self.project.shown_root)
        return root._memo[("manifest",)]

    def _root_real(self) -> str:
        return self._chain()[-1].src.real

    def _no_cycle(self, call_name: str, src_value: str, directory: str, frel: str, line: int) -> None:
        """A module that (through its calls) includes itself would expand forever: Terraform rejects it too.
        Directories are compared with symlinks resolved, so a symlink back up the tree is a cycle too."""
        real = os.path.realpath(directory)
        chain, inst = [], self
        while inst is not None:
            chain.append(inst)
            if inst.src.real == real:
                break
            inst = inst.parent
        else:
            return
        if len(chain) == 1:
            what = "includes itself"
        else:
            dirs = [i.src.rel for i in reversed(chain)] + [chain[-1].src.rel]
            what = "includes a module that includes it (" + " -> ".join(dirs) + ")"
        raise InputError(f"module {call_name}: source {src_value} {what} (module cycle)",
                         self.project.shown(frel), str(line))

    def module_value(self, call_name: str) -> Any:
        if call_name not in self.src.modules:
            raise EvalError(f"no module {call_name!r} is called here")
        kids = self.children(call_name)
        if kids is None:
            why = self._memo.get(("unfollowed", call_name), "a module that is not followed")
            return Lazy(lambda out: Unknown(f"module.{call_name}.{out} comes from {why}"), f"module.{call_name}")
        attrs = self.src.modules[call_name][0].attrs()
        outs = [Lazy(k.output, k.addr) for k in kids]
        expanded = not (len(kids) == 1 and kids[0].key is None)
        if "count" in attrs and expanded:
            return outs
        if "for_each" in attrs and expanded:
            return {k.key: o for k, o in zip(kids, outs)}
        if kids and kids[0].key is None and ("count" in attrs or "for_each" in attrs):
            return Unknown(f"the instances of module.{call_name} are not known")
        return outs[0] if outs else Unknown(f"module.{call_name} has no instances")

    def output(self, name: str) -> Any:
        def compute():
            block = self.src.outputs.get(name)
            if block is None:
                raise EvalError(f"module {self.addr} has no output {name!r}")
            value = block.attrs().get("value")
            return self.project.attr_value(value, self.scope, annotate=False) if value is not None else None
        return self._remember(("output", f"{self.addr}.{name}"), compute)

    def walk(self):
        """This instance and every instance below it."""
        yield self
        for call in self.src.modules:
            for kid in self.children(call) or []:
                yield from kid.walk()


def _alternatives(body: list, values: dict, scope: Scope) -> dict[str, tuple] | None:
    """Top-level attributes written as conditionals whose condition is not known but whose branches
    are known values: the values they are one of (a rule every one answers alike is decided).
    Kept beside the values, never inside them: an expression computed from such a value
    (an addition, say) must not inherit its candidates."""
    out = {}
    for item in body:
        if not isinstance(item, Attribute) or item.name in META or not isinstance(values.get(item.name), Unknown):
            continue
        if item.expr[0] == "cond":
            leaves = _branch_values(item.expr, scope, 0)
            if leaves:
                out[item.name] = tuple(dict.fromkeys(leaves))
        elif item.name == "tags" and scope.module is not None and _branches(item.expr, scope.module, 0):
            # merge(local.tags, cond ? {Name = x} : {}): each tag set it may be (TAG-01 is decided
            # when every one answers alike); only where a conditional is written, as it costs evaluations
            sets = _tag_sets(item.expr, scope)
            if sets and all(isinstance(v, dict) for v in sets):
                out[item.name] = tuple(sets)
    return out or None


# The evaluations branch_values makes for tags, in one scan: locals are evaluated afresh each time,
# so a tree where every resource's tags hold such a conditional is bounded here (beyond: unknown,
# as before). Their for-expression steps do not count against the scan's MAX_STEPS.
FORCED_RUNS = 4000
FORCED_STEPS = 200_000


def _tag_sets(expr: tuple, scope: Scope) -> list | None:
    inst = scope.module
    project = inst.project
    spent = project.__dict__.setdefault("_forced_spent", [0, 0])   # runs, steps
    if spent[0] >= FORCED_RUNS or spent[1] >= FORCED_STEPS:
        return None
    before = getattr(project, "steps", 0)
    try:
        sets = branch_values(expr, scope, lambda n: _local_expr(inst, n))
    except LimitExceeded:
        sets = None
    spent[0] += 8 if sets is None else len(sets)
    spent[1] += getattr(project, "steps", 0) - before
    project.steps = before
    return sets


def _local_expr(inst: "ModuleInstance", name: str) -> tuple | None:
    entry = inst.src.locals.get(name)
    return (entry[0].expr, inst.scope) if entry is not None else None


def _branches(node, inst: "ModuleInstance", depth: int) -> bool:
    """Whether an expression, or a local value it reads, holds a conditional (remembered per local)."""
    if not isinstance(node, tuple) or depth > 16:
        return isinstance(node, list) and any(_branches(x, inst, depth) for x in node)
    kind = node[0]
    if kind == "cond":
        return True
    if kind == "attr" and node[1] == ("name", "local"):
        key = ("branches", node[2])
        if key not in inst._memo:
            inst._memo[key] = False   # a cycle answers no
            entry = inst.src.locals.get(node[2])
            inst._memo[key] = entry is not None and _branches(entry[0].expr, inst, depth + 1)
        return inst._memo[key]
    return any(_branches(x, inst, depth) for x in node[1:] if isinstance(x, (tuple, list)))


def _branch_values(node, scope: Scope, depth: int) -> list | None:
    """The known scalar values the branches of (nested) conditionals give; None if any is not one."""
    if node[0] == "cond" and depth < 8:
        found = []
        for branch in (node[2], node[3]):
            got = _branch_values(branch, scope, depth + 1)
            if got is None:
                return None
            found += got
        return found
    try:
        v = evaluate(node, scope)
    except EvalError:
        return None
    # null would take the provider's default, which the mapper decides: not a candidate here
    return [v] if isinstance(v, (str, int, float, bool)) else None


def _bounded(n: int, attr: Attribute, frel: str) -> None:
    if n > MAX_INSTANCES:
        e = LimitExceeded(f"{n} instances; specguard evaluates at most {MAX_INSTANCES} per resource or module call")
        e.file, e.line, e.what = frel, attr.line, f"{attr.name} = {attr.text[:60]}"
        raise e


def _kind(value: Any) -> str:
    return {bool: "bool", str: "string", list: "list", dict: "map"}.get(type(value), type(value).__name__)


def _data_value(rb: ResBlock, insts: list) -> Any:
    """A data source is read at apply time (or at plan time from the cloud): never known here."""
    def one(r):
        return Lazy(lambda attr: Unknown(f"{r.address}.{attr} is read from a data source"), r.address)
    attrs = rb.block.attrs()
    if "count" in attrs:
        return [one(r) for r in insts]
    if "for_each" in attrs:
        return {r.index: one(r) for r in insts}
    return one(insts[0]) if insts else Unknown(f"{rb.local} has no instances")


def _convert(value: Any, t: tuple | None, name: str, what: str) -> Any:
    """``value`` as variable ``name``'s declared type ``t``; a value Terraform would refuse is Unknown
    with the variable and the mismatch (root values the user gave were checked when read)."""
    try:
        return convert(value, t, f"var.{name}")
    except Mismatch as e:
        return Unknown(f"{what} for variable {name} does not match its type {_short(show(t))}: {e}")


def _short(text: str) -> str:
    return text if len(text) <= 80 else text[:77] + "..."


def _whole_list(value: Any) -> Any:
    """A list with an unknown element is wholly unknown, as a plan shows it.

    Most list-like arguments (security group ids, ASG ids, subnets) are sets in
    the providers' schemas, and a set with an unknown element cannot be hashed:
    the plan marks the whole attribute unknown.  Mappers then find the members
    through references, the same way for both sources.
    """
    if isinstance(value, list):
        for x in value:
            if isinstance(x, Unknown):
                return Unknown(x.reason)
    return value
