"""Reading the user's YAML files (profiles, waivers): one place for the errors.

Imported only when such a file is given, so a plain scan does not pay for PyYAML.
"""
from __future__ import annotations

import hashlib
from typing import Any, NamedTuple

import yaml

from .errors import InputError

MappingNode = yaml.MappingNode
SequenceNode = yaml.SequenceNode


class UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (YAML lets the last win),
    and leaves dates as text: YAML's own date parsing raises a plain ValueError on
    2024-13-45, which must be reported as a bad date (exit 2) by the caller instead."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for k, _v in node.value:
            key = self.construct_object(k, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"key {key!r} appears twice", k.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


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
            raw = fh.read()
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise InputError(f"{what} file not found", path)
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read {what} file: {e.__class__.__name__}", path)
    try:
        node = yaml.compose(text, Loader=UniqueKeyLoader) if with_nodes else None
        data = yaml.load(text, Loader=UniqueKeyLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise InputError(f"not valid YAML: {getattr(e, 'problem', None) or e}", path,
                         f"{mark.line + 1}:{mark.column + 1}" if mark else None)
    return YamlFile(data, node, hashlib.sha256(raw).hexdigest())
