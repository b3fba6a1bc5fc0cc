"""Evaluate one specguard control on one resource as Checkov hands it to a check.

Checkov gives a resource check a dict ("conf") built from the plan's planned
values (or from a .tf block): every attribute wrapped in a one-element list,
nested blocks as lists of dicts, ``tags`` unwrapped, configuration references
put in place of values the plan does not know, and, with
``EVAL_TF_PLAN_AFTER_UNKNOWN`` set, the marker ``true_after_unknown`` for
values known only after apply.  This module turns that conf back into a
``TfResource`` and runs specguard's own mapper and rule on it, so the verdict
comes from the same code as ``specguard scan``.

It imports nothing from Checkov: the conversion is plain data and is tested in
specguard's own environment.
"""
from __future__ import annotations

import re
from typing import Any

from ..controls import Control, load_rules
from ..engine import evaluate
from ..profile import ControlSettings, Profile
from ..sources.terraform import normalize as tfnorm
from ..sources.terraform.plan import AFTER_APPLY
from ..sources.terraform.tfmodel import TfProject, TfResource
from ..values import Origin, Unknown, Value

AFTER_UNKNOWN_MARK = "true_after_unknown"   # checkov.common.util.consts.TRUE_AFTER_UNKNOWN
REFERENCES_KEY = "references_"              # CustomAttributes.REFERENCES
ADDRESS_KEY = "__address__"                 # CustomAttributes.TF_RESOURCE_ADDRESS
# Keys Checkov adds to a conf, or meta-arguments of a .tf block: not attributes.
META_KEYS = {"start_line", "end_line", "provisioner", "count", "for_each", "depends_on", "lifecycle",
             "provider", "dynamic", "connection", REFERENCES_KEY}
# Map attributes: Checkov renders them like a one-element block list.
MAP_ATTRS = {"tags", "tags_all"}
_INTERP = re.compile(r"\$\{([^}]*)\}")
_REF_TOKEN = re.compile(r"(?:module\.[A-Za-z0-9_-]+(?:\[[^\]]*\])?\.)*(?:data\.)?[A-Za-z][A-Za-z0-9_]*\.[A-Za-z0-9_-]+"
                        r"(?:\[[^\]]*\])?(?:\.[A-Za-z0-9_]+)*")
_LOCAL_ADDR = re.compile(r"((?:data\.)?[A-Za-z][A-Za-z0-9_]*\.[A-Za-z0-9_-]+)(\[[^\]]*\])?$")


class ConfProject(TfProject):
    """The little a Checkov resource check can know beyond its own resource.

    References are resolved from the reference text alone (``aws_kms_key.db.arn``
    names an ``aws_kms_key`` of the configuration); provider default_tags are not
    visible, so they are Unknown.
    """

    def __init__(self, source: str):
        super().__init__(source_path=source)
        self.refmap: dict[str, list[str]] = {}
        self.module = ""
        self.main: TfResource | None = None
        self.calls = 0   # how often someone asked for the project's resources

    def managed(self):
        # only the checked resource; the others are stubs named by its references
        self.calls += 1
        return iter([self.main] if self.main is not None else [])

    def refs(self, res: TfResource, path: str) -> list[str] | None:
        refs = self.refmap.get(path)
        if refs is None:
            return None
        out = []
        for ref in refs:
            addr = _ref_address(ref, self.module)
            if addr and addr not in out:
                out.append(addr)
                self._stub(addr)
        return out

    def _stub(self, addr: str) -> None:
        if any(r.address == addr for r in self.resources):
            return
        local = addr.rsplit("module.", 1)[-1].split(".", 1)[-1] if addr.startswith("module.") else addr
        mode = "data" if local.startswith("data.") else "managed"
        m = _LOCAL_ADDR.match(local)
        typ, name = (m.group(1).removeprefix("data.").split(".", 1) if m else (local, ""))
        self.resources.append(TfResource(address=addr, type=typ, name=name, mode=mode, module=self.module,
                                         source=self.source_path, project=self))

    def default_tags(self, res: TfResource) -> Value:
        return Unknown("provider default_tags are not visible to a Checkov resource check",
                       Origin(res.source, "default_tags"))


def _ref_address(ref: str, module: str) -> str | None:
    """``aws_kms_key.db.arn`` -> ``aws_kms_key.db`` (in the resource's module); None for var./local."""
    if ref.startswith(("var.", "local.", "each.", "count.", "path.", "terraform.", "self.")):
        return None
    mods = ""
    rest = ref
    while rest.startswith("module."):
        m = re.match(r"(module\.[A-Za-z0-9_-]+(?:\[[^\]]*\])?)\.(.*)", rest)
        if not m:
            return None
        mods += m.group(1) + "."
        rest = m.group(2)
    parts = rest.split(".")
    n = 3 if parts[0] == "data" else 2
    if len(parts) < n:
        return None  # module.x.output: an output of a child module, not followed here
    local = ".".join(parts[:n])
    prefix = f"{module}." if module else ""
    return prefix + mods + local


