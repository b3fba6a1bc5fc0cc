"""What the mappers share: a setting read with its documented default, nested blocks, TLS versions,
regions. The mappers themselves live by service family (map_rds.py, map_storage.py, map_stores.py,
map_cache.py, map_keys.py, map_backup.py, map_azure_db.py, map_azure_sql.py, ...).

Each mapper fills the FIELD CONTRACT of ``scanner.model`` from Terraform
attributes.  Three situations recur and are handled the same way everywhere:

* the attribute is set (or known in the plan): its value;
* the attribute is not written in configuration and the provider or the cloud
  applies a *documented* default: that default, with the evidence path saying
  "unset: <which default>" so an auditor sees it was assumed, not read;
* the value is known only after apply (or depends on account settings nobody
  can see from Terraform): ``Unknown`` with the reason.

Settings that Terraform models as separate resources (S3 encryption and
versioning, PostgreSQL flexible-server configurations, SQL TDE protectors,
storage customer-managed keys) are joined by the mappers, inside the Terraform adapter,
by looking for resources of the project that reference the parent.
"""
from __future__ import annotations

import json
import re
from typing import Any

from ...model import Resource
from ...values import Origin, Unknown, Value
from .provider_versions import DEFAULTS, AnyOf, assumed, lookup
from .tfmodel import MISSING, TfResource


# ------------------------------------------------------------------ small helpers
def _declared(tf: TfResource, path: str) -> bool | None:
    """Whether configuration writes the top-level attribute/block (None: cannot tell)."""
    return tf.project.declares(tf, path) if tf.project is not None else None


def _unset(tf: TfResource, path: str, value: Any, note: str, key: str | None = None) -> Value:
    """``value``, the default of an attribute configuration leaves out, with evidence saying so.

    A default that changed between provider versions (``provider_versions.DEFAULTS``, by
    ``(tf.type, key or path)``) is the default of the versions the configuration admits, or
    Unknown when they do not all share it.
    """
    return assumed(tf, path, value, note, key)


def _versioned(tf: TfResource, key: str) -> bool:
    entry = DEFAULTS.get((tf.type, key))
    return entry is not None and bool(entry.eras)


def setting(tf: TfResource, path: str, default: Any = MISSING, note: str = "",
            key: str | None = None) -> Value | None:
    """The attribute as a Value; a documented default when configuration leaves it out.

    Returns None when the attribute is absent and there is no default (neither the mapper's
    nor a provider-version default of ``provider_versions.DEFAULTS``).
    """
    raw = tf.raw(path)
    has_default = default is not MISSING or _versioned(tf, key or path)
    if isinstance(raw, Unknown) and _declared(tf, path) is False and has_default:
        return _unset(tf, path, default, note or "provider default", key)
    if raw is MISSING or raw is None:
        if not has_default:
            return None
        return _unset(tf, path, default, note or "provider default", key)
    return tf.get(path)


def _set(r: Resource, field: str, v: Value | None) -> None:
    if v is not None:
        r.set(field, v)


def derived(v: Value, field: str, fn) -> Value:
    """A field computed from an attribute; the evidence key says which attribute and value."""
    if not v.known:
        return v
    o = v.origin
    # as Terraform writes it (true, null, ["a"]), not Python's repr (True, None, ['a'])
    shown = v.value if isinstance(v.value, str) else json.dumps(v.value, default=str)
    if len(shown) > 120:   # the evidence value itself is kept whole; the label stays short
        shown = shown[:117] + "..."
    return Value(fn(v.value), Origin(o.source, f"{field} (from {o.path} = {shown})", o.file, o.line))


def _via(v: Value, other: TfResource) -> Value:
    """The same value, its evidence key prefixed with the (joined) resource it was read from."""
    o = v.origin
    path = f"{other.address}.{o.path}"
    if isinstance(v, Unknown):
        return Unknown(v.reason, Origin(o.source, path, o.file, o.line))
    return Value(v.value, Origin(o.source, path, o.file, o.line))


def _first_setting(tf: TfResource, paths: tuple[str, ...], default: Any, note: str) -> Value:
    """The first of several spellings of an attribute (provider versions renamed some)."""
    for p in paths:
        raw = tf.raw(p)
        if raw is MISSING or raw is None or (isinstance(raw, Unknown) and _declared(tf, p) is False):
            continue   # not written under this spelling (never a default here: that comes last)
        return tf.get(p)
    hit = lookup(tf.type, paths)
    return setting(tf, paths[-1], default, note, key=hit[0] if hit else None)


