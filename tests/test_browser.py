"""The HTML report in a real headless Chromium: no request, no console error, no script from the data,
filters that work, and it opens fast at 100,000 findings."""
import os
import pathlib
import shutil

import pytest

import reportlib
from reportlib import XSS
from scanner.render import html

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed (Debian: apt-get install chromium; "
                                                          ".ci/run installs it)")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class Watched:
    """A page whose console errors, page errors, dialogs and requests are all recorded."""

    def __init__(self, browser, path):
        self.url = path.as_uri()
        self.errors, self.dialogs, self.requests = [], [], []
        self.page = browser.new_page(viewport={"width": 1300, "height": 1000})
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", self._dialog)
        self.page.route("**/*", self._route)

    def _dialog(self, d):
        self.dialogs.append(d.message)
        d.dismiss()

    def _route(self, route):
        url = route.request.url
        if url.split("#")[0] == self.url:
            route.continue_()
        else:
            self.requests.append(url)
            route.abort()

    def open(self):
        self.page.goto(self.url)
        self.page.wait_for_selector("body[data-ready]")
        return self.page

    def clean(self):
        assert self.errors == [] and self.dialogs == [] and self.requests == []


def write(tmp_path, doc, name="report.html", **opts):
    path = tmp_path / name
    path.write_text(html.render(doc, **opts), encoding="utf-8")
    return path


def visible_rows(page):
    return page.evaluate("""() => Array.from(document.querySelectorAll('details.ctl:not(.hidden)[open] tbody tr'))
        .map(tr => [tr.cells[0].textContent, tr.cells[1].querySelector('.addr').textContent])""")


def count_text(page):
    return page.locator("#f-count").inner_text()


def wait_count(page, text, timeout=5000):
    """Text filters apply after a short debounce; the page's CSP forbids eval, so no wait_for_function."""
    from playwright.sync_api import expect
    expect(page.locator("#f-count")).to_have_text(text, timeout=timeout)


def test_report_runs_nothing_requests_nothing_and_filters(browser, tmp_path):
    doc = reportlib.synthetic(2000, xss=True)
    s = doc["summary"]
    w = Watched(browser, write(tmp_path, doc))
    page = w.open()
    assert count_text(page) == f"{s['total']} of {s['total']} findings"

    # payloads are text: in the cover, the rows, the evidence; no element came from them
    assert page.evaluate("document.querySelectorAll('img, iframe, object, embed').length") == 0
    assert page.evaluate("Array.from(document.querySelectorAll('*')).some(e => e.hasAttribute('onerror'))") is False
    cells = page.evaluate("Array.from(document.querySelectorAll('.addr, dd, h1, .org')).map(e => e.textContent)")
    assert XSS[0] in cells and XSS[1] in cells
    assert any(XSS[0] in c for c in cells if c.startswith("module.app"))

    # status filter: fail only
    for st in ("unknown", "waived", "pass"):
        page.uncheck(f"input[name=status][value={st}]")
    assert count_text(page) == f"{s['fail']} of {s['total']} findings"
    rows = visible_rows(page)
    assert rows and {r[0] for r in rows} == {"fail"}

    # control filter: one group left
    page.select_option("#f-control", "TLS-02")
    groups = page.evaluate("Array.from(document.querySelectorAll('details.ctl:not(.hidden)')).map(d => d.id)")
    assert groups == ["ctl-TLS-02"]
    n_tls02_fail = sum(1 for f in doc["findings"] if f["control_id"] == "TLS-02" and f["status"] == "fail")
    assert count_text(page) == f"{n_tls02_fail} of {s['total']} findings"

    # resource filter, then search
    page.click("#f-reset")
    target = next(f for f in doc["findings"] if f["resource"]["source"] == "aws" and f["status"] == "fail")
    arn = target["resource"]["address"]
    page.fill("#f-resource", arn)
    wait_count(page, f"{sum(1 for f in doc['findings'] if arn in f['resource']['address'])} of {s['total']} findings")
    assert {r[1] for r in visible_rows(page)} == {f["resource"]["address"] for f in doc["findings"]
                                                  if arn in f["resource"]["address"]}
    page.fill("#f-resource", "")
    page.fill("#f-search", "onerror=alert")
    want = sum(1 for f in doc["findings"])   # every synthetic xss finding carries the payload in its evidence
    wait_count(page, f"{want} of {s['total']} findings")
    page.fill("#f-search", "ciso@example.com")      # the waiver's approver: waived findings only
    wait_count(page, f"{s['waived']} of {s['total']} findings")
    assert {r[0] for r in visible_rows(page)} == {"waived"}

    # the limitations section lists every unknown through the same filter
    page.click("#show-unknowns")
    assert count_text(page) == f"{s['unknown']} of {s['total']} findings"
    assert {r[0] for r in visible_rows(page)} == {"unknown"}

    # pages: "show more" adds rows to a long group
    page.click("#f-reset")
    page.evaluate("document.getElementById('ctl-ENC-02').open = true")
    before = page.locator("#ctl-ENC-02 tbody tr").count()
    total = sum(1 for f in doc["findings"] if f["control_id"] == "ENC-02")
    assert before == min(50, total)
    page.locator("#ctl-ENC-02 .more button").last.click()
    assert page.locator("#ctl-ENC-02 tbody tr").count() == total

    page.evaluate("document.getElementById('detail').scrollIntoView()")
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    w.clean()
    page.close()


