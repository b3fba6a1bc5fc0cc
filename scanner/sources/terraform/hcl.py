"""Terraform source adapter: ``specguard scan DIR`` on a root module's ``.tf`` files.

The tree is parsed (``hcl_parse``), evaluated the way ``terraform plan``
would evaluate it without reading the cloud (``hcl_module``, ``hcl_eval``),
and handed to the same normalizer and rules as a plan: a ``SourceProject`` is a
``TfProject`` whose resources carry file and line.  What cannot be known
before apply (a data source, a computed attribute, a module that is not local,
a function specguard does not evaluate) is Unknown, with the expression in the
reason.

``locate`` gives a scanned plan's resources the file and line of their blocks,
and ``specguard:waive`` comments inside resource blocks become waivers.
"""
from __future__ import annotations

import os
import re
from typing import Any

from ...digest import sha256
from ...errors import InputError
from ...values import Origin, Unknown, Value
from ...waivers import Waiver, parse_date
from .hcl_eval import Computed, EvalError, Scope, evaluate, first_unknown, to_bool
from .hcl_files import (ModuleSource, ResBlock, drop_waive_comments, find_downloaded, is_local_source, load_module,
                        parse_var_option, read_manifest, read_tfvars, tf_files)
from .hcl_limits import LimitExceeded
from .hcl_module import Iteration, ModuleInstance, SrcResource
from .hcl_parse import Attribute, Block
from .tfmodel import Refs, TfProject, TfResource

SOURCE = "terraform-source"


class SourceProject(TfProject):
    def __init__(self, root: str, shown_root: str, var_values: dict, run=None):
        super().__init__(source_path=shown_root)
        self.root_dir = root
        self.shown_root = shown_root
        self.var_values = var_values
        self.run = run
        self.files: list[str] = []
        self.extra_files: list[str] = []      # tfvars files read
        self.cli_vars: list[tuple[str, str]] = []   # (name, text given) of each --var, in order
        self.waivers: list[Waiver] = []
        self.ignored_waivers = 0              # waive comments not read (--no-source-waivers)
        # the values of variables declared sensitive = true, as evaluated: judged, never shown
        # (each resource shares this set: withheld.scrub_findings)
        self.secrets: set = set()
        self._sources: dict[str, ModuleSource] = {}
        self._not_followed: set[str] = set()
        self._coverage_seen: set = set()
        self._config: dict | None = None

    # ------------------------------------------------------------------ loading helpers
    def module_source(self, directory: str) -> ModuleSource:
        directory = os.path.normpath(directory)
        src = self._sources.get(directory)
        if src is None:
            src = load_module(directory, self.root_dir, self.shown_root)
            self._sources[directory] = src
            self.files += src.files
            for kind, message, details in src.notes:      # e.g. a symlinked file read from outside the tree
                self.coverage(kind, message, **details)
        return src

    def shown(self, frel: str) -> str:
        return os.path.join(self.shown_root, frel) if self.shown_root else frel

    def attr_value(self, attr: Attribute, scope: Scope, annotate: bool = True) -> Any:
        """The attribute's value; with ``annotate``, an Unknown names the expression it came from."""
        try:
            v = evaluate(attr.expr, scope)
        except EvalError as e:
            return Unknown(f"{attr.name} = {attr.text} cannot be evaluated: {e}")
        except LimitExceeded as e:
            if e.line is None:
                e.line, e.what = attr.line, f"{attr.name} = {_short(attr.text)}"
            raise
        if annotate and isinstance(v, Unknown) and attr.text not in v.reason:
            return Unknown(f"{v.reason} (expression: {attr.text})")
        return v

    def coverage(self, kind: str, message: str, **details) -> None:
        key = (kind, message)
        if self.run is not None and key not in self._coverage_seen:
            self._coverage_seen.add(key)
            self.run.add_coverage(kind, message, **details)

    def not_followed(self, module: str, source: str, frel: str, line: int, why: str | None = None) -> None:
        base = _deindex(module)
        if base in self._not_followed:
            return
        self._not_followed.add(base)
        self.coverage("module-not-followed",
                      f"{base}: source {source!r} " + (f"is not followed: {why}" if why else "is not a local directory")
                      + "; its resources are not scanned",
                      module=base, source=source, file=frel, line=line)

    # ------------------------------------------------------------------ TfProject API
    def refs(self, res: TfResource, path: str) -> list[str] | None:
        if not isinstance(res, SrcResource):
            return None
        res.realize()
        found = _expr_at(res.exprs, path)
        if found is None:
            return None
        return refs_of(found[0], found[1])

    def provider_versions(self):
        """The provider versions this tree admits (``provider_versions.from_source``): the
        ``required_providers`` of every module read, and the root's ``.terraform.lock.hcl``."""
        from .provider_versions import from_source
        if "_provider_versions" not in self.__dict__:
            self.__dict__["_provider_versions"] = from_source(list(self._sources.values()), self.root_dir)
        return self.__dict__["_provider_versions"]

    def default_tags(self, res: TfResource) -> Value:
        origin = Origin(SOURCE, "default_tags")
        entry = getattr(res, "provider_entry", None)
        if entry is None:
            return Value({}, origin)
        # the same for every resource of one provider configuration: evaluated once (callers copy it)
        cache = self.__dict__.setdefault("_default_tags_memo", {})
        key = (id(entry[0]), id(entry[2]))
        if key not in cache:
            cache[key] = self._read_default_tags(entry)
        return cache[key]

    def _read_default_tags(self, entry) -> Value:
        origin = Origin(SOURCE, "default_tags")
        block, frel, owner = entry
        dt = block.blocks("default_tags")
        tags = dt[0].attrs().get("tags") if dt else None
        if tags is None:
            return Value({}, origin)
        origin = Origin(SOURCE, "default_tags", frel, tags.line)
        v = self.attr_value(tags, owner.scope)
        if isinstance(v, Unknown):
            return Unknown(f"provider default_tags: {v.reason}", origin)
        if not isinstance(v, dict):
            return Unknown(f"provider default_tags = {tags.text} is not a map", origin)
        return Value(v, origin)

    @property
    def config(self) -> dict:
        """Provider settings in the shape of a plan's ``configuration`` (the mappers read regions there)."""
        if self._config is None:
            pc: dict = {}
            for r in self.resources:
                entry = getattr(r, "provider_entry", None)
                if entry is None or r.provider_key in pc:
                    continue
                block, _frel, owner = entry
                exprs = {}
                region = block.attrs().get("region")
                if region is not None:
                    v = self.attr_value(region, owner.scope)
                    exprs["region"] = {"constant_value": v} if isinstance(v, str) else {}
                pc[r.provider_key] = {"name": block.labels[0], "expressions": exprs}
            self._config = {"provider_config": pc}
        return self._config

    def config_blocks(self, res: TfResource, path: str) -> list[TfResource] | None:
        if not isinstance(res, SrcResource):
            return None
        res.realize()
        vals, exprs = res.raw(path), _lookup(res.exprs, path)
        if not isinstance(vals, list) or not isinstance(exprs, list):
            return None
        return [_SrcBlock(e, address=res.address, type=res.type, name=res.name, mode=res.mode,
                          module=res.module, values=v, source=SOURCE, file=res.file, line=res.line,
                          attr_lines=res.attr_lines) for v, e in zip(vals, exprs)]


