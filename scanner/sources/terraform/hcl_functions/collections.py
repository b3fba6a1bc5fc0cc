"""Collection functions: alltrue anytrue chunklist coalesce coalescelist compact concat contains distinct
element flatten index keys length lookup matchkeys merge one reverse slice sort transpose values zipmap,
and the set functions setintersection setproduct setsubtract setunion.

Known beats unknown: an Unknown element makes the result Unknown only where it changes the
answer. The length of a list with unknown elements is known; concat, merge and the like keep
the known elements and carry the Unknown ones; a result whose shape depends on an unknown
(compact() of an unknown element, distinct() when an element is unknown) is Unknown.
"""
from __future__ import annotations

from ..hcl_eval import Computed, Lazy
from ._base import (Budget, EvalError, ScalarUnknown, Unknown, _key, boolean, char_count, dedupe, expect_size, first_unknown, fn,
                    integer, mapping, num, seq, sort_set, string, tf_equal, type_name, unify)


@fn("length", 1, strict=False)
def _length(v):
    if isinstance(v, Unknown):
        return v
    if isinstance(v, str):
        return char_count(v)
    if isinstance(v, (list, dict)):
        return len(v)
    raise EvalError(f"a {type_name(v)} has no length")


@fn("alltrue", 1, strict=False)
def _alltrue(lst):
    return _decided_by(lst, False)


@fn("anytrue", 1, strict=False)
def _anytrue(lst):
    return _decided_by(lst, True)


def _decided_by(lst, decisive: bool):
    """alltrue (decisive false) / anytrue (decisive true): the first element that is ``decisive``
    answers; an unknown element answers only when none does. A null element is not true (Terraform)."""
    if isinstance(lst, Unknown):
        return lst
    pending = None
    for i, x in enumerate(seq(lst, "the list")):
        if isinstance(x, Unknown):
            if pending is None:
                pending = x
            continue
        if (False if x is None else boolean(x, f"element {i}")) is decisive:
            return decisive
    return pending if pending is not None else not decisive


@fn("chunklist", 2, strict=False)
def _chunklist(lst, size):
    for a in (lst, size):
        if isinstance(a, Unknown):
            return a
    u = first_unknown(size)
    if u is not None:
        return u
    lst, size = seq(lst, "the list"), integer(size, "the size")
    if size < 0:
        raise EvalError("the size argument must be positive")
    if not lst:
        return []
    if size == 0:
        return [list(lst)]
    return [lst[i:i + size] for i in range(0, len(lst), size)]


@fn("coalesce", 1, None, strict=False)
def _coalesce(*args):
    kinds = {isinstance(a, (list, dict)) for a in args if a is not None and not isinstance(a, Unknown)}
    if len(kinds) > 1:
        raise EvalError("all arguments must have the same type")
    for a in args:
        if isinstance(a, Unknown):
            return a        # it may be the first non-null argument
        if a is not None and a != "":
            if isinstance(a, (int, float, bool)) and any(isinstance(b, str) for b in args):
                return string(a)   # Terraform unifies the arguments to one type: string
            return a
    raise EvalError("no non-null, non-empty-string arguments")


@fn("coalescelist", 1, None, strict=False)
def _coalescelist(*args):
    for i, a in enumerate(args):
        if isinstance(a, Unknown):
            return a
        if a is None:
            continue
        if len(seq(a, f"argument {i + 1}")):
            return a
    return []


@fn("compact", 1, strict=False)
def _compact(lst):
    if isinstance(lst, Unknown):
        return lst
    out = []
    for x in seq(lst, "the list"):
        if isinstance(x, Unknown):
            # whether it is null or "" decides the length of the result
            return Unknown(f"compact(): an element is not known ({x.reason})")
        if x is None or x == "":
            continue
        out.append(string(x, "an element"))
    return out


@fn("concat", 1, None, strict=False)
def _concat(*lists):
    out: list = []
    for i, x in enumerate(lists):
        if isinstance(x, Unknown):
            return x
        out.extend(seq(x, f"argument {i + 1}"))
        expect_size(len(out))
    return out


@fn("contains", 2, strict=False)
def _contains(lst, value):
    if isinstance(lst, Unknown):
        return lst
    lst = seq(lst, "the list")
    pending = first_unknown(value)
    if pending is None:
        for x in lst:
            u = first_unknown(x)
            if u is None:
                if _loose_equal(x, value):
                    return True
            else:
                if pending is None:
                    pending = u
    return pending if pending is not None else False


def _loose_equal(x, v) -> bool:
    """Terraform converts the value to the list's element type before comparing: "1" matches 1."""
    if isinstance(x, str) and isinstance(v, (int, float)) and not isinstance(v, bool):
        return x == string(v)
    if isinstance(x, str) and isinstance(v, bool):
        return x == string(v)
    if isinstance(x, (int, float)) and not isinstance(x, bool) and isinstance(v, str):
        try:
            return x == num(v)
        except EvalError:
            return False
    return tf_equal(x, v)


