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


# ----------------------------------------------------------------------------- printed pages
def pdf_pages(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![A-Za-z])", data))


def pdftotext_pages(path):
    import shutil
    import subprocess
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return out.split("\f")[:-1]


@pytest.mark.skipif(not HAVE_CHROMIUM, reason="no Chromium installed (Debian: apt-get install chromium)")
def test_every_page_is_a4_and_says_run_hash_and_page_number(tmp_path, run_cli):
    from scanner.render import html
    doc = reportlib.synthetic(300)
    saved = tmp_path / "r.json"
    saved.write_text(json.dumps(doc), encoding="utf-8")
    r = run_cli("report", saved, "--format", "pdf", "-o", tmp_path / "r.pdf")
    assert r.returncode == 0, r.stderr
    data = (tmp_path / "r.pdf").read_bytes()
    n = pdf_pages(data)
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
    assert boxes and all(abs(float(w) - 595) < 1.5 and abs(float(h) - 842) < 1.5 for w, h in boxes)   # A4
    pages = pdftotext_pages(tmp_path / "r.pdf")
    assert len(pages) == n
    digest = html.document_sha256(doc)
    for i, text in enumerate(pages, 1):
        flat = " ".join(text.split())
        assert f"page {i} of {n}" in flat, i
        assert doc["run"]["id"] in flat and digest[:32] in flat.replace(" ", ""), i
        assert not re.search(r"Showing \d+ of \d+", flat), i     # the screen's paging is not printed
    # no page ends on a control's heading whose table starts on the next page
    for i, text in enumerate(pages[:-1], 1):
        body = [ln for ln in text.splitlines() if ln.strip() and "specguard" not in ln and "page " not in ln]
        assert not re.search(r"\d+ findings?: \d+ pass", body[-1] if body else ""), (i, body[-2:])


def test_footer_is_escaped():
    doc = reportlib.synthetic(5, xss=True)
    doc["run"]["id"] = reportlib.XSS[0]
    foot = pdf.footer_template(doc)
    assert "<script>" not in foot and "&lt;script&gt;" in foot
    assert 'class="pageNumber"' in foot and 'class="totalPages"' in foot


@pytest.mark.skipif(not HAVE_CHROMIUM, reason="no Chromium installed (Debian: apt-get install chromium)")
def test_without_devtools_the_pdf_is_still_printed(tmp_path, monkeypatch):
    def broken(*_a, **_k):
        raise pdf._Protocol("no pipe")
    monkeypatch.setattr(pdf, "_print_devtools", broken)
    data = pdf.render(reportlib.synthetic(40))
    assert data.startswith(b"%PDF-") and pdf_pages(data) >= 7