class _SrcBlock(TfResource):
    """A nested block as its own small resource (values and references)."""

    def __init__(self, exprs: dict, **kw):
        super().__init__(**kw)
        self._exprs = exprs

    def refs(self, path: str) -> list[str] | None:
        found = _expr_at(self._exprs, path)
        return None if found is None else refs_of(found[0], found[1])


# ----------------------------------------------------------------------------- entry points
def load_dir(path: str, var_files: list[str] | None = None, variables: list[str] | None = None,
             run=None, waivers: bool = True) -> SourceProject:
    """The root module at ``path`` with its resources; ``waivers=False`` counts the waive comments
    without reading them (a gate that trusts only reviewed waiver files: a malformed comment
    there is not its input error)."""
    if not os.path.isdir(path):
        raise InputError("not a directory", path)
    root = os.path.abspath(path)
    if not tf_files(root):
        raise InputError("no .tf or .tf.json files in this directory (is it a Terraform root module?)", path)
    project = SourceProject(root, path, {}, run)
    src = project.module_source(root)
    project.var_values = _variable_values(project, root, var_files or [], variables or [])
    top = ModuleInstance(project, src, "")
    where = (project.shown(os.path.relpath(tf_files(root)[0], root)), None, "the root module")
    try:
        for inst in top.walk():
            for rb in inst.src.resources.values():
                where = (project.shown(rb.file), str(rb.block.line), rb.local)
                for r in inst.instances(rb):
                    r.realize()
                    project.resources.append(r)
            where = (where[0], where[1], f"the module calls of {inst.addr or 'the root module'}")
    except LimitExceeded as e:
        where_file = project.shown(e.file) if e.file else where[0]
        line = e.line if e.line is not None else where[1]
        raise InputError(f"{e.what + ': ' if e.what else ''}{e.message}", where_file,
                         None if line is None else str(line)) from None
    except RecursionError:
        # the parser bounds nesting; what is left is a very long chain of references
        # (local.a = local.b, local.b = local.c, ...), which Python's stack cannot follow
        raise InputError(f"{where[2]}: a chain of references (locals, variables, outputs, resources) "
                         f"is too long to evaluate", where[0], where[1]) from None
    if waivers:
        project.waivers = _source_waivers(project, top)
    else:
        project.ignored_waivers = sum(len(list(_waive_comments(project, i.src))) for i in top.walk())
    return project


def _short(text: str, n: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 3] + "..."


def locate(plan_project: TfProject, src_dir: str, run=None, waivers: bool = True,
           explicit: bool = True) -> SourceProject | None:
    """Give a plan's resources the file and line of their blocks; read waive comments.
    Returns the source tree read (its files are hashed into the results: waivers come from them).

    A tree that declares none of the plan's resources is not the plan's configuration: given
    with --source-dir it is an input error; found beside the plan it is not used (None)."""
    if not os.path.isdir(src_dir):
        raise InputError("--source-dir is not a directory", src_dir)
    root = os.path.abspath(src_dir)
    if not tf_files(root):
        raise InputError("no .tf or .tf.json files in the source directory", src_dir)
    project = SourceProject(root, src_dir, {}, None)
    blocks: dict[str, ResBlock] = {}
    _static_blocks(project, project.module_source(root), "", blocks, {os.path.realpath(root)},
                   read_manifest(root, src_dir))
    matched: dict[str, list[str]] = {}
    for r in plan_project.resources:
        key = _deindex(r.address)
        rb = blocks.get(key)
        if rb is None:
            continue
        r.file, r.line = rb.file, rb.block.line
        r.attr_lines = block_attr_lines(rb.block)
        matched.setdefault(key, []).append(r.address)
    managed = [r for r in plan_project.resources if r.mode == "managed"]
    if managed and not matched:
        if not explicit:
            return None
        raise InputError(f"--source-dir declares none of the plan's {len(managed)} resources "
                         f"(is it the configuration the plan was made from?)", src_dir)
    comments: dict[int, list] = {}
    for src in project._sources.values():
        for frel, line, text, block in _waive_comments(project, src):
            comments.setdefault(id(block), []).append((frel, line, text))
    found: list[Waiver] = []
    for addr, rb in blocks.items():
        for frel, line, text in comments.get(id(rb.block), []):
            if not waivers:
                plan_project.ignored_waivers = getattr(plan_project, "ignored_waivers", 0) + 1
                continue
            found += [_waiver(project, frel, line, text, a) for a in matched.get(addr) or [addr]]
    plan_project.waivers = found
    return project


