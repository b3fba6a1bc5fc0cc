"""Terraform's built-in functions for the .tf evaluator (``hcl_eval.call`` dispatches through ``run``).

One module per family: numeric, strings, format, regex, collections, encoding, yaml_fns, paths,
files (file*, fileset, templatefile, templatestring), dates, hashes, network, types. ``try`` and
``can`` are in hcl_eval itself (they see their arguments unevaluated).

Contract of every function: it returns a value or an Unknown, or raises ``EvalError`` (Terraform
would stop with an error) or ``LimitExceeded`` (a result past hcl_limits). ``run`` turns any other
Python exception an odd argument could cause into an ``EvalError`` naming the function, so no
input crashes the scan.
"""
from __future__ import annotations

import importlib
from typing import Any

from ....values import Unknown
from ..hcl_eval import Computed, EvalError, Lazy
from ..hcl_limits import LimitExceeded
from . import collections, encoding, format, numeric, regex, strings, types  # noqa: F401
from ._base import FUNCTIONS, ScalarUnknown, check_result, opaque, unknown_in

# functions that take a resource or module object as it is (lookup reads one attribute of it)
_WHOLE_OBJECTS_OK = {"lookup", "sensitive", "nonsensitive", "coalesce", "try", "can", "one", "element",
                     "index", "contains", "concat", "reverse", "slice", "length", "compact", "tolist"}

# Families loaded on first use: a scan pays the import of yaml, datetime, ipaddress, uuid and
# hashlib only when its configuration calls one of their functions.
LAZY = {name: module for module, names in {
    "yaml_fns": "yamldecode yamlencode",
    "dates": "formatdate timeadd timecmp",
    "hashes": "md5 sha1 sha256 sha512 base64sha256 base64sha512 uuidv5",
    "network": "cidrhost cidrnetmask cidrsubnet cidrsubnets",
    "paths": "abspath basename dirname pathexpand",
    "files": "file filebase64 fileexists fileset filemd5 filesha1 filesha256 filesha512 filebase64sha256 "
             "filebase64sha512 templatefile templatestring",
}.items() for name in names.split()}


def _load(name: str):
    module = LAZY.get(name)
    if module is not None:
        importlib.import_module(f"{__name__}.{module}")
    return FUNCTIONS.get(name)


def all_functions() -> dict:
    """Every built-in (the lazy families loaded)."""
    for module in set(LAZY.values()):
        importlib.import_module(f"{__name__}.{module}")
    return FUNCTIONS

# Known only when Terraform runs (or never shown): an Unknown with the reason, whatever the arguments.
IMPURE = {
    "timestamp": "timestamp() is known only when Terraform runs",
    "plantimestamp": "plantimestamp() is known only when Terraform plans",
    "uuid": "uuid() is known only when Terraform runs (a new random UUID each time)",
    "bcrypt": "bcrypt() is known only when Terraform runs (a random salt each time)",
    "rsadecrypt": "rsadecrypt() is not evaluated: specguard does not decrypt secrets",
}
# Real Terraform functions specguard does not evaluate (the honest "not supported" reason); convert()
# is evaluated by hcl_eval.call through types.convert_call (it takes a type, not a value).
UNSUPPORTED: set[str] = set()

_OPAQUE = (Computed, Lazy)
_ERRORS = (TypeError, ValueError, IndexError, KeyError, OverflowError, UnicodeError, RecursionError,
           ArithmeticError, AttributeError, LookupError, MemoryError)


def is_function(name: str) -> bool:
    return name in FUNCTIONS or name in LAZY or name in IMPURE or name in UNSUPPORTED or name == "convert"


def run(name: str, args: list, scope) -> Any:
    """Call the built-in ``name`` (already stripped of ``core::``) with evaluated arguments."""
    spec = FUNCTIONS.get(name) or _load(name)
    if spec is None:
        if name in IMPURE:
            return Unknown(IMPURE[name])
        if name in UNSUPPORTED:
            return Unknown(f"function {name}() is not supported by specguard")
        return Unknown(f"function {name}() is not a Terraform function")
    n = len(args)
    if n < spec.min or (spec.max is not None and n > spec.max):
        if spec.min == spec.max:
            want = f"{spec.min} argument{'s' if spec.min != 1 else ''}"
        elif spec.max is None:
            want = f"at least {spec.min} argument{'s' if spec.min != 1 else ''}"
        else:
            want = f"{spec.min} to {spec.max} arguments"
        raise EvalError(f"{name}(): takes {want}, not {n}")
    v = None
    if spec.strict:
        v = unknown_in(args)
    elif name not in _WHOLE_OBJECTS_OK:
        for a in args:
            if isinstance(a, _OPAQUE):
                v = Unknown(f"{name}(): {opaque(a).reason}")
                break
    if v is None:
        v = _call(spec, name, args, scope)
    if isinstance(v, Unknown):
        if spec.scalar and not isinstance(v, ScalarUnknown):
            return ScalarUnknown(v.reason, v.origin)
        return v
    if isinstance(v, (str, list, dict)):
        check_result(v)
    return v


def _call(spec, name: str, args: list, scope) -> Any:
    try:
        return spec.impl(scope, *args) if spec.scoped else spec.impl(*args)
    except (EvalError, LimitExceeded) as e:
        if isinstance(e, EvalError) and not str(e).startswith(f"{name}()"):
            raise EvalError(f"{name}(): {e}") from None
        raise
    except _ERRORS as e:
        raise EvalError(f"{name}(): {_message(e)}") from None


def _message(e: Exception) -> str:
    if isinstance(e, RecursionError):
        return "the value is nested too deeply"
    if isinstance(e, MemoryError):
        return "the value is too large"
    text = str(e).splitlines()[0] if str(e) else ""
    return f"{e.__class__.__name__}: {text[:200]}" if text else e.__class__.__name__
