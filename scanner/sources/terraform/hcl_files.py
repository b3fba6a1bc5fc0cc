"""Read the files of one Terraform module directory (``.tf``, ``.tf.json``) and tfvars files."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

from ...errors import InputError
from .hcl_parse import (MAX_NESTING, Attribute, Block, HclSyntaxError, HclTooDeep, parse, parse_expression,
                        parse_template)


@dataclass
class ResBlock:
    mode: str          # managed | data
    type: str
    name: str
    block: Block
    file: str          # relative to the scanned directory

    @property
    def local(self) -> str:
        return f"{'data.' if self.mode == 'data' else ''}{self.type}.{self.name}"


@dataclass
class ModuleSource:
    """One directory's configuration, parsed (shared by every instance of the module)."""

    dir: str                                   # absolute
    rel: str                                   # relative to the scanned directory ("." for the root)
    files: list[str] = field(default_factory=list)                       # absolute paths read
    variables: dict[str, Block] = field(default_factory=dict)
    locals: dict[str, tuple[Attribute, str]] = field(default_factory=dict)
    resources: dict[str, ResBlock] = field(default_factory=dict)         # local address -> block
    types: set[str] = field(default_factory=set)                         # managed resource types
    modules: dict[str, tuple[Block, str]] = field(default_factory=dict)
    outputs: dict[str, Block] = field(default_factory=dict)
    providers: list[tuple[Block, str]] = field(default_factory=list)
    comments: list[tuple[str, int, str]] = field(default_factory=list)  # (file, line, text)


def tf_files(directory: str) -> list[str]:
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return []
    return [os.path.join(directory, n) for n in names
            if (n.endswith(".tf") or n.endswith(".tf.json")) and os.path.isfile(os.path.join(directory, n))]


def read_text(path: str, shown: str) -> str:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", shown)
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror or e.__class__.__name__}", shown)


def parse_hcl_file(path: str, shown: str):
    text = read_text(path, shown)
    try:
        return parse(text)
    except HclTooDeep as e:
        raise InputError(e.message, shown, str(e.line))
    except HclSyntaxError as e:
        if _reference_parser_accepts(text):
            raise InputError(f"specguard cannot read this construct yet (python-hcl2 accepts the file): "
                             f"{e.message}", shown, str(e.line))
        raise InputError(f"syntax error: {e.message}", shown, str(e.line))


def _reference_parser_accepts(text: str) -> bool:
    """A second opinion from python-hcl2 (the reference parser), asked only when ours refuses a file."""
    try:
        import hcl2.api
        hcl2.api.parses_to_tree(text)
    except Exception:
        return False
    return True


def load_module(directory: str, root: str, shown_root: str) -> ModuleSource:
    """Parse every .tf / .tf.json file of ``directory``; ``root`` is the scanned directory."""
    rel = os.path.relpath(directory, root)
    src = ModuleSource(dir=directory, rel=rel)
    # override files (override.tf, *_override.tf) are merged into the blocks they name, after the others
    paths = sorted(tf_files(directory), key=lambda p: _is_override(p))
    for path in paths:
        frel = os.path.relpath(path, root)
        shown = os.path.join(shown_root, frel) if shown_root else frel
        src.files.append(path)
        if path.endswith(".tf.json"):
            body, comments = _json_body(path, shown)
        else:
            parsed = parse_hcl_file(path, shown)
            body, comments = parsed.body, parsed.comments
        src.comments += [(frel, line, text) for line, text in comments]
        if _is_override(path):
            _override(src, body)
        else:
            _collect(src, body, frel, shown)
    return src