def tree_files(project: SourceProject) -> list[dict]:
    """Every file read (.tf, .tf.json, tfvars), relative to the root, with its own sha256, by name."""
    out = []
    for p in set(project.files) | set(project.extra_files):
        with open(p, "rb") as fh:
            out.append({"path": os.path.relpath(p, project.root_dir).replace(os.sep, "/"),
                        "sha256": sha256(fh.read()).hexdigest()})
    return sorted(out, key=lambda f: f["path"])


def tree_sha256(files: list[dict]) -> str:
    """One digest for a tree: sha256 over the lines "<path>\\0<sha256 of the file>\\n" of ``tree_files``.

    An auditor reproduces it from the per-file digests the results list (which ``sha256sum`` gives)."""
    h = sha256()
    for f in files:
        h.update(f"{f['path']}\0{f['sha256']}\n".encode())
    return h.hexdigest()


def source_record(project: SourceProject) -> dict:
    """What the results say of a .tf tree: its digest, every file read, and the --var values set
    (name and the sha256 of the text given, not the text: a variable may hold a secret)."""
    files = tree_files(project)
    rec = {"sha256": tree_sha256(files), "files": files}
    if project.cli_vars:
        rec["variables"] = [{"name": n, "value_sha256": sha256(raw.encode()).hexdigest()}
                            for n, raw in project.cli_vars]
    return rec


def block_attr_lines(block: Block) -> dict[str, int]:
    lines = {}
    for item in block.body:
        if isinstance(item, Attribute):
            lines[item.name] = item.line
        elif isinstance(item, Block):
            name = item.labels[0] if item.type == "dynamic" and item.labels else item.type
            lines.setdefault(name, item.line)
    return lines


# ----------------------------------------------------------------------------- variables
def _variable_values(project: SourceProject, root: str, var_files: list[str], options: list[str]) -> dict:
    """Terraform's order: terraform.tfvars(.json), *.auto.tfvars(.json) by name, then the command line."""
    files = []
    for name in ("terraform.tfvars", "terraform.tfvars.json"):
        if os.path.isfile(os.path.join(root, name)):
            files.append((os.path.join(root, name), os.path.join(project.shown_root, name)))
    for name in sorted(os.listdir(root)):
        if name.endswith((".auto.tfvars", ".auto.tfvars.json")):
            files.append((os.path.join(root, name), os.path.join(project.shown_root, name)))
    for f in var_files:
        if not os.path.isfile(f):
            raise InputError("--var-file not found", f)
        files.append((os.path.abspath(f), f))
    root_src = project.module_source(root)
    declared = root_src.variables
    values: dict = {}
    for path, shown in files:
        got = read_tfvars(path, shown, root_src)     # converted to the declared types
        for name in got:
            if name not in declared:
                # Terraform warns here (a shared tfvars file may set variables of other roots)
                project.coverage("input-warning",
                                 f"{shown}: a value for undeclared variable {name} is ignored "
                                 f"(the root module declares no variable {name!r})",
                                 file=shown, variable=name)
        values.update(got)
        project.extra_files.append(path)
    for opt in options:
        name, value = parse_var_option(opt, root_src)
        if name not in declared:
            # Terraform refuses it: most often a typo, and the value meant for the scan would be lost
            raise InputError(f"--var {name}: a value for undeclared variable {name} "
                             f"(the root module {project.shown_root} declares no variable {name!r})")
        values[name] = value
        project.cli_vars.append((name, opt.split("=", 1)[1] if "=" in opt else ""))
    return values


# ----------------------------------------------------------------------------- references
class _Walk:
    """What a reference walk collects: addresses in order, and those only possibly referenced."""

    def __init__(self):
        self.out: list[str] = []
        self.possible: dict[str, str] = {}

    def add(self, addrs, doubt: str | None) -> None:
        for a in addrs:
            self.out.append(a)
            why = doubt or (addrs.possible.get(a) if isinstance(addrs, Refs) else None)
            if why and a not in self.possible:
                self.possible[a] = why


def refs_of(node: tuple, scope: Scope, depth: int = 0, choices: bool = False) -> Refs:
    """Addresses of the resources an expression refers to (through locals, module inputs and outputs).

    Only the branch of a conditional that Terraform takes counts; when the condition is not known,
    both branches' references are possible, never certain (``Refs.possible``). At the top (or with
    ``choices``), a value written as one of several expressions also gets ``Refs.choices``: the
    references of each.
    """
    w = _Walk()
    _walk_refs(node, scope, w, depth, None)
    seen = list(dict.fromkeys(w.out))
    # a reference that is certain somewhere in the expression is certain
    certain = {a for a in w.out if a not in w.possible}
    out = Refs(seen, {a: why for a, why in w.possible.items() if a not in certain})
    if out.possible and (depth == 0 or choices) and depth < 30:
        # the value is one of several expressions (an unknown condition or selector): each one's
        # references, so a reader can ask whether every one names a key it accepts
        alts = _top_alternatives(node, scope, depth)
        if alts:
            out.choices = [refs_of(a, sc, depth + 1, choices=True) for a, sc in alts]
    return out


