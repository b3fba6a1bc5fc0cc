"""Where a finding's .tf file is, for every renderer that names it (SARIF, JUnit, Markdown).

``resource.file`` from the Terraform adapters is relative to the directory that was scanned (a .tf
input, or the plan's source directory); renderers give the path from where specguard ran, so the
same file has the same name in every output (GitHub reads SARIF's from the repository root).
"""
from __future__ import annotations

import os
import posixpath


def plan_sources(doc: dict) -> list[str]:
    return [s["path"] for s in doc.get("sources", []) if s.get("kind") == "terraform-plan" and s.get("path")]


def bases_of(doc: dict) -> dict[str, str]:
    """Source kind -> the directory its findings' file names are relative to, when there is one.

    Only for documents whose findings do not name their input (``resource.input``, written since
    several inputs per run are supported): with one directory of that kind in the run, the file
    is joined to it, as before.
    """
    dirs: dict[str, set] = {"terraform-source": set(), "terraform-plan": set()}
    for s in doc.get("sources", []):
        if s.get("kind") in dirs and s.get("path"):
            d = s["path"] if s["kind"] == "terraform-source" else os.path.dirname(s["path"])
            dirs[s["kind"]].add(posixpath.normpath(d.replace("\\", "/")) if d else ".")
    out = {k: next(iter(v)) for k, v in dirs.items() if len(v) == 1}
    for s in doc.get("sources", []):
        if s.get("kind") == "terraform-plan" and s.get("path") and s.get("source_dir"):
            out["plan:" + s["path"]] = s["source_dir"]   # where that plan's findings' files are
    return out


def join_path(base: str, file: str) -> str:
    return posixpath.join(base.replace("\\", "/"), file.replace("\\", "/"))


def where(r: dict, plan_paths: list[str], bases: dict[str, str]) -> tuple[str | None, int | None, str | None]:
    """(path relative to where specguard ran, or absolute; line; a note when the .tf file could not be placed).

    ``resource.file`` from the Terraform adapters is relative to the scanned directory: for a
    .tf input that is the input itself; for a plan it is the source directory (``--source-dir``,
    else the plan's own folder when that holds .tf files).
    """
    source, file, line = r.get("source"), r.get("file"), r.get("line")
    inp = r.get("input")
    if source == "terraform-source":
        base = inp or bases.get(source)
        if file and base and not os.path.isabs(file):
            return join_path(base, file), line, None
        return file, line, None
    if source != "terraform-plan":
        return file, line, None
    plan = inp or (plan_paths[0] if len(plan_paths) == 1 else None)
    if not file:
        # no .tf source: the plan this finding came from
        return plan or (plan_paths[0] if plan_paths else None), None, None
    if os.path.isabs(file) or not plan:
        return file, line, None
    if bases.get("plan:" + plan):
        return join_path(bases["plan:" + plan], file), line, None
    candidate = join_path(os.path.dirname(plan) or ".", file)
    if os.path.isfile(plan) and not os.path.isfile(candidate):
        # The sources came from a --source-dir elsewhere, and the results do not record which
        # directory: point at the plan rather than at a path that does not exist.
        return plan, None, f"defined in {file}" + (f" line {line}" if line else "") + \
            " of the --source-dir directory given to the scan"
    return candidate, line, None




def shown_path(path: str) -> str:
    """Relative to the working directory when the file is under it, else as it is."""
    if os.path.isabs(path):
        try:
            rel = os.path.relpath(path, os.getcwd())
        except ValueError:
            return path
        if not rel.startswith(".."):
            return rel.replace("\\", "/")
        return path
    return posixpath.normpath(path.replace("\\", "/"))


class Locator:
    """where() for one results document."""

    def __init__(self, doc: dict):
        self.plans = plan_sources(doc)
        self.bases = bases_of(doc)

    def file_line(self, r: dict) -> tuple[str | None, int | None]:
        file, line, _note = where(r, self.plans, self.bases)
        return (shown_path(file) if file else None), line