def _collect(src: ModuleSource, body: list, frel: str, shown: str) -> None:
    for item in body:
        if not isinstance(item, Block):
            continue
        t, labels = item.type, item.labels
        if t in ("resource", "data") and len(labels) == 2:
            rb = ResBlock("managed" if t == "resource" else "data", labels[0], labels[1], item, frel)
            if rb.local in src.resources:
                raise InputError(f"duplicate {t} \"{labels[0]}\" \"{labels[1]}\"", shown, str(item.line))
            src.resources[rb.local] = rb
            if t == "resource":
                src.types.add(labels[0])
        elif t == "variable" and labels:
            src.variables[labels[0]] = item
        elif t == "locals":
            for a in item.body:
                if isinstance(a, Attribute):
                    src.locals[a.name] = (a, frel)
        elif t == "module" and labels:
            src.modules[labels[0]] = (item, frel)
        elif t == "output" and labels:
            src.outputs[labels[0]] = item
        elif t == "provider" and labels:
            src.providers.append((item, frel))


def _is_override(path: str) -> bool:
    name = os.path.basename(path).split(".tf")[0]
    return name == "override" or name.endswith("_override")


def _override(src: ModuleSource, body: list) -> None:
    """Terraform's override files: attributes replace the same attributes; nested blocks replace those of the type."""
    for item in body:
        if not isinstance(item, Block):
            continue
        target = None
        if item.type in ("resource", "data") and len(item.labels) == 2:
            rb = src.resources.get(f"{'data.' if item.type == 'data' else ''}{item.labels[0]}.{item.labels[1]}")
            target = rb.block if rb else None
        elif item.type == "variable" and item.labels:
            target = src.variables.get(item.labels[0])
        elif item.type == "locals":
            for a in item.body:
                if isinstance(a, Attribute) and a.name in src.locals:
                    src.locals[a.name] = (a, src.locals[a.name][1])
        elif item.type == "module" and item.labels and item.labels[0] in src.modules:
            target = src.modules[item.labels[0]][0]
        if target is None:
            continue
        names = {i.name for i in item.body if isinstance(i, Attribute)}
        types = {i.type for i in item.body if isinstance(i, Block)}
        kept = [i for i in target.body if not (isinstance(i, Attribute) and i.name in names)
                and not (isinstance(i, Block) and i.type in types)]
        target.body[:] = kept + list(item.body)


# ----------------------------------------------------------------------------- .tf.json
# In JSON syntax a nested block and a map attribute look the same; these attributes are maps.
_MAP_ATTRS = {"tags", "tags_all", "labels", "variables", "environment", "parameters", "triggers",
              "metadata", "settings", "default", "value", "inputs", "providers", "locals"}


def _json_body(path: str, shown: str) -> tuple[list, list]:
    text = read_text(path, shown)
    doc = _load_json(text, shown)
    if not isinstance(doc, dict):
        raise InputError("syntax error: a .tf.json file must hold a JSON object", shown, "1")
    body: list = []
    finder = _LineFinder(text)
    try:
        _json_items(doc, finder, body)
    except HclTooDeep as e:
        raise InputError(e.message, shown, str(e.line))
    return body, []


def _load_json(text: str, shown: str):
    too_deep = InputError(f"JSON nested more than {MAX_NESTING} levels deep (specguard's limit)", shown)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(f"syntax error: {e.msg}", shown, str(e.lineno))
    except RecursionError:
        raise too_deep from None
    # the values go on to recursive code (evaluation, evidence): same limit as HCL
    level = [doc]
    for _ in range(MAX_NESTING + 2):
        level = [x for v in level for x in (v.values() if isinstance(v, dict) else v if isinstance(v, list) else ())]
        if not level:
            return doc
    raise too_deep


def _json_items(doc: dict, finder: "_LineFinder", body: list) -> None:
    for top, content in doc.items():
        for item in content if isinstance(content, list) else [content]:
            if not isinstance(item, dict):
                continue
            if top in ("resource", "data"):
                for typ, named in item.items():
                    for name, b in (named or {}).items():
                        for one in b if isinstance(b, list) else [b]:
                            line = finder.find(typ, name)
                            body.append(Block(top, [typ, name], _block_body(one, line), line, line))
            elif top in ("variable", "module", "output", "provider"):
                for name, b in item.items():
                    for one in b if isinstance(b, list) else [b]:
                        line = finder.find(name)
                        body.append(Block(top, [name], _block_body(one, line, top != "module"), line, line))
            elif top == "locals":
                line = finder.find("locals")
                body.append(Block("locals", [], [Attribute(k, _json_expr(v, line), line, json.dumps(v))
                                                 for k, v in item.items()], line, line))


