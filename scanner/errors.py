"""Errors that end a run with a documented exit status (INTERFACE.md)."""
import json
import re

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
