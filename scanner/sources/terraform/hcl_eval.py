"""Evaluate HCL expressions (trees from ``hcl_parse``) the way Terraform would at plan time.

Values are plain Python data (str, int/float, bool, None, list, dict); anything
that cannot be evaluated here (a data source, an attribute known only after
apply, an unsupported function) is a ``scanner.values.Unknown`` whose reason
names the expression.  An operation on an Unknown gives an Unknown: nothing
unknown is ever turned into a known value by accident.

Names (``var``, ``local``, resource types, ``module``, ``each``, ...) are
looked up through a ``Scope``; ``hcl.py`` supplies the roots.
"""
from __future__ import annotations

import math
from typing import Any, Callable

from ...values import Unknown
from .hcl_limits import tick


class EvalError(Exception):
    """The expression is wrong for its values (Terraform would stop with an error)."""


class Computed(dict):
    """Attributes of a resource instance: those not in the configuration are known only after apply."""

    def __init__(self, values: dict, what: str):
        super().__init__(values)
        self.what = what

    def missing(self, name: str) -> Unknown:
        return Unknown(f"{self.what}.{name} is known only after apply")


class Lazy:
    """A namespace whose members are computed on first use (resources, modules, locals)."""

    def __init__(self, getter: Callable[[str], Any], what: str):
        self.getter = getter
        self.what = what

    def get(self, name: str) -> Any:
        return self.getter(name)


class Scope:
    """Roots for names: ``roots(name)`` from the module instance, plus iteration variables."""

    forced = None   # a Forcing: the branch each conditional with an unknown condition takes (branch_values)

    def __init__(self, roots: Callable[[str], Any], local_vars: dict | None = None, module=None):
        self.roots = roots
        self.vars = local_vars or {}
        self.module = module      # the module instance (hcl.py uses it for references)

    def child(self, **local_vars) -> "Scope":
        merged = dict(self.vars)
        merged.update(local_vars)
        out = Scope(self.roots, merged, self.module)
        if self.forced is not None:
            out.forced = self.forced
        return out

    def lookup(self, name: str) -> Any:
        if name in self.vars:
            return self.vars[name]
        return self.roots(name)


# ----------------------------------------------------------------------------- helpers
def is_unknown(v: Any) -> bool:
    return isinstance(v, Unknown)


def first_unknown(v: Any) -> Unknown | None:
    """The first Unknown anywhere inside ``v`` (None when ``v`` is wholly known)."""
    if isinstance(v, Unknown):
        return v
    if isinstance(v, dict):
        for x in v.values():
            u = first_unknown(x)
            if u is not None:
                return u
    elif isinstance(v, list):
        for x in v:
            u = first_unknown(x)
            if u is not None:
                return u
    return None


def _num(v: Any) -> float | int:
    if isinstance(v, bool):
        raise EvalError("a bool is not a number")
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, str):
        try:
            f = float(v)
        except ValueError:
            raise EvalError(f"{v!r} is not a number")
        return int(f) if f.is_integer() and "." not in v else f
    raise EvalError(f"{type_name(v)} is not a number")


def _norm_num(x):
    if isinstance(x, float) and x.is_integer() and abs(x) < 2 ** 53:
        return int(x)
    return x


def to_str(v: Any) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        v = _norm_num(v)
        return str(v) if isinstance(v, int) else repr(v)
    if v is None:
        raise EvalError("a null value cannot be used in a string")
    raise EvalError(f"a {type_name(v)} cannot be used in a string")


def to_bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if v in ("true", "false"):
        return v == "true"
    raise EvalError(f"{type_name(v)} is not a bool")