def to_tf_resource(conf: dict[str, Any], entity_type: str, entity_name: str,
                   source: str = "checkov") -> TfResource:
    """The TfResource specguard's mappers would have seen, rebuilt from a Checkov conf."""
    address = _first(conf.get(ADDRESS_KEY)) or f"{entity_type}.{entity_name}"
    project = ConfProject(source)
    module = address[: address.rfind(f"{entity_type}.")].rstrip(".") if f"{entity_type}." in address else ""
    project.module = module
    values = _convert_obj(conf, "", project.refmap, top=True)
    res = TfResource(address=address, type=entity_type, name=entity_name.split("[")[0], mode="managed",
                     module=module, source=source, values=values, project=project)
    project.resources.append(res)
    project.main = res
    return res


def _first(v: Any) -> Any:
    return v[0] if isinstance(v, list) and v else v


def _convert_obj(obj: dict, path: str, refmap: dict, top: bool = False) -> dict:
    refsets = [r for r in (obj.get(REFERENCES_KEY) or []) if isinstance(r, list)]
    out: dict[str, Any] = {}
    for key, wrapped in obj.items():
        if not isinstance(key, str) or key.startswith("__") or key in ("start_line", "end_line", REFERENCES_KEY):
            continue
        if top and key in META_KEYS:   # meta-arguments exist only at the top (a nested "lifecycle" is data)
            continue
        sub = f"{path}.{key}" if path else key
        if key in MAP_ATTRS and isinstance(wrapped, list) and len(wrapped) == 1 and isinstance(wrapped[0], dict):
            inner = wrapped[0]
            out[key] = {k: _leaf(_first(v) if key != "tags" else v, f"{sub}.{k}", refsets, refmap)
                        for k, v in inner.items() if not str(k).startswith("__") and k not in META_KEYS}
        elif isinstance(wrapped, list) and wrapped and all(isinstance(x, dict) for x in wrapped):
            out[key] = [_convert_obj(x, f"{sub}.{i}", refmap) for i, x in enumerate(wrapped)]
        elif isinstance(wrapped, list) and len(wrapped) == 1:
            out[key] = _value(wrapped[0], sub, refsets, refmap)
        else:
            out[key] = _value(wrapped, sub, refsets, refmap)
    return out


def _value(v: Any, path: str, refsets: list, refmap: dict) -> Any:
    if isinstance(v, list):
        items = [_leaf(x, path, refsets, refmap) for x in v]
        if any(isinstance(x, Unknown) for x in items) and path in refmap:
            # a list with some elements known only after apply: keep the known ones,
            # the references carry the rest (ref_keys reads both)
            return [x for x in items if not isinstance(x, Unknown)]
        return items
    if isinstance(v, dict):
        return _convert_obj(v, path, refmap)
    return _leaf(v, path, refsets, refmap)


def _leaf(v: Any, path: str, refsets: list, refmap: dict) -> Any:
    if not isinstance(v, str):
        return v
    if v == AFTER_UNKNOWN_MARK:
        return Unknown(AFTER_APPLY)
    for refs in refsets:
        if v in refs:
            refmap.setdefault(path, [])
            refmap[path] += [r for r in refs if r not in refmap[path]]
            return Unknown(f"set from {v} (resolved after apply)")
    if "${" in v:  # .tf source: an interpolation the check cannot evaluate
        refs = [t for expr in _INTERP.findall(v) for t in _REF_TOKEN.findall(expr)]
        if refs:
            refmap.setdefault(path, [])
            refmap[path] += [r for r in refs if r not in refmap[path]]
        return Unknown(f"the expression {v} is evaluated by Terraform, not by a Checkov check")
    return v


def mapper_consults_others(tf_type: str) -> bool:
    """Does the mapper of ``tf_type`` look through the project for other resources (joins)?

    Probed by running it on an empty resource: a mapper that joins split resources
    (S3 encryption/versioning, PostgreSQL configurations, TDE protectors...) asks
    the project for its resources, which a Checkov resource check cannot supply.
    """
    from ..model import Resource
    tfnorm._load_mappers()
    kind, mapper = tfnorm.MAPPERS[tf_type]
    project = ConfProject("probe")
    tf = TfResource(address=f"{tf_type}.probe", type=tf_type, name="probe", mode="managed", module="",
                    source="probe", project=project)
    project.resources.append(tf)
    project.main = tf
    r = Resource(kind=kind, type=tf_type, address=tf.address, provider=tf.provider, source="probe")
    try:
        mapper(tf, r)
    except Exception:  # an empty resource may not make sense to a mapper; the parity test still covers it
        pass
    return project.calls > 0


# ------------------------------------------------------------------------ evaluation
def settings(control_id: str, severity: str, params: dict[str, Any]) -> Profile:
    """A one-control profile with the exported severity and parameters."""
    ctl: Control = load_rules()[control_id]
    return Profile(name="checkov-export", controls={control_id: ControlSettings(ctl, True, severity, dict(params))})


def evaluate_conf(profile: Profile, conf: dict[str, Any], entity_type: str, entity_name: str):
    """specguard's finding for the profile's one control on this resource, or None (not applicable)."""
    tf = to_tf_resource(conf, entity_type, entity_name)
    resources = tfnorm.normalize(tf.project)
    findings = evaluate(resources, profile)
    return findings[0] if findings else None
