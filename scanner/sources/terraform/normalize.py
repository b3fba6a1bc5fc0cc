"""Turn Terraform resources (from a plan or from source) into model Resources.

Each Terraform type that a control covers has a mapper registered with
``@maps(type, ...)`` in one of the ``map_*.py`` modules beside this file (a scan
imports only the modules its types need: ``mapper_index.py`` says which).  A
mapper fills the model's fields (see ``scanner.model``) from the Terraform
attributes; the tags and identity of every resource are handled here, once.
A managed resource of a type no mapper knows becomes a ``generic`` resource
when it is taggable, so TAG-01 still covers it; when its type belongs to a
family the catalogue covers (a database, cache, key, ...), normalize() also
lists it in ``project.unmapped`` (coverage entries, see families.py).
"""
from __future__ import annotations

import importlib
from typing import Callable

from ...model import Resource
from ...values import Origin, Unknown, Value
from .families import coverage_entries, uncovered
from .mapper_index import modules_by_type
from .tfmodel import MISSING, Refs, TfProject, TfResource

Mapper = Callable[[TfResource, Resource], None]
MAPPERS: dict[str, tuple[str, Mapper]] = {}


def maps(*types: str, kind: str):
    """Register ``func(tf, resource)`` as the mapper of these Terraform types."""

    def deco(func: Mapper) -> Mapper:
        for t in types:
            if t in MAPPERS:
                raise RuntimeError(f"two mappers for {t}")
            MAPPERS[t] = (kind, func)
        return func

    return deco


# Mappers that add fields to a type another module maps (WAF fields on CloudFront, public
# access on databases): one concern in one module, without two mappers per type.
ADDERS: dict[str, list[Mapper]] = {}


def adds(*types: str):
    """Register ``func(tf, resource)`` to run after the mapper of these Terraform types."""

    def deco(func: Mapper) -> Mapper:
        for t in types:
            ADDERS.setdefault(t, []).append(func)
            # in module name order, as when every module is imported: the same order whichever
            # type of a project had its modules imported first (_need)
            ADDERS[t].sort(key=lambda f: f.__module__)
        return func

    return deco


def _load_mappers() -> None:
    """Import every map_* module (what lists every mapper: checkov export, profiles, tests).

    Even when one was imported directly before (then MAPPERS is already non-empty but incomplete);
    importing a loaded module again is a no-op.  A scan imports only what its types need (_need)."""
    import pkgutil
    pkg = importlib.import_module(__package__)
    for mod in pkgutil.iter_modules(pkg.__path__):
        if mod.name.startswith("map_"):
            importlib.import_module(f"{__package__}.{mod.name}")


_BY_TYPE = modules_by_type()   # type -> the map_* modules that register for it (mapper_index.py)
_NEEDED: set[str] = set()      # types whose modules are imported


def _need(rtype: str) -> None:
    """Import the modules that register a mapper or an adder for ``rtype`` (once per type)."""
    _NEEDED.add(rtype)
    for mod in _BY_TYPE.get(rtype, ()):
        importlib.import_module(f"{__package__}.{mod}")


def normalize(project: TfProject) -> list[Resource]:
    out: list[Resource] = []
    unmapped: dict[str, list[str]] = {}
    marks = getattr(project, "sensitive", None)   # a plan's: id(TfResource) -> sensitive_values marks
    # a .tf tree's: the values of its sensitive variables, filled as they are evaluated (shared)
    tree_secrets = getattr(project, "secrets", None)
    if marks:
        from ...withheld import overlay, secret_values
    for tf in project.managed():
        if tf.type not in _NEEDED:
            _need(tf.type)
        kind, mapper = MAPPERS.get(tf.type, ("generic", None))
        if mapper is None and uncovered(tf):
            unmapped.setdefault(tf.type, []).append(tf.address)
        provider = tf.provider
        tags = resource_tags(project, tf, provider)
        if mapper is None and tags is None:
            continue  # untaggable and uncovered: nothing to check
        r = Resource(kind=kind, type=tf.type, address=tf.address, provider=provider, source=tf.source,
                     name=tf.name, file=tf.file, line=tf.line)
        ident = tf.raw("id")
        if isinstance(ident, str) and ident:
            r.keys.add(ident)
        arn = tf.raw("arn")
        if isinstance(arn, str) and arn:
            r.keys.add(arn)
        if tags is not None:
            r.set("tags", tags)
        if mapper is not None:
            try:
                mapper(tf, r)
                for extra in ADDERS.get(tf.type, ()):
                    extra(tf, r)
            except (TypeError, AttributeError, KeyError, ValueError, IndexError) as e:
                # an attribute value of a type its provider never gives: an input error naming the
                # resource's place when the project can (plans), else the error as it is
                err = getattr(project, "unreadable", lambda *_: None)(tf, e)
                if err is None:
                    raise
                raise err from e
        r.raw = tf.values   # a reference (user fields read it); .tf values were evaluated above
        if tree_secrets is not None:
            r.secrets = tree_secrets
        if marks and id(tf) in marks:   # a plan's sensitive values are not for users' fields
            r.raw = overlay(tf.values, marks[id(tf)], tf.origin)
            r.secrets = secret_values(tf.values, marks[id(tf)])   # nor for any report
        if isinstance(tf.values, Unknown):
            r.opaque = f"nothing about this resource is known yet: {tf.values.reason}"
        if tf.existence:
            # count/for_each not known: it may make no instance, so nothing about it can pass
            r.existence = tf.existence
            r.opaque = r.opaque or tf.existence
        out.append(r)
    # a database, cache, key... of a type no mapper reads is said under coverage, never dropped silently
    project.unmapped = coverage_entries(unmapped)
    return out