def test_real_pipeline_report_with_payloads_in_names_and_tags(browser, tmp_path, run_cli):
    infra = tmp_path / "infra"
    infra.mkdir()
    (infra / "main.tf").write_text(
        'resource "aws_s3_bucket" "b" {\n  bucket = "x"\n  tags = {\n'
        '    Name  = "<script>alert(1)</script>"\n    Owner = "\\"><img src=x onerror=alert(1)>"\n  }\n}\n',
        encoding="utf-8")
    plan_doc = reportlib.scan_doc(tmp_path, reportlib.xss_plan())
    r = run_cli("scan", "infra", "--format", "json", "-o", "tf.json", "--format", "html", "-o", "tf.html",
                cwd=tmp_path)
    assert r.returncode in (0, 1), r.stderr
    import json
    from scanner.results import validate
    validate(json.loads((tmp_path / "tf.json").read_text()))
    for path in (write(tmp_path, plan_doc, "plan.html"), tmp_path / "tf.html"):
        w = Watched(browser, path)
        page = w.open()
        page.evaluate("document.querySelectorAll('details.ctl').forEach(d => d.open = true)")
        text = page.evaluate("document.querySelector('main').textContent")   # the data block is outside main
        assert page.evaluate("document.querySelectorAll('img').length") == 0
        if path.name == "plan.html":
            assert XSS[0] in text and XSS[1] in text      # for_each keys in addresses
        else:
            assert "Name" in text and XSS[0] in text       # tag values in TAG-01 evidence
        w.clean()
        page.close()


def test_print_layout_lists_every_finding_within_the_limit(browser, tmp_path):
    doc = reportlib.synthetic(1200)
    w = Watched(browser, write(tmp_path, doc, print_all=True))
    page = w.open()
    page.emulate_media(media="print")
    assert page.locator("details.ctl tbody tr").count() == len(doc["findings"])
    assert page.evaluate("getComputedStyle(document.getElementById('filters')).display") == "none"
    w.clean()
    page.close()


def test_100k_findings_open_in_under_3_seconds(browser, tmp_path):
    doc = reportlib.synthetic(100_000)
    w = Watched(browser, write(tmp_path, doc))
    page = w.open()
    rendered = page.evaluate("performance.getEntriesByName('specguard-rendered')[0].startTime")
    assert rendered < 3000, f"first render took {rendered:.0f} ms"
    assert count_text(page) == "100000 of 100000 findings"
    page.uncheck("input[name=status][value=pass]")
    page.fill("#f-search", "alias/aws/rds")
    want = doc["summary"]["fail"] + doc["summary"]["waived"]
    wait_count(page, f"{want} of 100000 findings")
    w.clean()
    page.close()


