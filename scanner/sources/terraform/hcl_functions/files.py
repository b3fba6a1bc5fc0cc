"""Functions that read files: file fileexists fileset filebase64 filemd5 filesha1 filesha256 filesha512
filebase64sha256 filebase64sha512 templatefile, and templatestring.

Terraform reads relative paths from the directory it runs in, the root module's (path.module is
relative to it). specguard reads only inside the scanned tree: a path that leads out of it,
also through a symlink, is Unknown with that reason; a file larger than MAX_FILE_BYTES is
Unknown too (never read whole). Every file read is recorded with the project's files, so its
digest is in the results.
"""
from __future__ import annotations

import base64
import hashlib
import os
import re
import stat
import weakref

from ..hcl_limits import MAX_FILE_BYTES
from ._base import (EvalError, Unknown, expect_size, fn, mapping, string, unknown_in)

_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()   # project -> {path: bytes}
_IDENT = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def _project(scope, fname: str):
    project = getattr(getattr(scope, "module", None), "project", None)
    root = getattr(project, "root_dir", None)
    if root is None:
        return None, Unknown(f"{fname}() is not evaluated here: there is no module directory to read from")
    return project, None


def _resolve(scope, path, fname: str):
    """(project, absolute path inside the tree) or (None, Unknown) when it may not be read."""
    project, u = _project(scope, fname)
    if u is not None:
        return None, None, u
    p = string(path, "the path")
    if "\x00" in p:
        raise EvalError("the path contains a NUL character")
    if _rendering and _rendering[-1] == "templatestring":
        raise EvalError(f"cannot use filesystem access functions like {fname} in templatestring templates; "
                        "consider passing the function result as a template variable instead")
    if p == "~" or p.startswith("~/"):
        # Terraform expands ~ to the home directory of the machine it runs on
        return None, None, Unknown(f"{fname}({p!r}): the path is in the home directory, outside the scanned "
                                   "directory; specguard reads no file outside it")
    root = project.root_dir
    full = os.path.normpath(os.path.join(root, p))
    real_root = os.path.realpath(root)
    real = os.path.realpath(full)
    if os.path.commonpath([real_root, real]) != real_root:
        return None, None, Unknown(f"{fname}({p!r}): the path leads outside the scanned directory; "
                                   "specguard reads no file outside it")
    return project, full, None


def _stat(full: str, p: str):
    try:
        return os.stat(full)
    except FileNotFoundError:
        return None
    except OSError as e:
        raise EvalError(f"cannot read {p!r}: {e.strerror or e.__class__.__name__}")