@fn("distinct", 1, strict=False)
def _distinct(lst):
    if isinstance(lst, Unknown):
        return lst
    lst = seq(lst, "the list")
    u = first_unknown(lst)
    if u is not None:
        # an unknown element may equal another one: the length of the result is not known
        return Unknown(f"distinct(): an element is not known ({u.reason})")
    return dedupe(unify(lst))


@fn("element", 2, strict=False)
def _element(lst, index):
    for a in (lst, index):
        if isinstance(a, Unknown):
            return a
    lst, i = seq(lst, "the list"), integer(index, "the index")
    if not lst:
        raise EvalError("cannot use element function with an empty list")
    return lst[i % len(lst)]


@fn("flatten", 1, strict=False)
def _flatten(lst):
    if isinstance(lst, Unknown):
        return lst
    out: list = []
    budget = Budget()

    def walk(x) -> Unknown | None:
        for y in x:
            budget.spend()
            if isinstance(y, ScalarUnknown):
                out.append(y)         # a string, number or bool not known yet: one element
                continue
            if isinstance(y, Unknown):
                # it may be a list, whose elements would take its place: the length is not known
                return Unknown(f"flatten(): an element is not known ({y.reason})")
            if isinstance(y, list):
                u = walk(y)
                if u is not None:
                    return u
            else:
                out.append(y)
        return None

    u = walk(seq(lst, "the list"))
    if u is not None:
        return u
    expect_size(len(out))
    return out


@fn("index", 2, strict=False)
def _index(lst, value):
    if isinstance(lst, Unknown):
        return lst
    lst = seq(lst, "the list")
    if not lst:
        raise EvalError("cannot search an empty list")
    u = first_unknown(value)
    if u is not None:
        return u
    for i, x in enumerate(lst):
        ux = first_unknown(x)
        if ux is not None:
            return Unknown(f"index(): element {i} is not known ({ux.reason})")
        if _loose_equal(x, value):
            return i
    raise EvalError("item not found")


@fn("keys", 1, strict=False)
def _keys(m):
    if isinstance(m, Unknown):
        return m
    return sorted(mapping(m, "the argument"))


@fn("values", 1, strict=False)
def _values(m):
    if isinstance(m, Unknown):
        return m
    m = mapping(m, "the argument")
    return [m[k] for k in sorted(m)]


@fn("lookup", 2, 3, strict=False)
def _lookup(m, key, *default):
    if isinstance(m, Unknown):
        return m
    if isinstance(key, Unknown):
        # decided when every possible result is the same: an empty map with a default, say
        m = mapping(m, "the first argument")
        results = list(m.values()) + list(default[:1])
        if results and first_unknown(results) is None and all(r == results[0] for r in results) and (default or m):
            return results[0] if default or len(m) else key
        return key
    if isinstance(m, Lazy):
        return Unknown(f"lookup(): {m.what} as a whole value is known only after apply")
    m, k = mapping(m, "the first argument"), string(key, "the key")
    if k in m:
        return m[k]
    if isinstance(m, Computed):
        return m.missing(k)       # an attribute not configured is known only after apply
    if default:
        return default[0]
    raise EvalError(f"the given object has no attribute {k!r}")


@fn("matchkeys", 3, strict=False)
def _matchkeys(values, keys, search):
    for a in (values, keys, search):
        if isinstance(a, Unknown):
            return a
    values, keys, search = seq(values, "values"), seq(keys, "keys"), seq(search, "searchset")
    if len(values) != len(keys):
        raise EvalError("length of keys and values should be equal")
    u = first_unknown(keys)
    if u is None:
        u = first_unknown(search)
    if u is not None:
        return Unknown(f"matchkeys(): a key is not known ({u.reason})")
    budget = Budget()
    # keys and searchset convert to one type, as Terraform requires of them
    unified = unify(list(keys) + list(search))
    wanted = {_key(x, budget) for x in unified[len(keys):]}
    return [v for v, k in zip(values, unified[:len(keys)]) if _key(k, budget) in wanted]


@fn("merge", 0, None, strict=False)
def _merge(*maps):
    out: dict = {}
    for i, m in enumerate(maps):
        if isinstance(m, Unknown):
            return m
        if m is None:
            continue
        out.update(mapping(m, f"argument {i + 1}"))
    expect_size(len(out))
    return out


@fn("one", 1, strict=False)
def _one(lst):
    if isinstance(lst, Unknown):
        return lst
    if lst is None:
        return None
    lst = seq(lst, "the argument")
    if len(lst) > 1:
        raise EvalError(f"must be a list, set, or tuple value with either zero or one elements, not {len(lst)}")
    return lst[0] if lst else None


@fn("reverse", 1, strict=False)
def _reverse(lst):
    if isinstance(lst, Unknown):
        return lst
    return list(reversed(seq(lst, "the list")))


