"""PDF: the HTML report printed by headless Chromium (or Google Chrome).

The HTML is rendered with ``print_all`` so its script lays out the findings
(non-passing first) before Chromium prints; print CSS does the rest.

Chromium is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``:
no port, no network, nothing but the standard library) so that ``Page.printToPDF``
can put a footer on every page: the run id, the results document's SHA-256 and
"page N of M".  Should the protocol fail, the page is printed with the plain
``--print-to-pdf`` switch instead, without that footer.  Without a browser the run
stops with a message that says how to get one.
"""
from __future__ import annotations

import base64
import html as _html
import json
import os
import select
import shutil
import subprocess
import tempfile
import time

from ..errors import ScanError

FORMAT = "pdf"
BINARY = True

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
HOW_TO_INSTALL = ("--format pdf prints the HTML report with headless Chromium, and none was found: install it "
                  "(Debian/Ubuntu: apt-get install chromium; Fedora: dnf install chromium; macOS: brew install "
                  "--cask chromium) or set SPECGUARD_CHROMIUM to a Chromium or Chrome executable; or write "
                  "--format html and print it from a browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", "--no-default-browser-check"]


def find_browser() -> str | None:
    env = os.environ.get("SPECGUARD_CHROMIUM")
    if env:
        return env if os.path.isfile(env) and os.access(env, os.X_OK) else None
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def footer_template(doc: dict) -> str:
    """The footer Chromium prints on every page.  Run id and hash come from the results: escaped."""
    from .html import document_sha256

    run_id = str((doc.get("run") or {}).get("id") or "not recorded")
    version = str((doc.get("tool") or {}).get("version") or "")
    text = (f"specguard {version} · run {run_id} · results SHA-256 {document_sha256(doc)}")
    return ('<div style="font:8px/1.25 system-ui,sans-serif;color:#444;width:100%;box-sizing:border-box;'
            'padding:0 12mm;'
            'display:flex;justify-content:space-between;gap:12px">'
            f'<span style="overflow-wrap:anywhere">{_html.escape(text)}</span>'
            '<span style="white-space:nowrap">page <span class="pageNumber"></span> of '
            '<span class="totalPages"></span></span></div>')


def render(doc: dict, timeout: int = 300, results_kept: bool = True, **_options) -> bytes:
    from . import html

    browser = find_browser()
    if not browser:
        raise ScanError(HOW_TO_INSTALL)
    with tempfile.TemporaryDirectory(prefix="specguard-pdf-") as tmp:
        page = os.path.join(tmp, "report.html")
        with open(page, "w", encoding="utf-8") as fh:
            fh.write(html.render(doc, print_all=True, results_kept=results_kept))
        try:
            return _print_devtools(browser, page, tmp, timeout, footer_template(doc))
        except _Protocol:
            return _print_cli(browser, page, tmp, timeout)


# ----------------------------------------------------------------------------- plain --print-to-pdf
def _print_cli(browser: str, page: str, tmp: str, timeout: int) -> bytes:
    out = os.path.join(tmp, "report.pdf")
    cmd = [browser, *FLAGS, f"--user-data-dir={os.path.join(tmp, 'profile-cli')}",
           "--no-pdf-header-footer", f"--print-to-pdf={out}", "file://" + page]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise ScanError(f"Chromium ({browser}) did not finish printing the PDF within {timeout} s")
    except OSError as e:
        raise ScanError(f"could not start Chromium ({browser}): {e.strerror or e}; {HOW_TO_INSTALL}")
    if not os.path.exists(out) or os.path.getsize(out) == 0:
        last = (proc.stderr or "").strip().splitlines()[-1:] or ["no message"]
        raise ScanError(f"Chromium ({browser}) did not write the PDF (exit {proc.returncode}: {last[0]})")
    with open(out, "rb") as fh:
        return fh.read()


# ----------------------------------------------------------------------------- DevTools over a pipe
class _Protocol(Exception):
    """The DevTools conversation failed (not a timeout): print the plain way instead."""