def read_bytes(scope, path, fname: str):
    """The file's bytes, or an Unknown saying why it is not read."""
    project, full, u = _resolve(scope, path, fname)
    if u is not None:
        return u
    try:
        cache = _CACHE.setdefault(project, {})
    except TypeError:        # a project object that cannot be weakly referenced: no cache
        cache = {}
    if full in cache:
        return cache[full]
    shown = string(path)
    st = _stat(full, shown)
    if st is None:
        raise EvalError(f"no file exists at {shown!r}")
    if stat.S_ISDIR(st.st_mode):
        raise EvalError(f"{shown!r} is a directory, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise EvalError(f"{shown!r} is not a regular file")
    if st.st_size > MAX_FILE_BYTES:
        return Unknown(f"{fname}({shown!r}): the file is larger than {MAX_FILE_BYTES} bytes; specguard "
                       "reads no more")
    try:
        with open(full, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        raise EvalError(f"cannot read {shown!r}: {e.strerror or e.__class__.__name__}")
    if len(data) > MAX_FILE_BYTES:
        return Unknown(f"{fname}({shown!r}): the file is larger than {MAX_FILE_BYTES} bytes; specguard "
                       "reads no more")
    cache[full] = data
    extra = getattr(project, "extra_files", None)
    if isinstance(extra, list) and full not in extra and full not in getattr(project, "files", ()):
        extra.append(full)
    return data


def read_text(scope, path, fname: str):
    data = read_bytes(scope, path, fname)
    if isinstance(data, Unknown):
        return data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise EvalError(f"contents of {string(path)!r} are not valid UTF-8; use filebase64 to read binary files")


@fn("file", 1, scoped=True)
def _file(scope, path):
    return read_text(scope, path, "file")


@fn("filebase64", 1, scoped=True)
def _filebase64(scope, path):
    data = read_bytes(scope, path, "filebase64")
    return data if isinstance(data, Unknown) else base64.b64encode(data).decode("ascii")


def _file_hash(name: str, algo: str, b64: bool):
    @fn(name, 1, scoped=True)
    def impl(scope, path):
        data = read_bytes(scope, path, name)
        if isinstance(data, Unknown):
            return data
        h = hashlib.new(algo, data)
        return base64.b64encode(h.digest()).decode("ascii") if b64 else h.hexdigest()
    return impl


for _name, _algo, _b64 in [("filemd5", "md5", False), ("filesha1", "sha1", False),
                           ("filesha256", "sha256", False), ("filesha512", "sha512", False),
                           ("filebase64sha256", "sha256", True), ("filebase64sha512", "sha512", True)]:
    _file_hash(_name, _algo, _b64)


@fn("fileexists", 1, scoped=True)
def _fileexists(scope, path):
    project, full, u = _resolve(scope, path, "fileexists")
    if u is not None:
        return u
    st = _stat(full, string(path))
    if st is None:
        return False
    if stat.S_ISREG(st.st_mode):
        return True
    raise EvalError(f"{string(path)!r} is not a regular file, but {'a directory' if stat.S_ISDIR(st.st_mode) else 'a special file'}")


# ----------------------------------------------------------------------------- fileset
def glob_regex(pattern: str) -> str:
    """A glob (*, **, ?, [class], {a,b}) as an RE2 pattern over slash-separated relative paths."""
    out, i, depth = [], 0, 0
    while i < len(pattern):
        c = pattern[i]
        if c == "*":
            if pattern.startswith("**", i):
                i += 2
                if pattern.startswith("/", i):
                    out.append("(?:[^/]*(?:/[^/]*)*/)?")
                    i += 1
                else:
                    out.append(".*")
                continue
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            j = pattern.find("]", i + 2)
            if j < 0:
                raise EvalError(f"invalid glob pattern {pattern!r}: unterminated [")
            body = pattern[i + 1:j]
            neg = body[:1] in ("!", "^")
            if neg:
                body = body[1:]
            out.append("[" + ("^" if neg else "") + body.replace("\\", "\\\\").replace("[", "\\[") + "]")
            i = j
        elif c == "{":
            depth += 1
            out.append("(?:")
        elif c == "}" and depth:
            depth -= 1
            out.append(")")
        elif c == "," and depth:
            out.append("|")
        elif c == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(c))
        i += 1
    if depth:
        raise EvalError(f"invalid glob pattern {pattern!r}: unterminated {{")
    return "".join(out)


@fn("fileset", 2, scoped=True)
def _fileset(scope, path, pattern):
    project, base, u = _resolve(scope, path, "fileset")
    if u is not None:
        return u
    from .regex import regex_for

    rx = regex_for(glob_regex(string(pattern, "the pattern")))
    real_root = os.path.realpath(project.root_dir)
    found, walked = [], 0
    for dirpath, dirnames, filenames in os.walk(base):
        # follow no symlinked directory out of the tree
        dirnames[:] = sorted(d for d in dirnames
                             if os.path.commonpath([real_root, os.path.realpath(os.path.join(dirpath, d))])
                             == real_root)
        for name in filenames:
            walked += 1
            expect_size(walked, "fileset()'s walk")
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, base).replace(os.sep, "/")
            if rx.fullmatch(rel) and os.path.isfile(full):
                real = os.path.realpath(full)
                if os.path.commonpath([real_root, real]) == real_root:
                    found.append(rel)
    return sorted(found)


# ----------------------------------------------------------------------------- templates
_TEMPLATES: dict[str, tuple] = {}
_rendering: list[str] = []      # the template functions being rendered, innermost last


def render_template(scope, text: str, variables, fname: str):
    from ..hcl_eval import Scope, evaluate
    from ..hcl_parse import HclSyntaxError, HclTooDeep, parse_template

    if _rendering:
        raise EvalError(f"cannot recursively call {fname} from inside another template function")
    variables = mapping(variables, "the variables") if variables is not None else {}
    for k in variables:
        if not _IDENT.fullmatch(k):
            raise EvalError(f"invalid template variable name {k!r}: must start with a letter, followed by "
                            "zero or more letters, digits, and underscores")
    node = _TEMPLATES.get(text)
    if node is None:
        try:
            node = parse_template(text)
        except (HclSyntaxError, HclTooDeep) as e:
            raise EvalError(f"the template cannot be parsed: {getattr(e, 'message', e)}")
        if len(_TEMPLATES) > 256:
            _TEMPLATES.clear()
        _TEMPLATES[text] = node

    def no_name(name: str):
        raise EvalError(f"vars map does not contain key {name!r}")

    tscope = Scope(no_name, dict(variables), getattr(scope, "module", None))
    _rendering.append(fname)
    try:
        v = evaluate(node, tscope)
    finally:
        _rendering.pop()
    # a template is a string even when it is one interpolation ("${n}")
    return v if isinstance(v, Unknown) else string(v, "the template's result")


@fn("templatefile", 2, scoped=True, strict=False)
def _templatefile(scope, path, variables):
    u = unknown_in([path])
    if u is not None:
        return u
    text = read_text(scope, path, "templatefile")
    if isinstance(text, Unknown):
        return text
    if isinstance(variables, Unknown):
        return variables
    return render_template(scope, text, variables, "templatefile")


@fn("templatestring", 2, scoped=True, strict=False)
def _templatestring(scope, template, variables):
    if isinstance(template, Unknown):
        return template
    if isinstance(variables, Unknown):
        return variables
    return render_template(scope, string(template, "the template"), variables, "templatestring")
