"""What the Terraform adapters (plan JSON and .tf source) have in common.

Both produce ``TfResource`` objects inside a ``TfProject``; the shared
normalizer (``normalize.py``) turns those into the model's ``Resource`` kinds,
so a plan and the source it came from give the same resources, fields and
references.

Values inside ``TfResource.values`` are plain JSON-like data in which any leaf
(or whole subtree) that is not known is an ``Unknown`` instance.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

from ...values import Absent, Origin, Unknown, Value
from .value_check import at_boundary

MISSING = object()


class Refs(list):
    """Addresses an attribute's expression references, in order.

    ``possible`` maps the addresses that are only *possibly* referenced to why: a branch of a
    conditional whose condition is not known, or a resource whose count/for_each is not known
    (it may not be created). A join through a possible reference can never establish a pass.
    """

    def __init__(self, items=(), possible: dict[str, str] | None = None):
        super().__init__(items)
        self.possible: dict[str, str] = dict(possible or {})

    def certain(self) -> list[str]:
        return [a for a in self if a not in self.possible]

    def doubt(self) -> str | None:
        """Why some reference is only possible (None when all are certain)."""
        return next(iter(self.possible.values()), None)


@dataclass
class TfResource:
    """One resource instance (or data source) of a plan or a .tf tree, with its values and where it is."""

    address: str                 # module.a[0].aws_x.y["k"]
    type: str
    name: str
    mode: str                    # managed | data
    module: str                  # module instance address, "" for root
    index: Any = None            # count index / for_each key
    provider_key: str = ""       # provider config key (aws, aws.west, module.db:aws, ...)
    values: dict[str, Any] = field(default_factory=dict)
    source: str = "terraform-plan"
    file: str | None = None
    line: int | None = None
    attr_lines: dict[str, int] = field(default_factory=dict)  # top-level attribute -> line (source)
    actions: tuple[str, ...] = ()
    project: "TfProject | None" = None
    existence: str | None = None  # why it may or may not be created (count/for_each not known); None: it is
    # top-level attribute -> the known values it is one of (cond ? a : b with the condition unknown)
    alternatives: dict[str, tuple] | None = None
    # where ``values`` sit in the type's provider schema: "" the resource itself, "ingress.0" one of
    # its blocks; None: the resource itself when it belongs to a project, else not checked
    schema_at: str | None = None

    @property
    def provider(self) -> str:
        return "azure" if self.type.startswith("azurerm_") or self.type.startswith("azuread_") else (
            "aws" if self.type.startswith("aws_") else self.type.split("_", 1)[0])

    def origin(self, path: str) -> Origin:
        lines = self.attr_lines   # empty for a plan's resources: no split
        line = lines.get(path.split(".", 1)[0], self.line) if lines else self.line
        return Origin(self.source, path, self.file, line)

    # top-level attribute -> (the value read, the value checked): set on the first read (_checked)
    _checked_memo = None

    def raw(self, path: str) -> Any:
        """The raw value at a dotted path (list indices as numbers); MISSING if absent.

        Every read passes the boundary check (value_check.py): the top-level attribute it
        comes from has the type the provider schema gives it, or the read fails as malformed
        input (plans) or gives an Unknown saying Terraform would reject it (source)."""
        if "." in path:
            top, _, rest = path.partition(".")
        else:
            top, rest = path, ""
        vals = self.values
        if vals.__class__ is dict:
            # the usual case, inline: mappers read the same attributes tens of thousands of times
            # on a large tree, and a value checked before is answered without a call (_checked)
            v = vals.get(top, MISSING)
            if v is MISSING:
                return MISSING
            memo = self._checked_memo
            hit = memo.get(top) if memo is not None else None
            cur = hit[1] if hit is not None and hit[0] is v else self._check_new(top, v)
        else:
            cur = self._checked(top)
        if not rest or cur is MISSING:
            return cur
        for part in rest.split("."):
            if isinstance(cur, Unknown):
                return cur
            if isinstance(cur, dict):
                if part not in cur:
                    return MISSING
                cur = cur[part]
            elif isinstance(cur, list):
                try:
                    cur = cur[int(part)]
                except (ValueError, IndexError):
                    return MISSING
            else:
                return MISSING
        return cur

    def _check_new(self, top: str, v: Any) -> Any:
        """``v`` (``values[top]``, not checked before) as the boundary check gives it, remembered."""
        at = self.schema_at
        if at is None:
            if self.project is None:
                return v
            at = ""
        if self.mode == "data":
            return v   # the facts are of managed resource types; a data source of one name differs
        memo = self._checked_memo
        if memo is None:
            memo = self._checked_memo = {}
        out = at_boundary(self, at, top, v)   # the schema facts load on first use
        memo[top] = (v, out)
        return out

    def _checked(self, top: str) -> Any:
        vals = self.values
        if vals.__class__ is not dict:
            if isinstance(vals, Unknown):
                return vals
            if not isinstance(vals, dict):
                return MISSING
        v = vals.get(top, MISSING)
        if v is MISSING:
            return MISSING
        memo = self._checked_memo   # the value checked for ``v`` before comes first
        if memo is not None:
            hit = memo.get(top)
            if hit is not None and hit[0] is v:
                return hit[1]
        return self._check_new(top, v)

    def get(self, path: str) -> Value:
        """A Value / Unknown for the attribute; Absent when the resource has no such attribute."""
        v = self.raw(path)
        if v is MISSING:
            return Absent(self.origin(path))
        if isinstance(v, Unknown):
            options = self.alternatives.get(path) if self.alternatives else None
            if options is not None:
                # a conditional whose condition is not known, between known values: one of them
                from .provider_versions import AnyOf
                return AnyOf(v.reason, self.origin(path), options)
            if v.origin.path:
                return v
            return type(v)(v.reason, self.origin(path))   # a Rejected stays one (value_check)
        return Value(v, self.origin(path))

    def block(self, path: str) -> Any:
        """First element of a nested block list (Terraform renders blocks as lists), or the value."""
        v = self.raw(path)
        if isinstance(v, list):
            return v[0] if v else MISSING
        return v

    def refs(self, path: str) -> list[str] | None:
        """Addresses of the resources the attribute's expression references (None: no expression known)."""
        if self.project is None:
            return None
        return self.project.refs(self, path)


