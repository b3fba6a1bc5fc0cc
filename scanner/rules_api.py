"""The public rule API: how a control is written, by specguard and by its users.

A rule module (``--rules my_rules.py``, ``rules:`` in a profile, or a package's
``specguard.rules`` entry point) imports only from here::

    from scanner.rules_api import Check, control

    @control("ACME-DB-02", title="Databases are not publicly accessible", family="ACME",
             severity="high", soc2=["CC6.6"], kinds=("database",), fields=("publicly_accessible",))
    def acme_db_02(r, ctx):
        chk = Check()
        v = r["publicly_accessible"]
        chk.require(~v.truthy(), "the database is reachable from the internet",
                    "whether the database is public is not known", v)
        return chk.verdict("the database is private")

The built-in rules (``rules/*.py``) are written the same way.

What a rule may rely on
-----------------------
* ``r`` is a ``Resource`` of one of the kinds the control names (``r.kind``, ``r.type``
  — always the Terraform type, also for a live resource — ``r.address``, ``r.name``).
* ``r[field]`` gives the model field named in the FIELD CONTRACT (``scanner/model.py``) as a
  ``Value`` (known, with its ``Origin``), an ``Unknown`` (with the reason it could not be read)
  or an ``Absent`` (the resource has no such property).  ``r.has(field)`` says whether it is there.
* ``r.raw`` is the record the adapter mapped the resource from, shared and read-only: the planned
  values or evaluated ``.tf`` attributes (a dict in which anything not known is an ``Unknown``),
  the AWS API item, the ARM resource JSON; ``None`` when the adapter kept none (a placeholder for
  a listing that failed) or an ``Unknown`` (the call that gives it failed).  ``field(r, "a.b[0]")``
  reads it with the origin attached.  Secret values (Lambda environment variables, ...) are never
  in a record: they read as ``Unknown``.
* Comparisons (``eq``, ``ne``, ``is_in``, ``ge``, ``le``, ``truthy``, ``is_set``, ``test``) return a
  ``Tri``; ``&``, ``|`` and ``~`` combine Tris (Kleene logic).
* ``ctx.params`` are the active profile's parameters for this control (the decorator's ``params``
  are the defaults), ``ctx.requires(name, what)`` words a requirement, ``ctx.lookup(key)`` finds
  another resource of the same input by a key (address, ARN, resource ID).
* ``Check`` builds the verdict: ``require(tri, fail, unknown, *values)``, ``fail``, ``unknown``,
  ``see``/``note`` (evidence), ``verdict(pass_message)``.  A fail dominates an unknown.
  Returning ``None`` means the control does not apply to this resource.

What a rule must not do
-----------------------
* Turn a ``Tri`` or a ``Value`` into a Python bool (``if v:``): it raises ``TypeError`` on
  purpose, so that "could not be read" never passes by accident.  Use ``.is_true``/``.is_false``.
* Treat an ``Unknown`` as a default or as "not set": say unknown, with its reason.
* Ask which source a resource came from in order to decide a verdict, call any API, read files,
  or change the resource, its ``raw`` record or another resource (they are shared by every control).
* Keep state between resources: the order of evaluation is not part of the contract.
* Put a value of ``r.raw`` into evidence or a message other than through ``field()``: ``field()``
  withholds secret values (attributes named as secrets, what a plan marks sensitive, the API paths
  ``aws/raw_secrets.py`` lists), ``r.raw`` itself still holds the planned and ``.tf`` values.

A rule that raises is not a pass: that finding becomes ``unknown`` with the exception's one-line
message, the run's coverage says so, and the scan goes on.  So is a rule that returns anything but a
``Verdict`` (``Check().verdict(...)``) or ``None``, a status other than pass/fail/unknown, or evidence
that is not JSON.

A rule module may import helper modules from its own directory; name them with a leading underscore
(``_naming.py``), so that naming the directory with ``--rules`` does not load them as rules.
"""
from __future__ import annotations

from typing import Any, Callable

from .controls import SEVERITIES, STATUSES, Check, Context, Control, Verdict
from .controls import control as _builtin_control
from .model import KINDS, Resource
from .values import FALSE, TRUE, Absent, Origin, Tri, Unknown, Value, tri, unknown_tri

__all__ = ["control", "Check", "Context", "Verdict", "Value", "Unknown", "Absent", "Origin", "Tri",
           "TRUE", "FALSE", "tri", "unknown_tri", "Resource", "KINDS", "SEVERITIES", "STATUSES", "field"]

# While specguard imports a user's rule module, its @control declarations are collected here
# (scanner.user_rules) instead of joining the built-in catalogue.
_collecting: list[list[Control]] = []


def control(id: str, *, title: str, family: str, severity: str, soc2: list[str],
            kinds: tuple[str, ...] | list[str] = (), fields: tuple[str, ...] | list[str] = (),
            params: dict[str, Any] | None = None, requirement: str = "",
            validate: Callable[[dict, dict], str | None] | None = None):
    """Declare ``func(resource, ctx) -> Verdict | None`` as the check of control ``id``.

    ``kinds``: the model kinds it looks at; ``fields``: it applies to a resource carrying at
    least one of them (none: every resource of those kinds); ``params``: defaults a profile may
    change; ``soc2``: the criteria it evidences."""
    if not _collecting:
        return _builtin_control(id, title=title, family=family, severity=severity, soc2=soc2, kinds=kinds,
                                fields=fields, params=params, requirement=requirement, validate=validate)

    def deco(func):
        _collecting[-1].append(Control(id, title, family, severity, list(soc2), tuple(kinds), tuple(fields),
                                       dict(params or {}), requirement or title, func, validate))
        return func

    return deco


_MISSING = object()


def field(r: Resource, path: str, name: str | None = None, default: Any = _MISSING) -> Value:
    """The value at ``path`` (``a.b[0].c``) of the resource's raw record, with its origin.

    Unknown when the record holds an Unknown on the way, when the adapter kept no record (or
    the call that gives it failed: the reason says so), or when the path is not in it: a missing
    key is not read as null unless ``default`` is given (an API that leaves a key out when it is
    unset, as Lambda does ``Environment``: ``field(r, "Environment.Variables.X", default=None)``)."""
    from .yaml_rules import Missing, resolve_path
    return resolve_path(r, path, name, Missing if default is _MISSING else default)