def _top_alternatives(node, scope, depth: int) -> list | None:
    """[(expression, scope)] the value of ``node`` is one of, when that is how it is written at its
    top (through local values and module inputs); None otherwise."""
    at = _narrow(node, scope, depth)
    if at is None:
        return None
    node, scope = at
    kind = node[0]
    if kind == "cond":
        taken, _why = _branch(node[1], scope)
        return [(node[2], scope), (node[3], scope)] if taken is None else None
    if kind == "index" and _chain(node)[0] is None and _selector_doubt(node[2], scope):
        inner = _narrow(node[1], scope, depth)
        elems = _elements(inner[0]) if inner is not None else None
        return [(e, inner[1]) for e in elems] if elems else None
    if kind == "call" and node[1] in _SELECTOR_AT and not node[3] and len(node[2]) > 1 \
            and _selector_doubt(node[2][1], scope):
        inner = _narrow(node[2][0], scope, depth)
        elems = _elements(inner[0]) if inner is not None else None
        if not elems:
            return None
        return [(e, inner[1]) for e in elems] + [(d, scope) for d in node[2][2:]]
    return None


def _walk_refs(node, scope, w: _Walk, depth: int, doubt: str | None) -> None:
    kind = node[0]
    if kind == "index" and _chain(node)[0] is None:
        # [a.id, b.id][i] / {x = a.id}[k]: with the selector not known, each element is possible
        why = _selector_doubt(node[2], scope)
        alts = _elements(node[1]) if why else None
        picked = None if why else _picked(node[1], scope, _eval_key(node[2], scope), depth)
        if alts:
            _walk_alternatives(alts, scope, w, depth, doubt, why)
        elif picked is not None:
            _walk_refs(picked[0], picked[1], w, depth + 1, doubt)   # [a.id, b.id][0]: a only
        else:
            _walk_refs(node[1], scope, w, depth, doubt or why)
        return
    if kind in ("name", "attr", "index", "splat"):
        root, ops = _chain(node)
        it = scope.vars.get(root) if root is not None else None
        if it.__class__ is Iteration:
            # a dynamic block's <iterator>.value: the element of its for_each collection
            if ops and ops[0] == ("attr", "value"):
                w.add(_element_refs(it.expr, it.scope, it["key"], depth), doubt)
            return
        if root is not None:
            # local.keys[i] / var.ids[k] / module.m[i].out with the key not known: the value is one
            # element of what the name holds, so each reference of it is only possible
            why = _ops_doubt(ops, scope) if root in ("local", "var", "module") else None
            at = _narrow_chain(root, ops, scope, depth) if root in ("local", "var") and not why \
                and len(ops) > 1 else None
            if at is not None:
                # local.ids[0], local.m.a: that element's references; an element of a collection
                # that cannot be followed (built by a function, from a module's output) is one of
                # its references, each possible
                _walk_refs(at[0], at[1], w, depth + 1, doubt or (_UNFOLLOWED if at[2] else None))
                return
            if root == "module" and not why and _selects_in_output(ops, scope):
                why = _UNFOLLOWED
            w.add(_resolve(root, ops, scope, depth), doubt or why)
            return
        for child in node[1:]:
            if isinstance(child, tuple):
                _walk_refs(child, scope, w, depth, doubt)
    elif kind == "cond":
        # the condition decides which value is used; its own references are not the value's
        taken, why = _branch(node[1], scope)
        if taken is None:
            _walk_alternatives([node[2], node[3]], scope, w, depth, doubt, why)
        else:
            _walk_refs(node[2] if taken else node[3], scope, w, depth, doubt)
    elif kind == "tmpl":
        for p in node[1]:
            if isinstance(p, tuple):
                _walk_refs(p, scope, w, depth, doubt)
    elif kind == "tmpl_if":
        taken, why = _branch(node[1], scope)
        parts = node[2] + node[3] if taken is None else (node[2] if taken else node[3])
        for p in parts:
            if isinstance(p, tuple):
                _walk_refs(p, scope, w, depth, doubt or why)
    elif kind == "tmpl_for":
        _walk_refs(node[3], scope, w, depth, doubt)
    elif kind == "tuple":
        for x in node[1]:
            _walk_refs(x, scope, w, depth, doubt)
    elif kind == "object":
        for k, v in node[1]:
            _walk_refs(k, scope, w, depth, doubt)
            _walk_refs(v, scope, w, depth, doubt)
    elif kind == "call":
        if node[1] in _FIRST_OF and not node[3]:
            _walk_first(node[1], node[2], scope, w, depth, doubt)
        elif node[1] in _SELECTOR_AT and len(node[2]) > _SELECTOR_AT[node[1]] and not node[3]:
            # element(list, i) / lookup(map, key, default): the selector decides which one is returned
            why = _selector_doubt(node[2][_SELECTOR_AT[node[1]]], scope)
            alts = _elements(node[2][0]) if why else None
            picked = None if why else _selected(node[1], node[2], scope, depth)
            if picked is not None:
                _walk_refs(picked[0], picked[1], w, depth + 1, doubt)
            elif alts:
                # lookup()'s default is one more value it may return
                _walk_alternatives(alts + node[2][2:], scope, w, depth, doubt, why)
            else:
                for i, a in enumerate(node[2]):
                    if i != _SELECTOR_AT[node[1]]:
                        _walk_refs(a, scope, w, depth, doubt or why)
        else:
            for a in node[2]:
                _walk_refs(a, scope, w, depth, doubt)
    elif kind == "for":
        # [for x in coll : v if cond]: the filter decides which elements are kept; its own
        # references are not the value's
        _, _is_obj, kname, vname, coll_e, key_e, val_e, cond_e, _group = node
        why = doubt or ("a for expression's condition decides whether it is kept" if cond_e is not None else None)
        _walk_refs(coll_e, scope, w, depth, why)
        pairs = _for_pairs(coll_e, scope)
        if pairs is None:
            # the collection is not known: the element expressions are walked once, their
            # iteration variables unbound (a key they select is not known: possible)
            for child in (key_e, val_e):
                if isinstance(child, tuple):
                    _walk_refs(child, scope, w, depth, why)
            return
        # [for k in ["a"] : aws_x.y[k].id]: each element's expressions with its variables bound
        for k, v in pairs:
            sub = scope.child(**{vname: v, **({kname: k} if kname else {})})
            kept = doubt
            if cond_e is not None:
                try:
                    c = evaluate(cond_e, sub)
                    c = c if isinstance(c, Unknown) else to_bool(c)
                except EvalError as e:
                    c = Unknown(str(e))
                if c is False:
                    continue
                if isinstance(c, Unknown):
                    kept = doubt or f"a for expression's condition decides whether it is kept ({c.reason})"
            for child in (key_e, val_e):
                if isinstance(child, tuple):
                    _walk_refs(child, sub, w, depth, kept)
    elif kind in ("binop", "unop"):
        for child in node[1:]:
            if isinstance(child, tuple):
                _walk_refs(child, scope, w, depth, doubt)