def _blocks(tf: TfResource, path: str) -> list | Unknown:
    """Nested blocks at ``path`` as a list of dicts ([] when none; Unknown when not known)."""
    raw = tf.raw(path)
    if isinstance(raw, Unknown):
        if _declared(tf, path) is False:
            return []
        return Unknown(raw.reason, tf.origin(path))
    if raw is MISSING or raw is None:
        return []
    if isinstance(raw, dict):
        return [raw]
    if isinstance(raw, list):
        return [b for b in raw if isinstance(b, (dict, Unknown))]
    return Unknown("unexpected value", tf.origin(path))


def _first(x: Any, key: str) -> Any:
    """block[key] where Terraform renders a nested block as a one-element list."""
    if isinstance(x, Unknown):
        return x
    if not isinstance(x, dict):
        return MISSING
    v = x.get(key, MISSING)
    if isinstance(v, list):
        return v[0] if v else MISSING
    return v


def _add_keys(tf: TfResource, r: Resource, *paths: str) -> None:
    for p in paths:
        v = tf.raw(p)
        if isinstance(v, str) and v:
            r.keys.add(v)


_TLS_RE = re.compile(r"^(?:tls)?\s*v?\s*1(?:[._](\d))?$", re.I)


def tls_version(raw: Any) -> str | None:
    """Normalise "TLS1_2", "1.2", "TLSv1.2", "TLSv1" to "1.2"/"1.0"; a list gives its lowest.

    "TLSEnforcementDisabled" / "Disabled" accept every version: "1.0".
    """
    if isinstance(raw, (int, float)):
        raw = str(raw)
    if not isinstance(raw, str):
        return None
    s = raw.strip()
    if s.lower() in ("tlsenforcementdisabled", "disabled", "none"):
        return "1.0"
    parts = [p for p in re.split(r"[,\s]+", s) if p]
    found = []
    for p in parts:
        m = _TLS_RE.match(p)
        if not m:
            return None
        found.append(f"1.{m.group(1) or '0'}")
    return min(found) if found else None


def _tls(tf: TfResource, path: str, default: Any = MISSING, note: str = "") -> Value | None:
    v = setting(tf, path, default, note)
    if isinstance(v, AnyOf):          # the defaults of the provider versions admitted, normalised too
        return v.map(tls_version)
    if v is None or not v.known:
        return v
    norm = tls_version(v.value)
    if norm is None:
        return Unknown(f"unrecognised TLS version {v.value!r}", v.origin)
    return Value(norm, v.origin)


def provider_region(tf: TfResource) -> Value:
    """The AWS region a resource is created in: its own ``region`` or its provider's."""
    raw = tf.raw("region")
    if isinstance(raw, str) and raw:
        return Value(raw, tf.origin("region"))
    origin = Origin(tf.source, f"provider {tf.provider_key or 'aws'} region", tf.file, tf.line)
    config = getattr(tf.project, "config", None)
    if not isinstance(config, dict):
        return Unknown("the provider's region cannot be read from this source", origin)
    pc = config.get("provider_config") or {}
    key = tf.provider_key or "aws"
    entry = pc.get(key)
    if entry is None and ":" in key:
        entry = pc.get(key.split(":", 1)[1])
    expr = ((entry or {}).get("expressions") or {}).get("region")
    if isinstance(expr, dict) and isinstance(expr.get("constant_value"), str):
        return Value(expr["constant_value"], origin)
    if isinstance(expr, dict):
        for ref in expr.get("references") or []:
            if ref.startswith("var."):
                var = (getattr(tf.project, "variables", {}) or {}).get(ref[4:].split(".")[0]) or {}
                if isinstance(var.get("value"), str):
                    return Value(var["value"], origin)
    return Unknown("the provider's region is not set in configuration (it comes from the environment)", origin)


def _arn_region(arn: Any) -> str | None:
    if isinstance(arn, str) and arn.startswith("arn:"):
        parts = arn.split(":")
        if len(parts) > 3 and parts[3]:
            return parts[3]
    return None


def _truthy(v: Any) -> bool:
    return v is True or (isinstance(v, str) and v.strip().lower() in ("true", "1", "on", "enabled"))

