"""Writing the reports: every requested output in full, or none of them changed.

The order of a write, after every check that can be made before a scan (``resolve``):

1. render every format in memory (a renderer that fails changes nothing);
2. stage each regular file in full (and fsync it) as ``.specguard-*.tmp`` beside its target;
3. write the streams, which cannot be staged: standard output, an open descriptor
   (``/dev/fd/N``, ``/dev/stdout``) and devices or FIFOs, in the order given;
4. rename every staged file over its target.  A target that existed is hard-linked to a
   ``.specguard-*.bak`` first, so if a later rename fails, the earlier ones are put back.

A failure in 2 or 3 removes the staged files and leaves every file target as it was (a
stream may hold part of its report: it cannot be taken back).  SIGINT and SIGTERM during
the write remove the staged files too, then take their usual course (the handlers are
installed only around the write; during the renames of step 4 a signal waits until they
are all done or all undone).
"""
from __future__ import annotations

import errno
import os
import signal
import stat
import sys
import threading

from .errors import InputError

PREFIX = ".specguard-"
# endings of the files a .tf scan reads inside a scanned directory: never overwritten by a report
TERRAFORM_ENDINGS = (".tf", ".tf.json", ".tfvars", ".tfvars.json")
# options that name files (or folders) a command reads, whatever command defines them
INPUT_OPTIONS = ("paths", "results", "profile", "waivers", "var_file", "checkov_results", "checkov_mapping",
                 "baseline", "rules", "source_dir")


# ----------------------------------------------------------------------------- checks before the scan
def resolve(outputs, inputs=()) -> list[dict]:
    """Pair formats with files and check every file can be written, before any scanning.

    ``inputs``: the files and folders the command reads; an output naming one is refused."""
    from .render import FORMATS, format_of
    outs = [dict(o) for o in (outputs or [])] or [{"format": "table", "path": None}]
    seen: dict[str, str] = {}
    for o in outs:
        if o["format"] is None:
            o["format"] = format_of(o["path"])
            if o["format"] is None:
                raise InputError(f"cannot tell the format of {o['path']!r} from its name: give --format before -o")
        if o["format"] not in FORMATS:
            raise InputError(f"unknown format {o['format']!r} (expected one of {', '.join(FORMATS)})")
        if o["format"] == "pdf" and not o["path"]:
            raise InputError("--format pdf needs -o FILE")
        if descriptor(o["path"]) == 1:
            o["path"] = "-"   # standard output by another name: written to the stream, never reopened
        if o["path"] in (None, "-"):
            _check_stdout()
        elif descriptor(o["path"]) is not None:
            _check_descriptor(o["path"])
        else:
            _check_writable(o["path"])
            real = os.path.realpath(o["path"])
            if real in seen and not is_special(real):
                raise InputError(f"both {seen[real]} and {o['format']} would be written to this file", o["path"])
            seen[real] = o["format"]
    if sum(1 for o in outs if o["path"] in (None, "-")) > 1:
        raise InputError("only one format can go to standard output: give -o FILE for the others")
    _refuse_inputs(outs, inputs)
    return outs


def input_paths(args) -> list[tuple[str, str]]:
    """(option, path) for every file or folder the command was told to read."""
    out = []
    for name in INPUT_OPTIONS:
        value = getattr(args, name, None)
        for v in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(v, str) and v and v != "-":
                shown = {"paths": "PATH", "results": "RESULTS.json"}.get(name) or "--" + name.replace("_", "-")
                out.append((shown, v))
    return out


