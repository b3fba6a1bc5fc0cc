"""--format pdf: printed by headless Chromium when there is one; a plain how-to when not."""
import json
import re

import pytest

import reportlib
from scanner.errors import ScanError
from scanner.render import pdf

HAVE_CHROMIUM = pdf.find_browser() is not None


@pytest.mark.skipif(not HAVE_CHROMIUM, reason="no Chromium installed (Debian: apt-get install chromium)")
def test_pdf_is_printed_through_chromium(tmp_path, run_cli):
    saved = tmp_path / "r.json"
    saved.write_text(json.dumps(reportlib.synthetic(200, xss=True)), encoding="utf-8")
    r = run_cli("report", saved, "--format", "pdf", "-o", tmp_path / "r.pdf")
    assert r.returncode == 0, r.stderr
    data = (tmp_path / "r.pdf").read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    pages = len(re.findall(rb"/Type\s*/Page(?![A-Za-z])", data))
    assert pages >= 7          # each of the seven sections starts a page; the findings take several


def test_without_chromium_the_error_says_how_to_get_one(tmp_path, run_cli, monkeypatch):
    monkeypatch.setenv("SPECGUARD_CHROMIUM", str(tmp_path / "no-such-browser"))
    with pytest.raises(ScanError) as e:
        pdf.render(reportlib.synthetic(5))
    assert "apt-get install chromium" in e.value.message and "SPECGUARD_CHROMIUM" in e.value.message

    saved = tmp_path / "r.json"
    saved.write_text(json.dumps(reportlib.synthetic(5)), encoding="utf-8")
    r = run_cli("report", saved, "--format", "pdf", "-o", tmp_path / "r.pdf", "--format", "html",
                "-o", tmp_path / "r.html", env={"SPECGUARD_CHROMIUM": str(tmp_path / "none"), "PATH": "/nonexistent"})
    assert r.returncode == 3
    assert "install" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "r.pdf").exists() and not (tmp_path / "r.html").exists()   # nothing half-written


def test_report_refuses_results_of_a_newer_schema(tmp_path, run_cli):
    doc = reportlib.synthetic(5)
    doc["schema_version"] = "2"
    saved = tmp_path / "r.json"
    saved.write_text(json.dumps(doc), encoding="utf-8")
    r = run_cli("report", saved, "--format", "html", "-o", tmp_path / "r.html")
    assert r.returncode == 2
    assert "newer" in r.stderr and "upgrade specguard" in r.stderr
    assert not (tmp_path / "r.html").exists()