_FOR_REFS_MAX = 64   # elements of a for expression walked one by one for references


def _for_pairs(coll_e, scope) -> list | None:
    """(key, value) of the collection a for expression iterates (None when it is not known or large)."""
    try:
        coll = evaluate(coll_e, scope)
    except EvalError:
        return None
    if isinstance(coll, list) and len(coll) <= _FOR_REFS_MAX:
        return list(enumerate(coll))
    if isinstance(coll, dict) and not isinstance(coll, Computed) and len(coll) <= _FOR_REFS_MAX:
        return sorted(coll.items(), key=lambda kv: kv[0])
    return None


def _element_refs(node, scope, key, depth: int) -> Refs:
    """References of the element at ``key`` (a list index, a map key) of the collection ``node``
    gives: followed through local values, literal lists and maps, for expressions, concat() and
    indexes by known keys; otherwise those of the whole collection, each possible."""
    at = _narrow(node, scope, depth)
    picked = _pick(at[0], at[1], key, depth) if at is not None else None
    if picked is not None:
        return refs_of(picked[0], picked[1], depth + 1)
    # not followed: each reference of the collection is possible (even for one element: slice()
    # or a filter may have left some out)
    whole = refs_of(node, scope, depth + 1)
    why = "it is one element of a collection, and which one is not followed"
    return Refs(whole, {a: whole.possible.get(a, why) for a in whole})


def _picked(node, scope, key, depth: int) -> tuple | None:
    """(expression, scope) of the element at a known ``key`` of what ``node`` stands for."""
    if key is None:
        return None
    at = _narrow(node, scope, depth)
    return _pick(at[0], at[1], key, depth) if at is not None else None


_UNFOLLOWED = "it is one element of a collection, and which one is not followed"


def _narrow_chain(root: str, ops: list, scope, depth: int) -> tuple | None:
    """local.x[0].y / var.m["k"]: (expression, scope, unfollowed) for what the chain's known keys
    pick out of the local value or module input, as far as they can be followed; ``unfollowed``
    when a key is left that selects in a collection whose elements cannot be told apart (a
    function's or a module output's value). None when the name itself cannot be followed."""
    at = _narrow(("attr", ("name", root), ops[0][1]), scope, depth) if ops[0][0] == "attr" else None
    if at is None:
        return None
    for i, op in enumerate(ops[1:], 1):
        if op[0] == "index":
            key = _eval_key(op[1], scope)
        elif op[0] == "attr":
            key = op[1]
        else:
            return at + (_is_collection(at[0]),)
        got = _pick(at[0], at[1], key, depth) if key is not None else None
        if got is None:
            if not _is_collection(at[0]):
                # a reference to a resource (local.vpcs = aws_vpc.all): the keys left apply to it
                return _apply(at[0], ops[i:], scope), at[1], False
            return at + (True,)
        at = _narrow(got[0], got[1], depth + 1) or got
    return at + (False,)


def _apply(node, ops: list, scope) -> tuple:
    """``node`` with the attribute and index operations ``ops`` (keys evaluated in ``scope``) applied."""
    for op in ops:
        if op[0] == "attr":
            node = ("attr", node, op[1])
        elif op[0] == "index":
            key = _eval_key(op[1], scope)
            if key is None:
                break
            node = ("index", node, ("lit", key))
        else:
            break
    return node


def _is_collection(node) -> bool:
    """Whether an expression may hold several references of which a key picks some: anything but
    a reference to a resource or data source (whose attribute is that resource's)."""
    root, _ops = _chain(node)
    return root is None or root in ("local", "var", "module", "each", "count", "self")


def _selects_in_output(ops: list, scope) -> bool:
    """module.m.out[0] / module.m[k].out["a"]: an index after the output's name picks in its value."""
    rest = ops[1:]
    if rest and rest[0][0] == "index":
        rest = rest[1:]   # the module instance
    return any(op[0] == "index" for op in rest[1:])


def _selected(name: str, args: list, scope, depth: int) -> tuple | None:
    """element(list, i) / lookup(map, key, default) with the index or key known: (expression, scope)
    of the value it returns, when the collection is written out (None otherwise)."""
    key = _eval_key(args[1], scope)
    at = _narrow(args[0], scope, depth) if key is not None else None
    if at is None:
        return None
    node, sc = at
    if name == "element" and node[0] == "tuple" and node[1] and isinstance(key, int) and key >= 0:
        return node[1][key % len(node[1])], sc   # element() wraps around
    if name == "lookup" and node[0] == "object":
        got = _pick(node, sc, key, depth)
        if got is not None:
            return got
        try:
            names = [evaluate(k, sc) for k, _v in node[1]]
        except EvalError:
            return None
        if len(args) > 2 and all(isinstance(n, str) for n in names):
            return args[2], scope   # no such key: the default
    return None