def _refuse_inputs(outs: list[dict], inputs) -> None:
    """A report written over the plan, a .tf file, the profile or the waivers would destroy
    the input it was made from: compared by device and inode (hard links, symlinks, other
    spellings of the path) and, for a scanned folder, by place and Terraform file ending."""
    files, folders = [], []
    for option, path in inputs:
        try:
            st = os.stat(path)
        except OSError:
            continue
        if stat.S_ISDIR(st.st_mode):
            folders.append((option, os.path.realpath(path)))
        else:
            files.append((option, path, (st.st_dev, st.st_ino)))
        if option == "PATH" and not stat.S_ISDIR(st.st_mode):
            # a plan's own folder is read for its .tf sources (file and line of findings)
            folders.append((option, os.path.dirname(os.path.realpath(path))))
    for o in outs:
        if o["path"] in (None, "-"):
            continue
        fd = descriptor(o["path"])
        try:
            st = os.fstat(fd) if fd is not None else os.stat(o["path"])
            ident = (st.st_dev, st.st_ino) if stat.S_ISREG(st.st_mode) else None
        except OSError:
            ident = None
        for option, path, file_ident in files:
            if ident is not None and ident == file_ident:
                raise InputError(f"is also an input ({option} {path}): refusing to write a report over it",
                                 o["path"])
        real = os.path.realpath(o["path"])
        if fd is None and real.endswith(TERRAFORM_ENDINGS):
            for option, folder in folders:
                if real.startswith(folder.rstrip(os.sep) + os.sep):
                    raise InputError(f"is a Terraform file in a scanned folder ({folder}): "
                                     f"refusing to write a report over it", o["path"])