def resource_tags(project: TfProject, tf: TfResource, provider: str | None = None) -> Value | None:
    """The effective tags: tags_all when known, else provider default_tags merged with tags.

    Returns None for a resource with no tags attribute (not taggable).  The
    value is a dict; the key "*" mapped to an Unknown means other tags may
    exist that could not be resolved.
    """
    tags_all = tf.raw("tags_all")
    tags = tf.raw("tags")
    if tags_all is MISSING and tags is MISSING:
        return None
    if isinstance(tags_all, dict):
        return Value(dict(tags_all), tf.origin("tags_all"))
    origin = tf.origin("tags")
    if isinstance(tags, Unknown):
        sets = tf.alternatives.get("tags") if tf.alternatives else None
        if sets:   # one of several known sets (a conditional whose condition is not known)
            from .tag_sets import one_of
            return one_of(project, tf, provider, sets, f"tags are {tags.reason}", origin)
        return Unknown(f"tags are {tags.reason}", origin)
    own = dict(tags) if isinstance(tags, dict) else {}
    if (provider or tf.provider) != "aws":
        return Value(own, origin)
    defaults = project.default_tags(tf)
    merged = with_default_tags(own, defaults)
    if isinstance(defaults, Unknown):
        return Value(merged, Origin(tf.source, "tags + provider default_tags", tf.file, tf.line))
    path = "tags + provider default_tags" if defaults.value else "tags"
    return Value(merged, Origin(tf.source, path, tf.file, origin.line))


def with_default_tags(own: dict, defaults: Value) -> dict:
    """A resource's own tags under its AWS provider's default_tags (``TfProject.default_tags``): the
    resource's win; default_tags not known leave the key "*" as that Unknown (other tags may exist)."""
    if isinstance(defaults, Unknown):
        merged = dict(own)
        merged["*"] = defaults
        return merged
    merged = dict(defaults.value or {})
    merged.update(own)
    return merged


# ----------------------------------------------------------------- helpers for mappers
def ref_keys(tf: TfResource, path: str) -> Value:
    """References of an attribute as model keys: resolved addresses, else the literal ids.

    Known literal values (an id or ARN of an existing resource) are kept as keys too,
    so live-style ids and plan addresses both resolve in scanner.link.
    """
    addrs = tf.refs(path) or []
    raw = tf.raw(path)
    doubt = addrs.doubt() if isinstance(addrs, Refs) else None
    if doubt and not isinstance(raw, (str, list)):
        # a conditional whose condition is not known, or a target that may not be created:
        # which resource it names is not settled
        return Unknown(f"{path} may name {', '.join(addrs)}: {doubt}", tf.origin(path))
    lits: list[str] = []
    if isinstance(raw, str) and raw:
        lits = [raw]
    elif isinstance(raw, list):
        lits = [x for x in raw if isinstance(x, str) and x]
    keys = list(dict.fromkeys(addrs + lits))
    if keys:
        return Value(keys, tf.origin(path))
    if isinstance(raw, Unknown):
        return Unknown(raw.reason, tf.origin(path))
    if raw is MISSING or raw is None or raw == [] or raw == "":
        return Value([], tf.origin(path))
    return Unknown("unresolved reference", tf.origin(path))


def copy_field(tf: TfResource, r: Resource, path: str, field: str, convert: Callable | None = None,
               default=MISSING) -> None:
    """Set ``field`` from attribute ``path``; absent attributes use ``default`` (or stay absent)."""
    v = tf.get(path)
    if v.__class__.__name__ == "Absent":
        if default is MISSING:
            return
        v = Value(default, tf.origin(path))
    elif convert is not None and v.known:
        v = v.map(convert)
    r.set(field, v)


