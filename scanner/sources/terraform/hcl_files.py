"""Read the files of one Terraform module directory (``.tf``, ``.tf.json``), tfvars files, and the
manifest of the modules ``terraform init`` downloaded.

What is read is bounded and stays where Terraform would read it: no file larger than
``hcl_limits.MAX_FILE_BYTES`` is read (a sparse 3 GB file is refused from its size alone), and a
symlinked file whose target is outside the scanned directory is read only when the target is
Terraform configuration (Terraform reads it; the results say so under coverage) -- never a
credentials file a hostile tree points at, whose text a syntax error would quote.
"""
from __future__ import annotations

import errno
import json
import os
import re

from ...errors import InputError
from ...record import Record
from .hcl_limits import MAX_FILE_BYTES
from .hcl_parse import (MAX_NESTING, Attribute, Block, HclSyntaxError, HclTooDeep, parse, parse_expression,
                        parse_template)


class ResBlock(Record):
    """A resource or data block of a module, with the file it is in.  (Records, not dataclasses:
    scanner/record.py.)"""

    __slots__ = ("mode", "type", "name", "block", "file")

    def __init__(self, mode: str, type: str, name: str, block: Block, file: str):
        self.mode = mode      # managed | data
        self.type = type
        self.name = name
        self.block = block
        self.file = file      # relative to the scanned directory

    @property
    def local(self) -> str:
        return f"{'data.' if self.mode == 'data' else ''}{self.type}.{self.name}"


class ModuleSource(Record):
    """One directory's configuration, parsed (shared by every instance of the module)."""

    __slots__ = ("dir", "rel", "real", "files", "variables", "locals", "resources", "types", "modules", "outputs",
                 "providers", "comments", "var_types", "var_files", "notes")

    def __init__(self, dir: str, rel: str, real: str = "", files: list[str] | None = None,
                 variables: dict[str, Block] | None = None, locals: dict[str, tuple[Attribute, str]] | None = None,
                 resources: dict[str, ResBlock] | None = None, types: set[str] | None = None,
                 modules: dict[str, tuple[Block, str]] | None = None, outputs: dict[str, Block] | None = None,
                 providers: list[tuple[Block, str]] | None = None, comments: list[tuple[str, int, str]] | None = None,
                 var_types: dict[str, tuple | None] | None = None, var_files: dict[str, str] | None = None,
                 notes: list[tuple[str, str, dict]] | None = None):
        self.dir = dir                 # absolute
        self.rel = rel                 # relative to the scanned directory ("." for the root)
        self.real = real               # dir with symlinks resolved (module cycles compare these)
        self.files = [] if files is None else files                       # absolute paths read
        self.variables = {} if variables is None else variables
        self.locals = {} if locals is None else locals
        self.resources = {} if resources is None else resources           # local address -> block
        self.types = set() if types is None else types                    # managed resource types
        self.modules = {} if modules is None else modules
        self.outputs = {} if outputs is None else outputs
        self.providers = [] if providers is None else providers
        self.comments = [] if comments is None else comments              # (file, line, text)
        self.var_types = {} if var_types is None else var_types          # variable -> hcl_types type
        self.var_files = {} if var_files is None else var_files          # variable -> file declaring it
        self.notes = [] if notes is None else notes                       # coverage (kind, message, details)


def tf_files(directory: str) -> list[str]:
    """The configuration files of a directory (a symlink among them is checked when it is read)."""
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return []
    out = []
    for n in names:
        if n.endswith(".tf") or n.endswith(".tf.json"):
            p = os.path.join(directory, n)
            if os.path.isfile(p) or os.path.islink(p):
                out.append(p)
    return out


def read_text(path: str, shown: str) -> str:
    """A file's text, refused (not read) when it is larger than MAX_FILE_BYTES."""
    too_big = f"larger than specguard's limit of {MAX_FILE_BYTES} bytes for one file: not read"
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > MAX_FILE_BYTES:
                raise InputError(f"{too_big} ({size} bytes)", shown)
            data = fh.read(MAX_FILE_BYTES + 1)      # a device or a growing file says nothing by its size
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror or e.__class__.__name__}", shown)
    if len(data) > MAX_FILE_BYTES:
        raise InputError(too_big, shown)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", shown)


