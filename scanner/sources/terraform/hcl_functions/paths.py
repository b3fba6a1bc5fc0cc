"""Path functions that read no file: abspath basename dirname pathexpand (Go's path/filepath rules)."""
from __future__ import annotations

from ._base import Unknown, fn, string


def go_clean(p: str) -> str:
    """Go's filepath.Clean on a slash-separated path."""
    if p == "":
        return "."
    rooted = p.startswith("/")
    out: list[str] = []
    for part in p.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if out and out[-1] != "..":
                out.pop()
            elif not rooted:
                out.append("..")
            continue
        out.append(part)
    s = ("/" if rooted else "") + "/".join(out)
    return s or ("/" if rooted else ".")


@fn("basename", 1)
def _basename(p):
    p = string(p, "the path")
    if p == "":
        return "."
    p = p.rstrip("/")
    if p == "":
        return "/"
    return p.rsplit("/", 1)[-1]


@fn("dirname", 1)
def _dirname(p):
    p = string(p, "the path")
    i = p.rfind("/")
    return go_clean(p[:i + 1])


@fn("abspath", 1)
def _abspath(p):
    p = string(p, "the path")
    if p.startswith("/"):
        return go_clean(p)
    return Unknown(f"abspath({p!r}) depends on the directory Terraform runs in (an absolute path on "
                   "the machine that runs it)")


@fn("pathexpand", 1)
def _pathexpand(p):
    p = string(p, "the path")
    if p == "~" or p.startswith("~/"):
        return Unknown(f"pathexpand({p!r}) depends on the home directory of the machine Terraform runs on")
    return p
