"""PDF: the HTML report printed by headless Chromium (or Google Chrome).

The HTML is rendered with ``print_all`` so its script lays out the findings
(non-passing first) before Chromium prints; print CSS does the rest.  Without a
browser the run stops with a message that says how to get one.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

from ..errors import ScanError

FORMAT = "pdf"
BINARY = True

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
HOW_TO_INSTALL = ("--format pdf prints the HTML report with headless Chromium, and none was found: install it "
                  "(Debian/Ubuntu: apt-get install chromium; Fedora: dnf install chromium; macOS: brew install "
                  "--cask chromium) or set SPECGUARD_CHROMIUM to a Chromium or Chrome executable; or write "
                  "--format html and print it from a browser")


def find_browser() -> str | None:
    env = os.environ.get("SPECGUARD_CHROMIUM")
    if env:
        return env if os.path.isfile(env) and os.access(env, os.X_OK) else None
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def render(doc: dict, timeout: int = 300, **_options) -> bytes:
    from . import html

    browser = find_browser()
    if not browser:
        raise ScanError(HOW_TO_INSTALL)
    with tempfile.TemporaryDirectory(prefix="specguard-pdf-") as tmp:
        page = os.path.join(tmp, "report.html")
        out = os.path.join(tmp, "report.pdf")
        with open(page, "w", encoding="utf-8") as fh:
            fh.write(html.render(doc, print_all=True))
        cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--no-first-run", "--no-default-browser-check", f"--user-data-dir={os.path.join(tmp, 'profile')}",
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