def within(path: str, parent: str) -> bool:
    """``path`` is ``parent`` or below it (both already resolved with realpath)."""
    return path == parent or path.startswith(parent.rstrip(os.sep) + os.sep)


_CONFIG_NAME = re.compile(r".*\.(tf|tf\.json|tfvars|tfvars\.json)\Z")


def _linked_outside(path: str, shown: str, allowed: list[str], what: str) -> str | None:
    """For a symlink whose target is outside every ``allowed`` (resolved) directory: the target,
    when it is Terraform configuration Terraform would read; anything else is an input error
    (not read, so nothing of it is quoted)."""
    if not os.path.islink(path):
        return None
    try:
        real = os.path.realpath(path, strict=True)
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise InputError("a symlink loop: not read", shown) from None
        raise InputError("a symlink to a file that does not exist", shown) from None
    if any(within(real, a) for a in allowed):
        return None
    if not os.path.isfile(real) or not _CONFIG_NAME.match(os.path.basename(real)):
        raise InputError(f"a symlink to a file outside the scanned directory that is not {what}: not read", shown)
    return real


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
    src = ModuleSource(dir=directory, rel=rel, real=os.path.realpath(directory))
    allowed = [os.path.realpath(root), src.real]
    # override files (override.tf, *_override.tf) are merged into the blocks they name, after the others
    paths = sorted(tf_files(directory), key=lambda p: _is_override(p))
    for path in paths:
        frel = os.path.relpath(path, root)
        shown = os.path.join(shown_root, frel) if shown_root else frel
        target = _linked_outside(path, shown, allowed, "Terraform configuration")
        if target is not None:
            src.notes.append(("file-outside-root", f"{frel}: a symlink to {target}, outside the scanned directory "
                              f"(read, as Terraform reads it)", {"file": frel, "target": target}))
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
    _types(src, root, shown_root)
    return src


def _types(src: ModuleSource, root: str, shown_root: str) -> None:
    """Each variable's declared type, parsed once (a bad type constraint is an input error, as in Terraform)."""
    from .hcl_types import variable_type

    for name, block in src.variables.items():
        frel = src.var_files.get(name, "")
        src.var_types[name] = variable_type(block, os.path.join(shown_root, frel) if shown_root else frel)


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
            src.var_files[labels[0]] = frel
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
    from .plan import parse_json   # strict JSON: no NaN/Infinity, lone surrogate, 4300-digit integer
    try:
        doc = parse_json(text.encode("utf-8"), shown, too_deep)
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
_AUTO_TFVARS = re.compile(r"(terraform\.tfvars(\.json)?|.*\.auto\.tfvars(\.json)?)\Z")


def read_tfvars(path: str, shown: str, root: ModuleSource | None = None) -> dict:
    """Values of a .tfvars (HCL) or .tfvars.json file; references are not allowed there.

    With ``root`` (the root module), each value of a declared variable is converted to the
    variable's type as Terraform converts it; a value Terraform would refuse is an input error
    at its line.  A tfvars file the root loads by itself (terraform.tfvars, *.auto.tfvars) that
    is a symlink out of the scanned directory is not read: --var-file reads it deliberately."""
    from .hcl_eval import EvalError, Scope, evaluate

    if root is not None and os.path.dirname(path) == root.dir and _AUTO_TFVARS.match(os.path.basename(path)):
        if os.path.islink(path) and not within(os.path.realpath(path), root.real):
            raise InputError("a symlink to a file outside the scanned directory: not read "
                             "(give it with --var-file to read it)", shown)
    lines: dict[str, int] = {}
    if path.endswith(".json"):
        text = read_text(path, shown)
        doc = _load_json(text, shown)
        if not isinstance(doc, dict):
            raise InputError("a .tfvars.json file must hold a JSON object", shown)
        finder = _LineFinder(text)
        out = dict(doc)
        lines = {k: finder.find(k) for k in doc} if root is not None else {}
    else:
        parsed = parse_hcl_file(path, shown)
        out = {}
        scope = Scope(lambda name: _no_refs(name))
        for item in parsed.body:
            if isinstance(item, Block):
                raise InputError(f"a variables file holds only assignments, not a {item.type} block", shown,
                                 str(item.line))
            try:
                out[item.name] = evaluate(item.expr, scope)
            except EvalError as e:
                raise InputError(f"variable {item.name}: {e}", shown, str(item.line))
            lines[item.name] = item.line
    if root is not None:
        for name, value in out.items():
            if name in root.variables:
                out[name] = _typed(root, name, value, shown, str(lines.get(name, "")) or None)
    return out


