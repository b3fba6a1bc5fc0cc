"""Reading the user's YAML files (profiles, waivers): one place for the errors and the limits.

Imported only when such a file is given, so a plain scan does not pay for PyYAML.

These files may come from a shared repository, so reading one is bounded: its size, its
nesting depth, and the size of the document once aliases are expanded (a "billion laughs"
file of a few hundred bytes otherwise expands to gigabytes as soon as a value is turned into
text).  Aliases are kept, not refused: an anchor for a shared approver or a parameter list
(and ``<<: *defaults`` merges) is ordinary YAML that people write.  The limits are far above
any real profile or waiver file (a waiver is about 11 nodes, so 200,000 nodes is some
18,000 waivers).  Every problem is an InputError naming the file and line, exit 2.
"""
from __future__ import annotations

import hashlib
from typing import Any, NamedTuple

import yaml

from .errors import InputError, shown

MappingNode = yaml.MappingNode
SequenceNode = yaml.SequenceNode

MAX_BYTES = 4 * 1024 * 1024          # file size
MAX_DEPTH = 64                       # nested collections
MAX_NODES = 200_000                  # nodes once aliases are expanded
MAX_CHARS = 16 * 1024 * 1024         # characters of text once aliases are expanded
MAX_DIGITS = 30                      # an integer (a count of days, a port, an account id is 12)

_MERGE = "tag:yaml.org,2002:merge"


class UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader with limits, text keys, and no key given twice in one mapping (YAML lets the
    last win); dates are left as text: YAML's own date parsing raises a plain ValueError on
    2024-13-45, which must be reported as a bad date (exit 2) by the caller instead."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0
        self._nodes = 0
        self._chars = 0
        self._size: dict[int, tuple[int, int]] = {}   # id(node) -> (nodes, characters) once expanded

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            node = super().compose_node(parent, index)
            size = self._size.get(id(node))
            if size is None:   # `&a [*a]`: a value that contains itself never ends once expanded
                raise yaml.composer.ComposerError(None, None, "an alias refers to a value that contains it", mark)
            self._grow(*size, mark)
            return node
        mark = self.peek_event().start_mark
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise yaml.composer.ComposerError(None, None, f"nested more than {MAX_DEPTH} levels deep", mark)
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if isinstance(node, yaml.ScalarNode):
            size = (1, len(node.value))
            self._grow(*size, mark)
        else:
            children = node.value if isinstance(node, SequenceNode) else [n for kv in node.value for n in kv]
            sizes = [self._size[id(c)] for c in children]
            size = (1 + sum(s[0] for s in sizes), sum(s[1] for s in sizes))
            self._grow(1, 0, mark)   # the children were counted as they were composed
        self._size[id(node)] = size
        return node

    def _grow(self, nodes: int, chars: int, mark) -> None:
        self._nodes += nodes
        self._chars += chars
        if self._nodes > MAX_NODES:
            raise yaml.composer.ComposerError(
                None, None, f"more than {MAX_NODES:,} values once aliases are expanded", mark)
        if self._chars > MAX_CHARS:
            raise yaml.composer.ComposerError(
                None, None, f"more than {MAX_CHARS // (1024 * 1024)} MB of text once aliases are expanded", mark)

    def construct_mapping(self, node, deep=False):
        seen = set()
        for k, _v in node.value:
            if k.tag == _MERGE:   # `<<: *defaults`: its keys were checked where they were written
                continue
            key = self.construct_object(k, deep=deep)
            if not isinstance(key, str):
                shown = f" {key!r}" if isinstance(k, yaml.ScalarNode) else ""
                raise yaml.constructor.ConstructorError(
                    None, None, f"a key must be text, not {_kind(key)}{shown}" +
                    (" (quote it)" if shown else ""), k.start_mark)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"key {key!r} appears twice", k.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


    def construct_yaml_int(self, node):
        digits = sum(ch.isdigit() for ch in str(node.value))
        if digits > MAX_DIGITS:   # Python refuses to convert past 4,300 digits (a ValueError)
            raise yaml.constructor.ConstructorError(
                None, None, f"a number of {digits} digits (at most {MAX_DIGITS}): quote it if it is text",
                node.start_mark)
        return super().construct_yaml_int(node)

    def construct_yaml_float(self, node):
        value = super().construct_yaml_float(node)
        if value != value or value in (float("inf"), float("-inf")):   # .nan, .inf, 1e999
            raise yaml.constructor.ConstructorError(
                None, None, f"{shown(node.value)} is not a finite number: quote it if it is text", node.start_mark)
        return value


UniqueKeyLoader.add_constructor("tag:yaml.org,2002:int", UniqueKeyLoader.construct_yaml_int)
UniqueKeyLoader.add_constructor("tag:yaml.org,2002:float", UniqueKeyLoader.construct_yaml_float)


def _kind(v: Any) -> str:
    return {list: "a list", dict: "a mapping", bool: "a boolean", int: "a number", float: "a number",
            type(None): "empty", bytes: "binary data"}.get(type(v), type(v).__name__)


UniqueKeyLoader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in rs if tag != "tag:yaml.org,2002:timestamp"]
    for ch, rs in yaml.SafeLoader.yaml_implicit_resolvers.items()}


class YamlFile(NamedTuple):
    data: Any
    node: Any             # the node tree (with_nodes), else None
    sha256: str           # of the file's bytes as read: what `sha256sum` prints


def read_yaml(path: str, what: str, with_nodes: bool = False) -> YamlFile:
    """A YAML file read once: its data, node tree and hash; InputError naming file and line otherwise."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise InputError(f"{what} file not found", path)
    except OSError as e:
        raise InputError(f"cannot read {what} file: {e.strerror or e.__class__.__name__}", path)
    if len(raw) > MAX_BYTES:
        raise InputError(f"{what} file is larger than {MAX_BYTES // (1024 * 1024)} MB", path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[:e.start].count(b"\n") + 1
        raise InputError(f"cannot read {what} file: not UTF-8 text (byte 0x{raw[e.start]:02x})", path, str(line))
    loader = None
    try:
        loader = UniqueKeyLoader(text)   # the reader checks every character here
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.reader.ReaderError as e:   # a character YAML does not allow (NUL, most controls)
        before = text[:e.position]
        where = f"{before.count(chr(10)) + 1}:{e.position - (before.rfind(chr(10)) + 1) + 1}"
        char = e.character if isinstance(e.character, int) else ord(str(e.character)[:1] or "\0")
        raise InputError(f"not valid YAML: character U+{char:04X} is not allowed", path, where)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise InputError(f"not valid YAML: {getattr(e, 'problem', None) or e}", path,
                         f"{mark.line + 1}:{mark.column + 1}" if mark else None)
    except RecursionError:   # the depth limit should make this unreachable; never a traceback
        raise InputError(f"not valid YAML: nested too deeply (at most {MAX_DEPTH} levels)", path)
    finally:
        if loader is not None:
            loader.dispose()
    return YamlFile(data, node if with_nodes else None, hashlib.sha256(raw).hexdigest())