@fn("slice", 3, strict=False)
def _slice(lst, start, end):
    for a in (start, end):
        if isinstance(a, Unknown):
            return a
    if isinstance(lst, Unknown):
        # slice(data.aws_availability_zones.x.names, 0, 3): whatever the list holds, a configuration
        # that plans has exactly end - start elements there (Terraform refuses a shorter list)
        s, e = integer(start, "the start index"), integer(end, "the end index")
        if s < 0 or s > e:
            raise EvalError("start index must not be less than zero or greater than end index")
        expect_size(e - s)
        return [Unknown(f"element {i} of a list that is not known ({lst.reason})") for i in range(s, e)]
    lst = seq(lst, "the list")
    s, e = integer(start, "the start index"), integer(end, "the end index")
    if s < 0:
        raise EvalError("start index must not be less than zero")
    if s > len(lst):
        raise EvalError("start index must not be greater than the length of the list")
    if e < 0:
        raise EvalError("end index must not be less than zero")
    if e > len(lst):
        raise EvalError("end index must not be greater than the length of the list")
    if s > e:
        raise EvalError("start index must not be greater than end index")
    return lst[s:e]


@fn("sort", 1, strict=False)
def _sort(lst):
    if isinstance(lst, Unknown):
        return lst
    lst = seq(lst, "the list")
    u = first_unknown(lst)
    if u is not None:
        return Unknown(f"sort(): an element is not known ({u.reason})")
    out = []
    for i, x in enumerate(lst):
        if x is None:
            raise EvalError(f"given list element {i} is null; a null string cannot be sorted")
        out.append(string(x, f"element {i}"))
    return sorted(out)


@fn("transpose", 1, strict=False)
def _transpose(m):
    if isinstance(m, Unknown):
        return m
    m = mapping(m, "the argument")
    u = first_unknown(m)
    if u is not None:
        return Unknown(f"transpose(): a value is not known ({u.reason})")
    out: dict[str, list] = {}
    n = 0
    for k in sorted(m):
        for v in seq(m[k], f"the value of {k!r}"):
            if v is None:
                raise EvalError("lists must not contain null values")
            out.setdefault(string(v, "an element"), []).append(k)
            n += 1
            expect_size(n)
    return out


@fn("zipmap", 2, strict=False)
def _zipmap(keys, values):
    for a in (keys, values):
        if isinstance(a, Unknown):
            return a
    keys, values = seq(keys, "the keys"), seq(values, "the values")
    u = first_unknown(keys)
    if u is not None:
        return Unknown(f"zipmap(): a key is not known ({u.reason})")
    if len(keys) != len(values):
        raise EvalError(f"number of keys ({len(keys)}) does not match number of values ({len(values)})")
    out = {}
    for i, (k, v) in enumerate(zip(keys, values)):
        if k is None:
            raise EvalError(f"keys list has null value at index {i}")
        out[string(k, "a key")] = v
    return out


# ----------------------------------------------------------------------------- sets
def _set_args(name, args):
    for a in args:
        if isinstance(a, Unknown):
            return a, None
    lists = [seq(a, f"argument {i + 1}") for i, a in enumerate(args)]
    for lst in lists:
        u = first_unknown(lst)
        if u is not None:
            # an unknown element may equal a known one: membership is not decided
            return Unknown(f"{name}(): an element is not known ({u.reason})"), None
    # the arguments convert to sets of one element type: ["a", 3] and ["3"] share "3"
    flat = unify([x for lst in lists for x in lst])
    out, i = [], 0
    for lst in lists:
        out.append(dedupe(flat[i:i + len(lst)]))
        i += len(lst)
    return None, out


@fn("setunion", 1, None, strict=False)
def _setunion(*args):
    u, sets = _set_args("setunion", args)
    if u is not None:
        return u
    out: list = []
    for s in sets:
        out = dedupe(out + s)
        expect_size(len(out))
    return sort_set(out)


@fn("setintersection", 1, None, strict=False)
def _setintersection(*args):
    u, sets = _set_args("setintersection", args)
    if u is not None:
        return u
    budget = Budget()
    others = [{_key(x, budget) for x in s} for s in sets[1:]]
    return sort_set([x for x in sets[0] if all(_key(x, budget) in o for o in others)])


@fn("setsubtract", 2, strict=False)
def _setsubtract(a, b):
    u, sets = _set_args("setsubtract", (a, b))
    if u is not None:
        return u
    budget = Budget()
    drop = {_key(x, budget) for x in sets[1]}
    return sort_set([x for x in sets[0] if _key(x, budget) not in drop])


@fn("setproduct", 2, None, strict=False)
def _setproduct(*args):
    for a in args:
        if isinstance(a, Unknown):
            return a
    lists = [unify(seq(a, f"argument {i + 1}")) for i, a in enumerate(args)]
    total = 1
    for lst in lists:
        total *= len(lst)
        if total == 0:
            return []
        expect_size(total, "setproduct()'s result")
    expect_size(total * len(lists), "setproduct()'s result")
    out: list = [[]]
    for lst in lists:
        out = [row + [x] for row in out for x in lst]
    return out