# ----------------------------------------------------------------------------- layout (auditor QA defects)
FIXTURE_PLAN = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "aws-platform" / "violating" / "plan.json"
LONG_NAME = ('versioning (from module.buckets["static-assets"].aws_s3_bucket_versioning.this.'
             'versioning_configuration.0.status = Suspended)')
WAIVERS = """waivers:
  - control: TLS-02
    resource: module.edge.aws_cloudfront_distribution.this
    reason: CDN migration; a long reason that goes on to check that the exceptions table wraps its cells
    approver: someone.with.a.long.address@example.com
    expires: 2099-06-30
  - control: BAK-03
    resource: module.buckets["static-assets"].aws_s3_bucket.this
    reason: rebuilt nightly
    approver: ciso@example.com
    expires: 2024-01-31
"""


@pytest.fixture(scope="module")
def fixture_doc(tmp_path_factory):
    """The violating AWS fixture scanned for real, with waivers, plus evidence with a long name, null and ""."""
    import json
    from scanner.cli import main
    tmp = tmp_path_factory.mktemp("fixture")
    (tmp / "waivers.yaml").write_text(WAIVERS, encoding="utf-8")
    out = tmp / "r.json"
    assert main(["scan", str(FIXTURE_PLAN), "--waivers", str(tmp / "waivers.yaml"), "--format", "json",
                 "-o", str(out)]) in (0, 1)
    doc = json.loads(out.read_text(encoding="utf-8"))
    f = next(f for f in doc["findings"] if f["control_id"] == "TLS-02")
    f["evidence"].update({LONG_NAME: "AppGwSslPolicy20220101", "min_tls_version": None, "policy_name": ""})
    return doc


def open_everything(page):
    page.evaluate("""() => { document.querySelectorAll('details.ctl').forEach(d => d.open = true);
        document.querySelectorAll('details.ctl .more button').forEach(b => {
          if (b.textContent.startsWith('Show all')) b.click(); }); }""")


EVIDENCE_LINES = """() => Array.from(document.querySelectorAll('dl.ev dt, dl.ev dd')).map(e => {
    const r = document.createRange(); r.selectNodeContents(e);
    const tops = new Set(Array.from(r.getClientRects()).map(x => Math.round(x.top)));
    return [e.tagName, e.textContent, tops.size, Math.round(e.getBoundingClientRect().width)]; })"""


@pytest.mark.parametrize("width,media", [(1400, "screen"), (1000, "screen"), (390, "screen"), (703, "print")])
def test_evidence_names_and_values_stay_readable(browser, tmp_path, fixture_doc, width, media):
    w = Watched(browser, write(tmp_path, fixture_doc))
    w.page.set_viewport_size({"width": width, "height": 900})
    w.page.emulate_media(media=media)
    page = w.open()
    open_everything(page)
    cells = page.evaluate(EVIDENCE_LINES)
    assert len(cells) > 200
    # a short value (or name) without spaces never breaks: no more "t r u e" down the cell
    broken = [c for c in cells if " " not in c[1] and len(c[1]) <= 24 and c[2] > 1]
    assert broken == []
    # a long name does not squeeze its value: the value stays on one line next to (or under) it
    value = next(c for c in cells if c[1] == "AppGwSslPolicy20220101")
    assert value[2] == 1 and value[3] >= 100
    texts = [c[1] for c in cells]
    assert LONG_NAME in texts and "not set" in texts and "(empty)" in texts
    w.clean()
    w.page.close()