@dataclass
class TfProject:
    """All resources of one plan or one source tree, plus what references need."""

    resources: list[TfResource] = field(default_factory=list)
    source_path: str = ""

    def managed(self) -> Iterator[TfResource]:
        return (r for r in self.resources if r.mode == "managed" and r.actions != ("delete",))

    def by_address(self) -> dict[str, TfResource]:
        return {r.address: r for r in self.resources}

    # A plan's values were converted by Terraform and validated by the provider: one of another
    # type is malformed input (value_error); source values are what configuration wrote.
    strict_values = False

    def value_error(self, res: TfResource, parts: tuple, message: str) -> Exception | None:
        """The input error for a malformed value at ``parts`` below ``res.values`` (None: not an input error)."""
        return None

    # Adapters override these two -------------------------------------------
    def refs(self, res: TfResource, path: str) -> list[str] | None:
        return None

    def default_tags(self, res: TfResource) -> Value:
        """The provider default_tags that apply to ``res``: Value(dict), or Unknown."""
        return Value({}, Origin(res.source, "default_tags"))

    def config_blocks(self, res: TfResource, path: str) -> list["TfResource"] | None:
        """Nested blocks as written in configuration, for when planned values are unknown."""
        return None

    def declares(self, res: TfResource, path: str) -> bool | None:
        """Whether configuration writes this top-level attribute or block (None: cannot tell).

        A plan shows an Optional+Computed attribute that configuration leaves out as
        "known after apply": left out, it takes the provider's or the cloud's default.
        """
        return None