def _typed(root: ModuleSource, name: str, value, shown: str, where: str | None):
    """A root variable's value as its declared type; an input error where Terraform refuses it."""
    from .hcl_types import Mismatch, convert

    try:
        return convert(value, root.var_types.get(name), f"var.{name}")
    except Mismatch as e:
        raise InputError(f"{e} (variable {name} is declared {_type_text(root, name)})", shown, where) from None


def _type_text(root: ModuleSource, name: str) -> str:
    from .hcl_types import show

    t = root.var_types.get(name)
    text = show(t) if t is not None else "any"
    return text if len(text) <= 80 else text[:77] + "..."


def _no_refs(name: str):
    from .hcl_eval import EvalError
    raise EvalError(f"{name} is not a value: a variables file or --var value cannot refer to anything "
                    f"(quote a string)")


def parse_var_option(option: str, root: ModuleSource | None = None) -> tuple[str, object]:
    """``--var name=value`` as Terraform reads ``-var``: for a variable declared with a collection,
    object, tuple or ``any`` type the value is an HCL expression, otherwise a literal string; then
    it is converted to the declared type (a value Terraform refuses is an input error).  Without
    ``root``: a value starting with [ or { is an HCL expression, anything else a string."""
    from .hcl_eval import EvalError, Scope, evaluate
    from .hcl_types import Mismatch, convert, is_primitive

    if "=" not in option:
        raise InputError(f"--var {option!r}: expected NAME=VALUE")
    name, value = option.split("=", 1)
    name = name.strip()
    if not name:
        raise InputError(f"--var {option!r}: expected NAME=VALUE")
    declared = root is not None and name in root.variables
    t = root.var_types.get(name) if declared else None
    if (declared and t is not None and not is_primitive(t)) or (not declared and value.lstrip()[:1] in ("[", "{")):
        try:
            parsed = evaluate(parse_expression(value), Scope(_no_refs))
        except (HclSyntaxError, EvalError) as e:
            raise InputError(f"--var {name}: {getattr(e, 'message', e)}")
    else:
        parsed = value
    if declared:
        try:
            parsed = convert(parsed, t, f"var.{name}")
        except Mismatch as e:
            raise InputError(f"--var {name}: {e} (variable {name} is declared {_type_text(root, name)})") from None
    return name, parsed


# ----------------------------------------------------------------------------- downloaded modules
class Downloaded(Record):
    """One entry of the manifest ``terraform init`` writes (.terraform/modules/modules.json).
    (Records, not dataclasses: scanner/record.py.)"""

    __slots__ = ("key", "source", "dir", "version")

    def __init__(self, key: str, source: str, dir: str, version: str | None):
        self.key = key            # the call path: "vpc", "vpc.endpoints" for a call inside module vpc
        self.source = source      # as Terraform recorded it ("registry.terraform.io/terraform-aws-modules/vpc/aws")
        self.dir = dir            # absolute
        self.version = version


class Manifest(Record):
    """What .terraform/modules/modules.json says: the modules ``terraform init`` downloaded."""

    __slots__ = ("modules_dir", "entries", "shown")

    def __init__(self, modules_dir: str, entries: dict[str, Downloaded], shown: str):
        self.modules_dir = modules_dir   # resolved .terraform/modules
        self.entries = entries
        self.shown = shown               # modules.json as the user would name it