NAME_LINES = """(name) => {
    const dt = Array.from(document.querySelectorAll('dl.ev dt')).find(e => e.textContent === name);
    dt.scrollIntoView();
    let last = null;
    const lines = new Map(), walker = document.createTreeWalker(dt, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      for (let i = 0; i < n.data.length; i++) {
        if (n.data[i] === ' ') { lines.set(last, lines.get(last) + ' '); continue; }   // a space ends its line
        const r = document.createRange(); r.setStart(n, i); r.setEnd(n, i + 1);
        const top = Math.round(r.getBoundingClientRect().top);
        lines.set(top, (lines.get(top) || '') + n.data[i]);
        last = top;
      }
    }
    const s = getComputedStyle(dt), cell = dt.closest('td').getBoundingClientRect();
    return {lines: Array.from(lines.keys()).sort((a, b) => a - b).map(k => lines.get(k)),
            weight: s.fontWeight, family: s.fontFamily, share: dt.getBoundingClientRect().width / cell.width}; }"""


@pytest.mark.parametrize("width,media", [(1400, "screen"), (1000, "screen"), (390, "screen"), (703, "print")])
def test_a_long_evidence_name_is_a_path_that_breaks_at_its_dots(browser, tmp_path, fixture_doc, width, media):
    """A Terraform path as an evidence name: monospace, not bold, on the cell's whole width, broken
    between its segments (after a dot or at a space), never inside a segment."""
    w = Watched(browser, write(tmp_path, fixture_doc))
    w.page.set_viewport_size({"width": width, "height": 900})
    w.page.emulate_media(media=media)
    page = w.open()
    open_everything(page)
    got = page.evaluate(NAME_LINES, LONG_NAME)
    assert "".join(got["lines"]) == LONG_NAME
    assert int(got["weight"]) < 600 and "monospace" in got["family"]
    assert got["share"] > 0.8                      # the whole cell, not half of it beside the value
    assert len(got["lines"]) > 1
    for line in got["lines"][:-1]:                 # was cut anywhere, "static-" at the end of a line
        assert line.endswith((".", " ")), got["lines"]
    w.clean()
    w.page.close()