def type_name(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "list"
    if isinstance(v, (dict, Lazy)):
        return "object"
    return type(v).__name__


def get_attr(obj: Any, name: str) -> Any:
    if isinstance(obj, Unknown):
        return obj
    if isinstance(obj, Lazy):
        return obj.get(name)
    if isinstance(obj, dict):
        if name in obj:
            return obj[name]
        if isinstance(obj, Computed):
            return obj.missing(name)
        raise EvalError(f"this object has no attribute {name!r}")
    if obj is None:
        raise EvalError(f"attribute {name!r} of a null value")
    raise EvalError(f"a {type_name(obj)} has no attribute {name!r}")


def get_index(obj: Any, key: Any) -> Any:
    if isinstance(obj, Unknown):
        return obj
    if isinstance(key, Unknown):
        return Unknown(f"the index is not known ({key.reason})")
    if isinstance(obj, list):
        try:
            i = int(_num(key))
        except EvalError:
            raise EvalError(f"a list index must be a number, not {type_name(key)}")
        if not 0 <= i < len(obj):
            raise EvalError(f"index {i} is out of range (length {len(obj)})")
        return obj[i]
    if isinstance(obj, (dict, Lazy)):
        return get_attr(obj, to_str(key))
    raise EvalError(f"a {type_name(obj)} cannot be indexed")


# ----------------------------------------------------------------------------- evaluation
def evaluate(node: tuple, scope: Scope) -> Any:
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "name":
        return scope.lookup(node[1])
    if kind == "attr":
        return get_attr(evaluate(node[1], scope), node[2])
    if kind == "index":
        return get_index(evaluate(node[1], scope), evaluate(node[2], scope))
    if kind == "tmpl":
        return _template(node[1], scope)
    if kind == "tuple":
        return [evaluate(x, scope) for x in node[1]]
    if kind == "object":
        out = {}
        for k, v in node[1]:
            key = evaluate(k, scope)
            if isinstance(key, Unknown):
                return Unknown(f"an object key is not known ({key.reason})")
            out[to_str(key)] = evaluate(v, scope)
        return out
    if kind == "call":
        return call(node[1], node[2], node[3], scope)
    if kind == "cond":
        return _conditional(node, scope)
    if kind == "binop":
        return _binop(node[1], evaluate(node[2], scope), evaluate(node[3], scope), node, scope)
    if kind == "unop":
        v = evaluate(node[2], scope)
        if isinstance(v, Unknown):
            return v
        return (not to_bool(v)) if node[1] == "!" else _norm_num(-_num(v))
    if kind == "splat":
        return _splat(evaluate(node[1], scope), node[2], scope)
    if kind == "for":
        return _for(node, scope)
    raise EvalError(f"unsupported expression {kind}")


def _template(parts: list, scope: Scope) -> Any:
    out = []
    for p in parts:
        if isinstance(p, str):
            out.append(p)
            continue
        if p[0] == "tmpl_if":
            c = evaluate(p[1], scope)
            if isinstance(c, Unknown):
                return c
            v = _template(p[2] if to_bool(c) else p[3], scope)
        elif p[0] == "tmpl_for":
            coll = evaluate(p[3], scope)
            if isinstance(coll, Unknown):
                return coll
            chunks = []
            pairs = _pairs(coll)
            tick(scope, len(pairs))
            for k, x in pairs:
                sub = scope.child(**{p[2]: x, **({p[1]: k} if p[1] else {})})
                chunks.append(_template(p[4], sub))
            u = next((c for c in chunks if isinstance(c, Unknown)), None)
            if u is not None:
                return u
            v = "".join(chunks)
        else:
            v = evaluate(p, scope)
        if isinstance(v, Unknown):
            return v
        out.append(to_str(v))
    return "".join(out)


def _conditional(node: tuple, scope: Scope) -> Any:
    c = evaluate(node[1], scope)
    if isinstance(c, Unknown) and scope.forced is not None:
        taken = scope.forced.choose(node, scope)
        if taken is not None:
            return evaluate(node[2] if taken else node[3], scope)
    if isinstance(c, Unknown):
        a, b = evaluate(node[2], scope), evaluate(node[3], scope)
        if first_unknown(a) is None and a == b:
            return a
        return Unknown(f"the condition is not known ({c.reason})")
    return evaluate(node[2] if to_bool(c) else node[3], scope)


class Forcing:
    """The branch each conditional whose condition is not known takes, for one evaluation of
    ``branch_values``; the first such conditional it has no choice for is ``open``."""

    _UNSEEN = object()

    def __init__(self, choices: dict):
        self.choices = choices
        self.open: tuple | None = None
        self.seen: dict = {}
        self.mixed = False   # one conditional met under different iteration values

    def choose(self, node: tuple, scope: Scope) -> bool | None:
        k = id(node)
        prev = self.seen.get(k, self._UNSEEN)
        if prev is self._UNSEEN:
            self.seen[k] = scope.vars
        elif prev is not scope.vars and prev != scope.vars:
            # in a for expression, say: each element's condition may differ, and one choice
            # for all of them would leave out the mixed cases
            self.mixed = True
        if k in self.choices:
            return self.choices[k]
        if self.open is None:
            self.open = node
        return None


_NO_VALUE = object()


def branch_values(node: tuple, scope: Scope, locals_of: Callable[[str], tuple | None],
                  limit: int = 8) -> list | None:
    """Every value ``node`` may take when the conditionals whose conditions are not known (its own
    and those of the local values it reads, which are evaluated afresh) take either branch: each
    is one possibility (a combination that cannot happen may be among them, never one left out).
    None when there are more than ``limit`` combinations, or a conditional is met under different
    iteration values. ``locals_of(name)``: the (expression, scope) of a local value."""
    out: list = []
    todo: list[dict] = [{}]
    runs = 0
    while todo:
        choices = todo.pop()
        runs += 1
        if runs > limit:
            return None
        forcing = Forcing(choices)
        try:
            v = evaluate(node, _forced_scope(scope, forcing, locals_of))
        except EvalError:
            v = _NO_VALUE   # Terraform stops there: no value to apply
        if forcing.mixed:
            return None
        if forcing.open is not None:
            k = id(forcing.open)
            todo += [{**choices, k: False}, {**choices, k: True}]
            continue
        if v is not _NO_VALUE:
            out.append(v)
    return out or None


def _forced_scope(scope: Scope, forcing: Forcing, locals_of, busy: frozenset = frozenset()) -> Scope:
    def roots(name: str) -> Any:
        if name != "local":
            return scope.roots(name)

        def local(n: str) -> Any:
            got = locals_of(n)
            if got is None or n in busy:
                return scope.roots("local").get(n)   # the memoized value (a cycle is reported there)
            expr, at = got
            return evaluate(expr, _forced_scope(at, forcing, locals_of, busy | {n}))
        return Lazy(local, "local")
    out = Scope(roots, scope.vars, scope.module)
    out.forced = forcing
    return out


def _binop(op: str, a: Any, b: Any, node, scope) -> Any:
    if op in ("&&", "||"):
        # false && unknown is false; true || unknown is true (as Terraform does)
        for x, y in ((a, b), (b, a)):
            if not isinstance(x, Unknown) and isinstance(y, Unknown):
                xb = to_bool(x)
                if op == "&&" and not xb:
                    return False
                if op == "||" and xb:
                    return True
                return y
        if isinstance(a, Unknown):
            return a
        return (to_bool(a) and to_bool(b)) if op == "&&" else (to_bool(a) or to_bool(b))
    if op in ("==", "!="):
        eq = _equal_known(a, b)
        if isinstance(eq, Unknown) and (a == "" or b == "") and (isinstance(a, str) or isinstance(b, str)):
            # x != "" where x is not known yet, but is built with text of its own ("app-${id}"):
            # whatever it turns out to be, it is not empty
            if _not_empty(node[3] if a == "" else node[2], scope, 0):
                eq = False
        if isinstance(eq, Unknown):
            return eq
        return eq if op == "==" else not eq
    if isinstance(a, Unknown):
        return a
    if isinstance(b, Unknown):
        return b
    x, y = _num(a), _num(b)
    if op == "+":
        return _norm_num(x + y)
    if op == "-":
        return _norm_num(x - y)
    if op == "*":
        return _norm_num(x * y)
    if op == "/":
        if y == 0:
            raise EvalError("division by zero")
        return _norm_num(x / y)
    if op == "%":
        if y == 0:
            raise EvalError("modulo by zero")
        return _norm_num(math.fmod(x, y))
    return {"<": x < y, ">": x > y, "<=": x <= y, ">=": x >= y}[op]


def _equal_known(a: Any, b: Any) -> Any:
    """a == b where it is decided, though parts are unknown: a non-null object with an unknown
    attribute is != null; lists of different lengths differ; else an Unknown."""
    if isinstance(a, Unknown) or isinstance(b, Unknown):
        return a if isinstance(a, Unknown) else b
    if (a is None) != (b is None):
        return False
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return False
        pending = None
        for x, y in zip(a, b):
            e = _equal_known(x, y)
            if e is False:
                return False
            if isinstance(e, Unknown):
                pending = pending or e
        return pending if pending is not None else True
    if isinstance(a, dict) and isinstance(b, dict) and not isinstance(a, Lazy) and not isinstance(b, Lazy):
        if set(a) != set(b):
            return False
        pending = None
        for k in a:
            e = _equal_known(a[k], b[k])
            if e is False:
                return False
            if isinstance(e, Unknown):
                pending = pending or e
        return pending if pending is not None else True
    u = first_unknown(a) or first_unknown(b)
    if u is not None:
        return u
    return _equal(a, b)


def _not_empty(node: tuple, scope: Scope, depth: int) -> bool:
    """Whether an expression's string value is certainly not empty, however its unknown parts turn
    out: a template with literal text, join() with a known non-empty element (or a non-empty
    separator between two or more elements), a local value that is one of these."""
    kind = node[0]
    if depth > 8:
        return False
    if kind == "tmpl":
        return any(isinstance(p, str) and p.strip() for p in node[1])   # strip markers may take spaces
    if kind == "attr" and node[1] == ("name", "local") and scope.module is not None:
        entry = scope.module.src.locals.get(node[2])
        return entry is not None and _not_empty(entry[0].expr, scope.module.scope, depth + 1)
    if kind == "call" and node[1] == "join" and len(node[2]) == 2 and not node[3] and node[2][1][0] == "tuple":
        items = node[2][1][1]
        try:
            sep = evaluate(node[2][0], scope)
            if isinstance(sep, str) and sep and len(items) >= 2:
                return True
            return any(_not_empty(x, scope, depth + 1) or _known_text(x, scope) for x in items)
        except EvalError:
            return False
    return False


def _known_text(node: tuple, scope: Scope) -> bool:
    v = evaluate(node, scope)
    return isinstance(v, str) and v != ""


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if type_name(a) != type_name(b):
        return False
    return a == b


def _splat(v: Any, ops: list, scope: Scope) -> Any:
    if isinstance(v, Unknown):
        return v
    if v is None:
        return []
    items = v if isinstance(v, list) else [v]
    out = []
    for item in items:
        for op in ops:
            if op[0] == "splat":
                item = _splat(item, op[1], scope)
            elif op[0] == "attr":
                item = get_attr(item, op[1])
            else:
                item = get_index(item, evaluate(op[1], scope))
        out.append(item)
    return out


def _pairs(coll: Any) -> list[tuple[Any, Any]]:
    if isinstance(coll, list):
        return list(enumerate(coll))
    if isinstance(coll, dict):
        return sorted(coll.items(), key=lambda kv: kv[0])
    if isinstance(coll, Lazy):
        raise EvalError(f"cannot iterate over {coll.what}")
    raise EvalError(f"cannot iterate over a {type_name(coll)}")


def _for(node: tuple, scope: Scope) -> Any:
    _, is_obj, kname, vname, coll_e, key_e, val_e, cond_e, group = node
    coll = evaluate(coll_e, scope)
    if isinstance(coll, Unknown):
        return Unknown(f"the collection of a for expression is not known ({coll.reason})")
    out_list, out_obj = [], {}
    pairs = _pairs(coll)
    tick(scope, len(pairs))
    for k, v in pairs:
        sub = scope.child(**{vname: v, **({kname: k} if kname else {})})
        if cond_e is not None:
            c = evaluate(cond_e, sub)
            if isinstance(c, Unknown):
                return Unknown(f"a for expression's condition is not known ({c.reason})")
            if not to_bool(c):
                continue
        if is_obj:
            key = evaluate(key_e, sub)
            if isinstance(key, Unknown):
                return Unknown(f"a for expression's key is not known ({key.reason})")
            key = to_str(key)
            val = evaluate(val_e, sub)
            if group:
                out_obj.setdefault(key, []).append(val)
            else:
                if key in out_obj:
                    raise EvalError(f"duplicate key {key!r} in a for expression (use ... to group)")
                out_obj[key] = val
        else:
            out_list.append(evaluate(val_e, sub))
    return out_obj if is_obj else out_list


# ----------------------------------------------------------------------------- functions
def call(name: str, arg_nodes: list, expand: bool, scope: Scope) -> Any:
    if name.startswith("core::"):
        name = name[6:]       # Terraform's built-ins also answer to core::name
    if name in ("try", "can"):
        return _try(arg_nodes, scope) if name == "try" else _can(arg_nodes, scope)
    if "::" in name:
        return Unknown(f"function {name}() is a provider function; specguard does not run providers")
    if name == "convert":     # its second argument is a type constraint, not an expression
        return hcl_functions.types.convert_call(arg_nodes, scope)
    args = [evaluate(a, scope) for a in arg_nodes]
    if expand and args:
        last = args.pop()
        if isinstance(last, Unknown):
            return last
        if not isinstance(last, list):
            raise EvalError(f"{name}(...): only a list can be expanded with '...'")
        args.extend(last)
    return hcl_functions.run(name, args, scope)


def _try(arg_nodes: list, scope: Scope) -> Any:
    for a in arg_nodes:
        try:
            v = evaluate(a, scope)
        except EvalError:
            continue
        return v
    raise EvalError("no argument of try() could be evaluated")


def _can(arg_nodes: list, scope: Scope) -> Any:
    try:
        v = evaluate(arg_nodes[0], scope)
    except EvalError:
        return False
    return v if isinstance(v, Unknown) else True


# the functions module builds on the helpers above
from . import hcl_functions  # noqa: E402