def _narrow(node, scope, depth: int) -> tuple | None:
    """The expression (and its scope) that a local value, or an element of one picked by known
    keys, stands for; None when it cannot be followed."""
    if depth > 30:
        return None
    kind = node[0]
    if kind == "attr" and node[1] == ("name", "local") and scope.module is not None:
        entry = scope.module.src.locals.get(node[2])
        return _narrow(entry[0].expr, scope.module.scope, depth + 1) if entry is not None else None
    if kind == "attr" and node[1] == ("name", "var") and scope.module is not None:
        inst = scope.module
        arg = inst.call.attrs().get(node[2]) if inst.parent is not None else None
        return _narrow(arg.expr, inst.call_scope, depth + 1) if arg is not None else None
    if kind == "index":
        key = _eval_key(node[2], scope)
        inner = _narrow(node[1], scope, depth + 1) if key is not None else None
        picked = _pick(inner[0], inner[1], key, depth) if inner is not None else None
        return _narrow(picked[0], picked[1], depth + 1) if picked is not None else None
    return node, scope


def _pick(node, scope, key, depth: int) -> tuple | None:
    """(expression, scope) of the element at ``key`` of a literal list or map, a for expression or
    concat(); None when it cannot be told."""
    kind = node[0]
    if kind == "tuple":
        return (node[1][key], scope) if isinstance(key, int) and 0 <= key < len(node[1]) else None
    if kind == "object":
        for k, v in node[1]:
            try:
                if to_key(evaluate(k, scope)) == key:
                    return v, scope
            except EvalError:
                return None
        return None
    if kind == "for":
        return _for_element(node, scope, key, depth)
    if kind == "call" and node[1] == "concat" and not node[3] and isinstance(key, int):
        for a in node[2]:
            try:
                n = evaluate(a, scope)
            except EvalError:
                return None
            if not isinstance(n, list):
                return None
            if key < len(n):
                return _pick(a, scope, key, depth) if a[0] in ("tuple", "for") else None
            key -= len(n)
    return None


def to_key(v):
    return v if isinstance(v, (int, str)) and not isinstance(v, bool) else None


def _for_element(node, scope, key, depth: int) -> tuple | None:
    """(value expression, scope with its variables bound) of the element at ``key`` of a for
    expression; None when it cannot be told (the collection or a filter is not known, or the
    element is built from an iteration value that carries references of its own)."""
    _, is_obj, kname, vname, coll_e, key_e, val_e, cond_e, group = node
    if group or (not is_obj and not isinstance(key, int)):
        return None
    pairs = _for_pairs(coll_e, scope)
    if pairs is None:
        return None
    each_instance = False
    if _mentions(val_e, vname) and refs_of(coll_e, scope, depth + 1):
        # [for e in aws_x.y : e.id]: the element for key k is built from the instance aws_x.y[k];
        # over anything else, which references an element carries is not followed
        if not _instances_of(coll_e, scope):
            return None
        each_instance = True
    j = 0
    for k, v in pairs:
        sub = scope.child(**{vname: v, **({kname: k} if kname else {})})
        try:
            if cond_e is not None:
                c = evaluate(cond_e, sub)
                if isinstance(c, Unknown):
                    return None
                if not to_bool(c):
                    continue
            if (to_key(evaluate(key_e, sub)) == key) if is_obj else j == key:
                if not each_instance:
                    return val_e, sub
                got = _subst(val_e, vname, ("index", coll_e, ("lit", k)))
                return (got, sub) if got is not None else None
        except EvalError:
            return None
        j += 1
    return None


def _instances_of(node, scope) -> bool:
    """Whether an expression names a managed resource's instances (aws_x.y, with count or for_each:
    iterating it gives each instance under its index or key)."""
    root, ops = _chain(node)
    inst = scope.module
    return inst is not None and root in inst.src.types and len(ops) == 1 and ops[0][0] == "attr" \
        and f"{root}.{ops[0][1]}" in inst.src.resources


def _subst(node, name: str, by: tuple):
    """``node`` with the name ``name`` replaced by the expression ``by``; None where a nested for
    expression binds the same name (it would mean another value there)."""
    if isinstance(node, list):
        out = [_subst(x, name, by) for x in node]
        return None if any(x is None for x, y in zip(out, node) if isinstance(y, (tuple, list))) else out
    if not isinstance(node, tuple):
        return node
    if node == ("name", name):
        return by
    if node and node[0] == "for" and name in (node[2], node[3]):
        return None
    out = tuple(_subst(x, name, by) if isinstance(x, (tuple, list)) else x for x in node)
    return None if any(x is None and isinstance(y, (tuple, list)) for x, y in zip(out, node)) else out


def _mentions(node, name: str | None) -> bool:
    """Whether an expression uses the name ``name`` (None: any name) anywhere."""
    if not isinstance(node, tuple):
        return isinstance(node, list) and any(_mentions(x, name) for x in node)
    if node[0] == "name":
        return name is None or node[1] == name
    return any(_mentions(x, name) for x in node[1:] if isinstance(x, (tuple, list)))


def _elements(node) -> list | None:
    """The expressions a literal list or object is made of (its values), None for anything else."""
    if node[0] == "tuple":
        return list(node[1])
    if node[0] == "object":
        return [v for _k, v in node[1]]
    return None