def test_no_sideways_scroll_on_a_phone(browser, tmp_path, fixture_doc):
    w = Watched(browser, write(tmp_path, fixture_doc))
    w.page.set_viewport_size({"width": 390, "height": 844})
    page = w.open()
    open_everything(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.evaluate("document.querySelector('header.top').getBoundingClientRect().height") < 50
    # findings become one card each: the message has the screen's width, not 20 px
    widths = page.evaluate("Array.from(document.querySelectorAll('td.c-msg')).map(e => e.getBoundingClientRect().width)")
    assert widths and min(widths) > 300
    # wide tables scroll inside their own box
    assert page.evaluate("getComputedStyle(document.querySelector('table.matrix').parentElement).overflowX") == "auto"
    w.clean()
    w.page.close()


@pytest.mark.parametrize("width", [1400, 900, 390])
def test_matrix_links_land_below_the_sticky_bars(browser, tmp_path, fixture_doc, width):
    w = Watched(browser, write(tmp_path, fixture_doc))
    w.page.set_viewport_size({"width": width, "height": 800})
    page = w.open()
    for cid in ("ENC-05", "TLS-02", "BAK-02"):
        page.evaluate("window.scrollTo(0, document.getElementById('matrix').offsetTop)")
        page.click(f'a[href="#ctl-{cid}"]')
        page.wait_for_timeout(100)
        top, header, bar_bottom, sticky = page.evaluate(f"""() => {{
            const f = document.getElementById('filters');
            return [document.querySelector('#ctl-{cid} > summary').getBoundingClientRect().top,
                    document.querySelector('header.top').getBoundingClientRect().bottom,
                    f.getBoundingClientRect().bottom, getComputedStyle(f).position === 'sticky']; }}""")
        assert top >= header, (cid, top, header)
        if sticky:
            assert top >= bar_bottom, (cid, top, bar_bottom)
            assert page.evaluate("document.getElementById('filters').getBoundingClientRect().top") >= header - 1
        assert top < 400
    w.clean()
    w.page.close()


def test_search_covers_control_criterion_severity_status_and_every_word(browser, tmp_path):
    doc = reportlib.synthetic(2000)
    total = len(doc["findings"])
    meta = {c[0]: c for c in reportlib.CONTROLS}
    w = Watched(browser, write(tmp_path, doc))
    page = w.open()

    def n(pred):
        return sum(1 for f in doc["findings"] if pred(f))

    page.fill("#f-search", "BAK-03")
    wait_count(page, f"{n(lambda f: f['control_id'] == 'BAK-03')} of {total} findings")
    assert {r[0] for r in visible_rows(page)} >= {"fail", "pass"}
    page.fill("#f-search", "CC7.5 unknown")                       # criterion AND status
    wait_count(page, f"{n(lambda f: 'CC7.5' in meta[f['control_id']][3] and f['status'] == 'unknown')} of {total} findings")
    page.fill("#f-search", "medium-high   unknown")               # severity AND status, any spacing
    wait_count(page, f"{n(lambda f: meta[f['control_id']][2] == 'medium-high' and f['status'] == 'unknown')} "
                     f"of {total} findings")
    page.fill("#f-search", '"known only after" ENC-01')           # a quoted phrase and a word
    wait_count(page, f"{n(lambda f: f['control_id'] == 'ENC-01' and f['status'] == 'unknown')} of {total} findings")
    w.clean()
    page.close()


def test_filters_show_what_they_match_and_say_what_they_hide(browser, tmp_path, fixture_doc):
    total = len(fixture_doc["findings"])
    waived = [f for f in fixture_doc["findings"] if f["status"] == "waived"]
    assert [f["control_id"] for f in waived] == ["TLS-02"]
    w = Watched(browser, write(tmp_path, fixture_doc))
    page = w.open()
    assert page.locator("#f-note").is_hidden()
    assert page.evaluate("document.getElementById('ctl-TLS-02').open") is False   # pass and waived only
    for st in ("fail", "unknown", "pass"):
        page.uncheck(f"input[name=status][value={st}]")
    # the filter opens the collapsed group its match is in: no click needed to see it
    assert count_text(page) == f"1 of {total} findings"
    assert visible_rows(page) == [["waived", waived[0]["resource"]["address"]]]
    note = page.locator("#f-note").inner_text()
    assert "Filtered view" in note and "status = waived" in note and f"1 of {total} findings shown" in note
    # printed, the filter is said on the cover too
    page.emulate_media(media="print")
    assert page.locator("#f-note-cover").is_visible()
    assert "status = waived" in page.locator("#f-note-cover").inner_text()
    page.emulate_media(media="screen")
    # a matrix link to a control the filter hides shows its group and says why it is empty
    page.click('a[href="#ctl-BAK-02"]')
    grp = page.locator("#ctl-BAK-02")
    assert grp.is_visible() and "matches the filter" in grp.locator(".rows").inner_text()
    grp.locator(".rows button").click()
    assert count_text(page) == f"{total} of {total} findings"
    assert page.locator("#f-note").is_hidden() and page.locator("#f-note-cover").is_hidden()
    assert page.evaluate("document.getElementById('ctl-TLS-02').open") is False   # back as it was
    w.clean()
    page.close()


def test_printed_pages_fit_a4_without_shrinking(browser, tmp_path, fixture_doc):
    """Chromium shrinks every printed page when one element is wider than the page: A4 less the
    margins is 703 CSS px, so nothing may be wider."""
    w = Watched(browser, write(tmp_path, fixture_doc, print_all=True))
    w.page.set_viewport_size({"width": 703, "height": 1000})
    w.page.emulate_media(media="print")
    page = w.open()
    assert page.evaluate("document.documentElement.scrollWidth") <= 703
    wide = page.evaluate("""Array.from(document.querySelectorAll('main table'))
        .filter(t => t.getBoundingClientRect().right > 704).map(t => t.className)""")
    assert wide == []
    assert page.evaluate("getComputedStyle(document.querySelector('details.ctl > summary')).breakAfter") == "avoid"
    assert page.evaluate("getComputedStyle(document.querySelector('details.ctl[open]')).contentVisibility") == "visible"
    w.clean()
    w.page.close()