def _block_body(obj: dict, line: int, nested_blocks: bool = True, depth: int = 0) -> list:
    if depth > MAX_NESTING:
        raise HclTooDeep(line)
    out: list = []
    for k, v in (obj or {}).items():
        if k == "//":
            continue
        if nested_blocks and k not in _MAP_ATTRS and (
                isinstance(v, dict) or (isinstance(v, list) and v and all(isinstance(x, dict) for x in v))):
            for one in v if isinstance(v, list) else [v]:
                out.append(Block(k, [], _block_body(one, line, depth=depth + 1), line, line))
        else:
            out.append(Attribute(k, _json_expr(v, line), line, json.dumps(v)))
    return out


def _json_expr(v, line: int = 0, depth: int = 0):
    if depth > MAX_NESTING:
        raise HclTooDeep(line)
    if isinstance(v, str):
        try:
            return parse_template(v)
        except HclTooDeep:
            raise HclTooDeep(line) from None
        except HclSyntaxError:
            return ("lit", v)
    if isinstance(v, list):
        return ("tuple", [_json_expr(x, line, depth + 1) for x in v])
    if isinstance(v, dict):
        return ("object", [(("lit", k), _json_expr(x, line, depth + 1)) for k, x in v.items()])
    return ("lit", v)


class _LineFinder:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0

    def find(self, *keys: str) -> int:
        pos = self.pos
        for k in keys:
            p = self.text.find(json.dumps(k), pos)
            if p < 0:
                return self.text.count("\n", 0, self.pos) + 1
            pos = p + 1
        self.pos = pos
        return self.text.count("\n", 0, pos) + 1


# ----------------------------------------------------------------------------- variables
def read_tfvars(path: str, shown: str) -> dict:
    """Values of a .tfvars (HCL) or .tfvars.json file; references are not allowed there."""
    from .hcl_eval import EvalError, Scope, evaluate

    if path.endswith(".json"):
        doc = _load_json(read_text(path, shown), shown)
        if not isinstance(doc, dict):
            raise InputError("a .tfvars.json file must hold a JSON object", shown)
        return doc
    parsed = parse_hcl_file(path, shown)
    out = {}
    scope = Scope(lambda name: _no_refs(name))
    for item in parsed.body:
        if isinstance(item, Block):
            raise InputError(f"a variables file holds only assignments, not a {item.type} block", shown, str(item.line))
        try:
            out[item.name] = evaluate(item.expr, scope)
        except EvalError as e:
            raise InputError(f"variable {item.name}: {e}", shown, str(item.line))
    return out


def _no_refs(name: str):
    from .hcl_eval import EvalError
    raise EvalError(f"a variables file cannot refer to {name}")


def parse_var_option(option: str) -> tuple[str, object]:
    """``--var name=value``: a value starting with [ or { is an HCL expression, anything else a string."""
    from .hcl_eval import EvalError, Scope, evaluate

    if "=" not in option:
        raise InputError(f"--var {option!r}: expected NAME=VALUE")
    name, value = option.split("=", 1)
    name = name.strip()
    if not name:
        raise InputError(f"--var {option!r}: expected NAME=VALUE")
    if value.lstrip()[:1] in ("[", "{"):
        try:
            return name, evaluate(parse_expression(value), Scope(_no_refs))
        except (HclSyntaxError, EvalError) as e:
            raise InputError(f"--var {name}: {getattr(e, 'message', e)}")
    return name, value