def _walk_alternatives(alts: list, scope, w: _Walk, depth: int, doubt: str | None, why: str | None) -> None:
    """The value is one of ``alts``, which one is not known (``why``): an address that every one of
    them certainly references is referenced whichever is taken (certain, unless ``doubt``); the
    others are possible."""
    subs = []
    for a in alts:
        s = _Walk()
        _walk_refs(a, scope, s, depth, None)
        subs.append(s)
    common = set.intersection(*({a for a in s.out if a not in s.possible} for s in subs)) if subs else set()
    for s in subs:
        for a in s.out:
            w.add((a,), doubt if a in common else (doubt or s.possible.get(a) or why))


def _ops_doubt(ops: list, scope) -> str | None:
    """Why an index of a chain (after its first name) selects what is not known (None: every key is)."""
    for op in ops[1:]:
        if op[0] == "index":
            why = _selector_doubt(op[1], scope)
            if why:
                return why
    return None


# functions whose value is one of their arguments: only that argument's references count
_FIRST_OF = {"try", "coalesce", "coalescelist"}
# functions that pick one element of a collection by the argument at this position
_SELECTOR_AT = {"element": 1, "lookup": 1}


def _selector_doubt(key_node, scope) -> str | None:
    """Why the element an index or key picks is not settled (None when the key is known)."""
    try:
        k = evaluate(key_node, scope)
    except EvalError as e:
        return f"the key that selects it cannot be evaluated ({e})"
    if isinstance(k, Unknown) or first_unknown(k) is not None:
        u = k if isinstance(k, Unknown) else first_unknown(k)
        return f"the key that selects it is not known ({u.reason})"
    return None


def _walk_first(name: str, args: list, scope, w: _Walk, depth: int, doubt: str | None) -> None:
    """try(): the first argument that evaluates; coalesce(): the first that is not null or empty.
    An argument not known yet may be the one returned (possible), and so may every one after it."""
    for i, a in enumerate(args):
        try:
            v = evaluate(a, scope)
        except EvalError:
            if name == "try":
                continue
            v = Unknown("it cannot be evaluated")
        if name == "try" or i == len(args) - 1:
            # the last argument of coalesce() is returned when every one before it was null
            _walk_refs(a, scope, w, depth, doubt)
            return
        if isinstance(v, Unknown):
            _walk_refs(a, scope, w, depth, doubt or f"{name}() returns it only if it is not null")
            doubt = doubt or f"{name}() returns it only if the arguments before it are null"
            continue
        if v is None or v == "" or (name == "coalescelist" and v == []):
            continue
        _walk_refs(a, scope, w, depth, doubt)
        return


def _branch(cond, scope) -> tuple[bool | None, str | None]:
    """Which branch a condition takes: (True/False, None), or (None, why) when it is not known."""
    try:
        c = evaluate(cond, scope)
        if not isinstance(c, Unknown):
            return to_bool(c), None
        why = c.reason
    except EvalError as e:
        why = str(e)
    return None, f"the condition that chooses it is not known ({why})"


def _chain(node) -> tuple[str | None, list]:
    ops: list = []
    while True:
        kind = node[0]
        if kind == "name":
            return node[1], ops
        if kind == "attr":
            ops.insert(0, ("attr", node[2]))
        elif kind == "index":
            ops.insert(0, ("index", node[2]))
        elif kind == "splat":
            ops[:0] = [("splat",)] + list(node[2])
        else:
            return None, ops
        node = node[1]


def _op_name(op, scope) -> str | None:
    if op[0] == "attr":
        return op[1]
    if op[0] == "index":
        try:
            v = evaluate(op[1], scope)
        except EvalError:
            return None
        return v if isinstance(v, str) else None
    return None


def _resolve(root: str, ops: list, scope: Scope, depth: int) -> list[str]:
    inst: ModuleInstance | None = scope.module
    if inst is None or depth > 30 or not ops:
        return []
    first = _op_name(ops[0], scope)
    if first is None:
        return []
    if root == "var":
        if inst.parent is None:
            return []
        arg = inst.call.attrs().get(first)
        return refs_of(arg.expr, inst.call_scope, depth + 1) if arg is not None else []
    if root == "local":
        entry = inst.src.locals.get(first)
        return refs_of(entry[0].expr, inst.scope, depth + 1) if entry else []
    if root == "module":
        if first not in inst.src.modules:
            return []
        kids = inst.children(first) or []
        rest = ops[1:]
        if rest and rest[0][0] == "index":
            key = _eval_key(rest[0][1], scope)
            kids = [k for k in kids if key is None or k.key == key]
            rest = rest[1:]
        out_name = _op_name(rest[0], scope) if rest else None
        w = _Walk()
        for kid in kids:
            outs = [out_name] if out_name else list(kid.src.outputs)
            for o in outs:
                block = kid.src.outputs.get(o)
                value = block.attrs().get("value") if block is not None else None
                if value is not None:
                    w.add(refs_of(value.expr, kid.scope, depth + 1), kid.existence)
        return Refs(w.out, w.possible)
    if root == "data":
        if len(ops) < 2:
            return []
        return _instances(inst, f"data.{first}.{_op_name(ops[1], scope)}", ops[2:], scope)
    if root in inst.src.types:
        return _instances(inst, f"{root}.{first}", ops[1:], scope)
    return []


def _instances(inst: ModuleInstance, local: str, rest: list, scope: Scope) -> list[str]:
    rb = inst.src.resources.get(local)
    if rb is None:
        return []
    insts = inst.instances(rb)
    doubt = None
    if rest and rest[0][0] == "index":
        key = _eval_key(rest[0][1], scope)
        if key is not None:
            picked = [r for r in insts if r.index == key or str(r.index) == str(key)]
            if picked:
                insts = picked
        elif len(insts) > 1:
            # aws_x.y[var.i] with the index not known: any instance may be the one
            doubt = _selector_doubt(rest[0][1], scope) or "the instance it selects is not known"
    # an instance that may not be created is only possibly referenced
    return Refs([r.address for r in insts],
                {r.address: r.existence or doubt for r in insts if r.existence or doubt})


