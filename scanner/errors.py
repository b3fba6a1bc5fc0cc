"""Errors that end a run with a documented exit status (INTERFACE.md)."""
import json
import re
import reprlib

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def json_path(parts) -> str:
    """The place an InputError names in a JSON document: ``$.a[0]["my-mod"]`` from ("a", 0, "my-mod")."""
    out = "$"
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        elif _IDENT.match(p):
            out += f".{p}"
        else:
            out += "[" + json.dumps(p) + "]"
    return out


_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 80
_SHORT.maxlist = _SHORT.maxdict = _SHORT.maxtuple = _SHORT.maxset = 6
_SHORT.maxlevel = 3


def shown(value) -> str:
    """A value quoted in an error message, cut short: a message is one line a person reads,
    and the value may be a 16 MB string or a list expanded from YAML aliases."""
    text = _SHORT.repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


class SpecguardError(Exception):
    exit_status = 2

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InputError(SpecguardError):
    """Bad input or options: exit 2, one line naming the file and the place."""

    exit_status = 2

    def __init__(self, message: str, file: str | None = None, where: str | None = None):
        prefix = ""
        if file:
            prefix = f"{file}"
            if where:
                prefix += f":{where}"
            prefix += ": "
        super().__init__(prefix + message)


class ScanError(SpecguardError):
    """The scan could not run at all (no credentials, ...): exit 3."""

    exit_status = 3