def read_manifest(root: str, shown_root: str) -> Manifest | None:
    """The modules ``terraform init`` downloaded for the root module at ``root`` (None before init).

    The data directory is ``.terraform`` or $TF_DATA_DIR, relative to the root module, as for
    ``terraform -chdir=ROOT``; the manifest's directories are relative to the root module too."""
    data_dir = os.path.join(root, os.environ.get("TF_DATA_DIR") or ".terraform")
    path = os.path.join(data_dir, "modules", "modules.json")
    if not os.path.isfile(path):
        return None
    shown = os.path.join(shown_root, os.path.relpath(path, root)) if shown_root else os.path.relpath(path, root)
    doc = _load_json(read_text(path, shown), shown)
    mods = doc.get("Modules") if isinstance(doc, dict) else None
    if not isinstance(mods, list):
        raise InputError('not a module manifest (expected {"Modules": [...]}); run terraform init again', shown)
    entries = {}
    for i, m in enumerate(mods):
        if not (isinstance(m, dict) and isinstance(m.get("Key"), str) and isinstance(m.get("Dir"), str)
                and isinstance(m.get("Source", ""), str)):
            raise InputError(f"Modules[{i}] is not a module entry (Key, Source and Dir strings); "
                             f"run terraform init again", shown)
        version = m.get("Version")
        entries[m["Key"]] = Downloaded(m["Key"], m.get("Source", ""), os.path.normpath(os.path.join(root, m["Dir"])),
                                       version if isinstance(version, str) else None)
    return Manifest(os.path.realpath(os.path.join(data_dir, "modules")), entries, shown)


def is_local_source(source: str) -> bool:
    """Terraform's local paths start with ./ or ../ (anything else is downloaded by terraform init)."""
    return source.startswith(("./", "../", ".\\", "..\\"))


def source_kind(source: str) -> str:
    """The kind of a remote module source, for messages: registry, git, S3, ..."""
    if source.startswith(("git::", "git@")) or re.match(r"(github\.com|bitbucket\.org)/", source):
        return "git"
    for prefix, kind in (("hg::", "Mercurial"), ("s3::", "S3"), ("gcs::", "GCS"), ("http://", "HTTP"),
                         ("https://", "HTTP")):
        if source.startswith(prefix):
            return kind
    if re.fullmatch(r"([A-Za-z0-9.-]+\.[A-Za-z]+/)?[\w-]+/[\w-]+/[\w-]+(//.*)?", source):
        return "registry"
    return "remote"


def same_source(written: str, recorded: str) -> bool:
    """Whether the manifest's source is the one the module block names (Terraform records registry
    addresses with their host and GitHub shorthands as git URLs)."""
    return _norm_source(written) == _norm_source(recorded)


def _norm_source(s: str) -> str:
    s = s.strip()
    s = re.sub(r"^registry\.terraform\.io/", "", s, flags=re.I)
    s = re.sub(r"^git::", "", s)
    s = re.sub(r"^(https?|ssh|git)://", "", s)
    s = re.sub(r"^git@([^:/]+):", r"\1/", s)
    s = re.sub(r"^git@", "", s)
    s = re.sub(r"\.git(?=$|[/?])", "", s)
    return s


def find_downloaded(manifest: Manifest | None, key: str, source: str, version: str | None) -> tuple[str | None, str]:
    """(directory, "") where terraform init put the module of call path ``key``, or (None, why not).

    Followed only when the recorded source is the block's, the recorded version is one the block's
    ``version`` constraint admits (Terraform itself asks for init again otherwise), and the
    directory is inside the modules directory (a committed manifest cannot point elsewhere)."""
    entry = manifest.entries.get(key) if manifest is not None else None
    if entry is None or not tf_files(entry.dir):
        return None, "terraform init has not downloaded it"
    if not same_source(source, entry.source):
        return None, (f"{manifest.shown} records it from {entry.source}: the source changed since terraform init "
                      f"(run it again)")
    if not within(os.path.realpath(entry.dir), manifest.modules_dir):
        return None, f"{manifest.shown} places it outside the directory terraform init downloads modules to"
    if version is not None and entry.version is not None:
        from .provider_versions import ConstraintError, contains, parse_constraint
        try:
            admitted = contains(parse_constraint(version), entry.version)
        except ConstraintError:
            admitted = True       # Terraform would have refused the constraint at init
        if not admitted:
            return None, (f"{manifest.shown} records version {entry.version}, which version = {version!r} does "
                          f"not admit (run terraform init again)")
    return entry.dir, ""


def drop_waive_comments(manifest: Manifest | None, src: ModuleSource) -> list:
    """Remove (and return) the specguard:waive comments of a module terraform init downloaded: its
    author's comments waive nothing (a registry module must not silence the findings of what it creates)."""
    if manifest is None or not within(src.real, manifest.modules_dir):
        return []
    dropped = [c for c in src.comments if "specguard:waive" in c[2]]
    if dropped:
        src.comments = [c for c in src.comments if "specguard:waive" not in c[2]]
    return dropped