class _Pipe:
    """Chromium's --remote-debugging-pipe: it reads commands on fd 3 and writes replies on fd 4,
    each a JSON text ended by a NUL byte."""

    def __init__(self, browser: str, tmp: str, deadline: float):
        import fcntl

        self.deadline = deadline
        to_child_r, self.w = os.pipe()
        self.r, from_child_w = os.pipe()

        def fds():   # in the child: its ends of the pipes become fds 3 and 4 (dup2 makes them inheritable)
            a = fcntl.fcntl(to_child_r, fcntl.F_DUPFD_CLOEXEC, 10)
            b = fcntl.fcntl(from_child_w, fcntl.F_DUPFD_CLOEXEC, 10)
            os.dup2(a, 3)
            os.dup2(b, 4)

        cmd = [browser, *FLAGS, "--remote-debugging-pipe", f"--user-data-dir={os.path.join(tmp, 'profile')}",
               "about:blank"]
        try:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL, preexec_fn=fds,
                                         # Python opens every fd close-on-exec: only 3 and 4 reach Chromium
                                         close_fds=False)
        except OSError as e:
            raise ScanError(f"could not start Chromium ({browser}): {e.strerror or e}; {HOW_TO_INSTALL}")
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        self.buf, self.next_id, self.events = b"", 0, []

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        data = json.dumps(msg).encode() + b"\0"
        try:
            while data:
                data = data[os.write(self.w, data):]
        except OSError as e:
            raise _Protocol(f"{method}: {e}")
        while True:
            m = self._read()
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise _Protocol(f"{method}: {m['error'].get('message')}")
                return m.get("result", {})
            if "method" in m:
                self.events.append(m)

    def wait_event(self, method: str, session: str) -> dict:
        while True:
            for k, m in enumerate(self.events):
                if m.get("method") == method and m.get("sessionId") == session:
                    return self.events.pop(k)
            self.events.append(self._read())

    def _read(self) -> dict:
        while b"\0" not in self.buf:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            ready, _, _ = select.select([self.r], [], [], min(left, 1.0))
            if not ready:
                if self.proc.poll() is not None:
                    raise _Protocol(f"Chromium exited ({self.proc.returncode})")
                continue
            chunk = os.read(self.r, 1 << 20)
            if not chunk:
                raise _Protocol("Chromium closed the DevTools pipe")
            self.buf += chunk
        raw, _, self.buf = self.buf.partition(b"\0")
        try:
            return json.loads(raw)
        except ValueError as e:
            raise _Protocol(f"unreadable DevTools message: {e}")

    def close(self) -> None:
        try:
            if self.proc.poll() is None:
                try:
                    self.send("Browser.close")
                except (Exception, TimeoutError):
                    pass
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        finally:
            for fd in (self.r, self.w):
                try:
                    os.close(fd)
                except OSError:
                    pass


def _print_devtools(browser: str, page: str, tmp: str, timeout: int, footer: str) -> bytes:
    pipe = _Pipe(browser, tmp, time.monotonic() + timeout)
    try:
        target = pipe.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = pipe.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        pipe.send("Page.enable", session=session)
        pipe.send("Page.navigate", {"url": "file://" + page}, session=session)
        pipe.wait_event("Page.loadEventFired", session)
        # the page's script lays out every finding to print, then marks the body
        while True:
            got = pipe.send("Runtime.evaluate", {"expression": "document.body && document.body.getAttribute"
                                                               "('data-ready')", "returnByValue": True},
                            session=session)
            if (got.get("result") or {}).get("value") == "1":
                break
            time.sleep(0.05)
            if time.monotonic() > pipe.deadline:
                raise TimeoutError
        result = pipe.send("Page.printToPDF", {
            "printBackground": True, "preferCSSPageSize": True, "displayHeaderFooter": True,
            "headerTemplate": "<span></span>", "footerTemplate": footer, "transferMode": "ReturnAsStream",
        }, session=session)
        chunks = []
        if result.get("stream"):
            while True:
                part = pipe.send("IO.read", {"handle": result["stream"], "size": 1 << 20}, session=session)
                data = part.get("data", "")
                chunks.append(base64.b64decode(data) if part.get("base64Encoded") else data.encode("latin-1"))
                if part.get("eof"):
                    break
            pipe.send("IO.close", {"handle": result["stream"]}, session=session)
        else:
            chunks.append(base64.b64decode(result.get("data", "")))
        pdf = b"".join(chunks)
        if not pdf.startswith(b"%PDF"):
            raise _Protocol("Page.printToPDF gave no PDF")
        return pdf
    except TimeoutError:
        raise ScanError(f"Chromium ({browser}) did not finish printing the PDF within {timeout} s")
    finally:
        pipe.close()