def descriptor(path: str | None) -> int | None:
    """The open descriptor a path names (/dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N), or None.

    Such a path is written to the descriptor itself.  Opening it again would truncate a file the
    shell opened for appending (`-o /dev/stdout >> "$GITHUB_STEP_SUMMARY"`), and its real path
    may be a pipe that cannot be renamed over."""
    if not path:
        return None
    named = {"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}
    if path in named:
        return named[path]
    for prefix in ("/dev/fd/", "/proc/self/fd/"):
        if path.startswith(prefix) and path[len(prefix):].isdigit():
            return int(path[len(prefix):])
    return None


def is_special(path: str) -> bool:
    """A device, FIFO or socket: written in place (never replaced by a regular file)."""
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def _check_stdout() -> None:
    if sys.stdout is None:
        raise InputError("standard output is closed: give -o FILE")
    try:
        os.fstat(sys.stdout.fileno())
    except (OSError, ValueError) as e:
        if not isinstance(e, OSError) or e.errno == errno.EBADF:
            raise InputError("standard output is closed: give -o FILE")
    except AttributeError:   # replaced by an object without a descriptor (tests): it can be written to
        pass


def _check_descriptor(path: str) -> None:
    try:
        os.fstat(descriptor(path))
    except OSError:
        raise InputError("this descriptor is not open", path)


def _check_writable(path: str) -> None:
    try:
        os.stat(path)
    except FileNotFoundError:
        pass
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise InputError("a loop of symbolic links, not an output file", path)
        raise InputError(f"cannot use as an output file: {e.strerror or e}", path)
    if os.path.isdir(path):
        raise InputError("is a directory, not an output file", path)
    real = os.path.realpath(path)   # a symlink is written through, so check its target's folder
    directory = os.path.dirname(real) or "."
    if not os.path.isdir(directory):
        raise InputError("output directory does not exist", path)
    if os.path.exists(real) and is_special(real):
        if not os.access(real, os.W_OK):
            raise InputError("cannot write to this file", path)
    elif not os.access(directory, os.W_OK | os.X_OK):
        raise InputError("output directory is not writable", path)


# ----------------------------------------------------------------------------- signals
class _Interrupted(BaseException):
    """Raised by our handler to unwind the write; the signal is sent again once cleaned up."""


class _Guard:
    """SIGINT/SIGTERM handlers for the time of a write (main thread only; signals a caller
    ignores stay ignored).  In a ``hold()`` block a signal waits for the block's end."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self):
        self.previous: dict[int, object] = {}
        self.pending: int | None = None
        self.holding = 0

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for sig in self.SIGNALS:
                old = signal.getsignal(sig)
                if old is signal.SIG_IGN:
                    continue
                self.previous[sig] = old
                signal.signal(sig, self._handle)
        return self

    def _handle(self, signum, _frame):
        if self.pending is None:
            self.pending = signum
        if not self.holding:
            raise _Interrupted(signum)

    def hold(self):
        guard = self

        class _Hold:
            def __enter__(self):
                guard.holding += 1

            def __exit__(self, *exc):
                guard.holding -= 1
                if not guard.holding and guard.pending is not None and exc[0] is None:
                    raise _Interrupted(guard.pending)
                return False
        return _Hold()

    def __exit__(self, exc_type, exc, tb):
        for sig, old in self.previous.items():
            signal.signal(sig, old)
        if self.pending is not None:
            # cleaned up: now the signal's usual course (KeyboardInterrupt, or death by SIGTERM)
            signal.raise_signal(self.pending)
            if exc_type is _Interrupted:   # a caller's handler that returns: still an interruption
                raise KeyboardInterrupt from None
        return False


# ----------------------------------------------------------------------------- the write
_EXCLUSIVE = (os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
              | getattr(os, "O_BINARY", 0))


def create_exclusive(directory: str, prefix: str, suffix: str) -> tuple[int, str]:
    """A new file no one else can have opened (mode 0600, never through a symlink): its descriptor
    and absolute path.  What ``tempfile.mkstemp`` does, without importing tempfile at every start:
    it brings shutil, random and the compression modules (with secrets, ~5 ms of a 0.15 s scan)
    for a name that ``os.urandom`` gives as well."""
    for _ in range(100):
        name = os.path.abspath(os.path.join(directory, f"{prefix}{os.urandom(6).hex()}{suffix}"))
        try:
            return os.open(name, _EXCLUSIVE, 0o600), name
        except FileExistsError:
            continue   # 48 random bits taken: try another name
    raise FileExistsError(errno.EEXIST, "no unused file name", directory)


class Staged:
    """One output written in full (and synced) to a temporary file beside its target."""

    def __init__(self, path: str, blob, guard: _Guard):   # blob: bytes, or parts of them (_parts)
        self.path, self.real = path, os.path.realpath(path)
        self.tmp: str | None = None
        self.backup: str | None = None
        self.existed = os.path.exists(self.real)
        try:
            mode = stat.S_IMODE(os.stat(self.real).st_mode)   # an existing file keeps its mode
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask                              # a new one gets the umask's, as `>` would
        fd = None
        try:
            with guard.hold():   # a signal between creating the file and knowing its name would leak it
                fd, self.tmp = create_exclusive(os.path.dirname(self.real) or ".", PREFIX, ".tmp")
            with os.fdopen(fd, "wb") as fh:
                fd = None
                for part in _parts(blob):
                    fh.write(part)
                fh.flush()
                os.fsync(fh.fileno())   # on disk before it replaces anything: evidence survives a crash
            os.chmod(self.tmp, mode)
        except BaseException as e:
            if fd is not None:
                os.close(fd)
            self.discard()
            if isinstance(e, OSError):
                raise InputError(f"cannot write output: {e.strerror or e}", path) from e
            raise

    def replace(self) -> None:
        if self.existed:
            name = os.path.join(os.path.dirname(self.real), f"{PREFIX}{os.urandom(6).hex()}.bak")
            try:
                os.link(self.real, name)
                self.backup = name
            except OSError:
                self.backup = None   # no hard links here: this one cannot be put back
        os.replace(self.tmp, self.real)   # the rename replaces the entry: symlinks were resolved
        self.tmp = None

    def undo(self) -> None:
        try:
            if self.backup:
                os.replace(self.backup, self.real)
                self.backup = None
            elif not self.existed:
                os.unlink(self.real)
        except OSError:
            pass

    def discard(self) -> None:
        for name in (self.tmp, self.backup):
            if name:
                try:
                    os.unlink(name)
                except OSError:
                    pass
        self.tmp = self.backup = None


def _blob(data) -> bytes:
    if isinstance(data, str):
        return data.encode("utf-8")
    return data if isinstance(data, bytes) else b"".join(data)


def _parts(data):
    """An output's bytes in the parts they are written in: the whole, or (a results document whose
    findings are held, scanner/held.py) its parts one after another, never all in memory at once."""
    return (_blob(data),) if isinstance(data, (bytes, str)) else data


def write_all(rendered: list[tuple[dict, object]]) -> None:
    """Write every (output, data) pair: all replaced, or no file target changed (module doc)."""
    streams, files = [], []
    for o, data in rendered:
        path = o["path"]
        if path in (None, "-") or descriptor(path) is not None or is_special(os.path.realpath(path)):
            streams.append((o, data))
        else:
            files.append((o, data))
    with _Guard() as guard:
        staged: list[Staged] = []
        try:
            for o, data in files:
                staged.append(Staged(o["path"], data, guard))
            for o, data in streams:
                _write_stream(o["path"], data)
            with guard.hold():
                _replace_all(staged)
        except BaseException:
            for st in staged:
                st.discard()
            raise
        for st in staged:
            st.discard()   # the backups of the replaced files


def _replace_all(staged: list[Staged]) -> None:
    done: list[Staged] = []
    for st in staged:
        try:
            st.replace()
        except OSError as e:
            for d in reversed(done):
                d.undo()
            raise InputError(f"cannot write output: {e.strerror or e} (no output was changed)", st.path)
        done.append(st)


def _write_stream(path: str | None, data) -> None:
    try:
        if path in (None, "-"):
            _stdout(data)
            return
        fd = descriptor(path)
        if fd is not None:
            for part in _parts(data):
                view = memoryview(part)
                while view:
                    view = view[os.write(fd, view):]
        else:
            with open(os.path.realpath(path), "wb") as fh:   # a device or FIFO, written in place
                for part in _parts(data):
                    fh.write(part)
    except OSError as e:
        raise InputError(f"cannot write output: {e.strerror or e}", "standard output" if path in (None, "-") else path)


def _stdout(data) -> None:
    if sys.stdout is None:
        raise InputError("standard output is closed: give -o FILE")
    try:
        if isinstance(data, str):
            sys.stdout.write(data)
        else:
            for part in _parts(data):
                sys.stdout.buffer.write(part)
        sys.stdout.flush()
    except BrokenPipeError:
        # the reader stopped (`| head`): what it took is what it wanted, and the files and the
        # exit status are still due; later writes and the flush at exit go nowhere
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


# ----------------------------------------------------------------------------- keeping results
def keep_results(doc: dict, outputs: list[dict]) -> str | None:
    """After an output failed, the results JSON written somewhere safe, or None if nowhere could
    be written: beside the first file output that is a regular file, else the current folder,
    else the temporary folder.  A new file (never over another), readable by its owner only."""
    from .render import render
    try:
        blob = _blob(render(doc, "json"))
    except Exception:
        import json
        blob = json.dumps(doc, default=str).encode("utf-8")
    places = []
    for o in outputs:
        p = o.get("path")
        if p not in (None, "-") and descriptor(p) is None and not is_special(os.path.realpath(p)):
            places.append(os.path.dirname(os.path.realpath(p)) or ".")
    import tempfile   # only on this rescue path (see create_exclusive)
    places += [os.getcwd(), tempfile.gettempdir()]
    for place in dict.fromkeys(places):
        try:
            fd, name = create_exclusive(place, "specguard-results-", ".json")
        except OSError:
            continue
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(blob)
                fh.flush()
                os.fsync(fh.fileno())
            return name
        except OSError:
            try:
                os.unlink(name)
            except OSError:
                pass
    return None