def _eval_key(node, scope):
    try:
        v = evaluate(node, scope)
    except EvalError:
        return None
    if isinstance(v, Unknown):
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return v if isinstance(v, (int, str)) else None


def _lookup(exprs: Any, path: str) -> Any:
    cur = exprs
    for part in path.split("."):
        if isinstance(cur, dict):
            cur = cur.get(part)
        elif isinstance(cur, list):
            try:
                cur = cur[int(part)]
            except (ValueError, IndexError):
                return None
        else:
            return cur if isinstance(cur, tuple) else None
        if cur is None:
            return None
    return cur


def _expr_at(exprs: dict, path: str) -> tuple | None:
    """The (expression, scope) behind an attribute path; a path into a map gives the map's expression."""
    found = _lookup(exprs, path)
    if isinstance(found, tuple) and len(found) == 2 and isinstance(found[1], Scope):
        return found
    return None


# ----------------------------------------------------------------------------- waivers
_WAIVE = re.compile(r"specguard:waive\b(.*)")
_PAIR = re.compile(r'([A-Za-z_]+)\s*=\s*("(?:[^"\\]|\\.)*"|\S+)')
_INDEX = re.compile(r'\[(?:"(?:[^"\\]|\\.)*"|[^\]"])*\]')


def _deindex(address: str) -> str:
    return _INDEX.sub("", address)


def _waive_comments(project: SourceProject, src: ModuleSource):
    """(file, line, text, resource block) of each waive comment of a module's files."""
    for frel, line, text in src.comments:
        if "specguard:waive" not in text:
            continue
        block = None
        for rb in src.resources.values():
            if rb.file == frel and rb.block.line <= line <= rb.block.end_line:
                block = rb.block
                break
        if block is None:
            raise InputError("a specguard:waive comment must be inside the resource block it waives",
                             project.shown(frel), str(line))
        yield frel, line, text, block


def _waiver(project: SourceProject, frel: str, line: int, text: str, address: str) -> Waiver:
    from ...controls import load_rules
    from ...user_rules import active_ids

    shown, where = project.shown(frel), str(line)
    m = _WAIVE.search(text)
    rest = (m.group(1) if m else "").strip().rstrip("*/").strip()
    words = rest.split(None, 1)
    if not words or "=" in words[0]:
        raise InputError("specguard:waive needs a control id: specguard:waive ENC-01 until=YYYY-MM-DD reason=\"...\"",
                         shown, where)
    control_id = words[0]
    fields = {k: (v[1:-1].replace('\\"', '"') if v.startswith('"') else v)
              for k, v in _PAIR.findall(words[1] if len(words) > 1 else "")}
    missing = [k for k in ("until", "reason") if not fields.get(k, "").strip()]
    if missing:
        raise InputError(f"specguard:waive {control_id} is missing {' and '.join(missing)} "
                         f"(both until=YYYY-MM-DD and reason=\"...\" are required)", shown, where)
    if "approver" in fields and not fields["approver"].strip():
        raise InputError(f"specguard:waive {control_id}: approver is blank", shown, where)
    if control_id not in load_rules() and control_id not in active_ids():   # users' controls too
        raise InputError(f"specguard:waive: unknown control id {control_id!r}", shown, where)
    return Waiver(control_id, address, fields["reason"].strip(), (fields.get("approver") or "in-source comment").strip(),
                  parse_date(fields["until"], shown, where), origin=f"{frel}:{line}")


def _source_waivers(project: SourceProject, top: ModuleInstance) -> list[Waiver]:
    out: list[Waiver] = []
    for inst in top.walk():
        comments = list(_waive_comments(project, inst.src))
        if not comments:
            continue
        by_block = {id(rb.block): rb for rb in inst.src.resources.values()}
        for frel, line, text, block in comments:
            rb = by_block[id(block)]
            addrs = [r.address for r in inst.instances(rb)]
            base = f"{inst.addr}.{rb.local}" if inst.addr else rb.local
            for a in addrs or [base]:
                out.append(_waiver(project, frel, line, text, a))
    return out


def _static_blocks(project: SourceProject, src: ModuleSource, prefix: str, out: dict, seen: set,
                   manifest=None, keys: tuple = ()) -> None:
    """Every resource block of the tree by its address without indices (no evaluation needed),
    through local modules and those terraform init downloaded (whose waive comments waive nothing)."""
    for rb in src.resources.values():
        out[prefix + rb.local] = rb
    for call, (block, _frel) in src.modules.items():
        source = block.attrs().get("source")
        value = source.expr[1] if source is not None and source.expr[0] == "lit" else None
        if not isinstance(value, str):
            continue
        if is_local_source(value):
            directory = os.path.normpath(os.path.join(src.dir, value))
        else:
            version = block.attrs().get("version")
            directory, _why = find_downloaded(manifest, ".".join(keys + (call,)), value,
                                              version.expr[1] if version is not None and version.expr[0] == "lit"
                                              and isinstance(version.expr[1], str) else None)
            if directory is None:
                continue
        real = os.path.realpath(directory)     # a symlink back up the tree is the same directory
        if real in seen or not tf_files(directory):
            continue
        child = project.module_source(directory)
        drop_waive_comments(manifest, child)
        _static_blocks(project, child, f"{prefix}module.{call}.", out, seen | {real}, manifest, keys + (call,))