def kms_key_managed_by(tf: TfResource, path: str) -> Value:
    """Who manages the KMS key an attribute names: "customer", "provider", or Unknown.

    - a reference to an ``aws_kms_key`` of the same configuration: customer-managed;
    - a reference to a ``data.aws_kms_key`` whose ``key_manager`` is known: that;
    - an ``alias/aws/...`` alias (or an ARN of one): AWS-managed;
    - unset (None): the service's default key, AWS-managed;
    - any other literal key id/ARN: unknown (a plan cannot see who manages it).
    """
    origin = tf.origin(path)
    refs = tf.refs(path) or []
    project = tf.project
    raw = tf.raw(path)
    if raw is None or raw == "":
        # a value known to be null is no key, whatever the expression mentions (an untaken branch)
        return Value("provider", Origin(tf.source, f"{path} (unset: the service's AWS-managed default key)",
                                        origin.file, origin.line))
    if isinstance(raw, str) and "alias/aws/" in raw:
        # a value known to name an AWS-managed key is that key, whatever else the expression mentions
        return Value("provider", origin)
    doubt = refs.doubt() if isinstance(refs, Refs) else None
    if doubt:
        from .map_keys import every_choice_customer   # one of several keys, every one the customer's
        keys = every_choice_customer(project, refs)
        if keys:
            return Value("customer", Origin(tf.source, f"{path} -> one of {', '.join(keys)}", origin.file, origin.line))
        return Unknown(f"which key {path} names is not settled: {doubt}", origin)
    if refs and project is not None:
        by_addr = _address_map(project)
        for a in refs:
            target = by_addr.get(a)
            if target is None:
                continue
            if target.mode == "managed" and target.type in ("aws_kms_key", "aws_kms_replica_key",
                                                            "aws_kms_external_key", "aws_kms_replica_external_key"):
                return Value("customer", Origin(tf.source, f"{path} -> {a}", origin.file, origin.line))
            if target.type == "aws_kms_alias" and target.mode == "managed":
                return Value("customer", Origin(tf.source, f"{path} -> {a}", origin.file, origin.line))
            if target.mode == "data" and target.type in ("aws_kms_key", "aws_kms_alias"):
                km = target.raw("key_manager")
                if isinstance(km, str):
                    return Value("customer" if km.upper() == "CUSTOMER" else "provider",
                                 Origin(tf.source, f"{a}.key_manager", origin.file, origin.line))
                name = target.raw("name")
                if isinstance(name, str) and name.startswith("alias/aws/"):
                    return Value("provider", Origin(tf.source, f"{a}.name", origin.file, origin.line))
                return Unknown(f"{a} is read at apply time; who manages that key is not known", origin)
    if isinstance(raw, Unknown):
        return Unknown(f"the key is {raw.reason} and references no key of this configuration", origin)
    if raw is MISSING or raw in (None, ""):
        return Value("provider", Origin(tf.source, f"{path} (unset: the service's AWS-managed default key)",
                                        origin.file, origin.line))
    if isinstance(raw, str) and ("alias/aws/" in raw):
        return Value("provider", origin)
    return Unknown(f"{raw} is a key outside this configuration; who manages it cannot be seen from Terraform", origin)


def managed_of_types(project: TfProject, types) -> list[TfResource]:
    """``project.managed()`` restricted to ``types``, from a per-project index.

    Mappers that join split resources (S3 encryption, versioning, server
    configurations) look for them once per parent; scanning every resource
    each time is quadratic on plans with thousands of resources.
    """
    cache = getattr(project, "_by_type_cache", None)
    if cache is None or cache[0] != len(project.resources):
        by_type: dict[str, list[TfResource]] = {}
        for r in project.managed():
            by_type.setdefault(r.type, []).append(r)
        cache = project._by_type_cache = (len(project.resources), by_type)
    if isinstance(types, str):
        types = (types,)
    types = tuple(types)
    if len(types) == 1:
        return list(cache[1].get(types[0], ()))
    pos = _positions(project)   # several types: keep the project's order, as managed() would
    return sorted((r for t in set(types) for r in cache[1].get(t, ())), key=lambda r: pos.get(id(r), 0))


def _positions(project: TfProject) -> dict[int, int]:
    pos = getattr(project, "_pos_cache", None)
    if pos is None or pos[0] != len(project.resources):
        pos = project._pos_cache = (len(project.resources), {id(r): i for i, r in enumerate(project.resources)})
    return pos[1]


def _address_map(project: TfProject) -> dict[str, TfResource]:
    cache = getattr(project, "_addr_cache", None)
    if cache is None or len(cache) != len(project.resources):
        cache = project.by_address()
        project._addr_cache = cache
    return cache
