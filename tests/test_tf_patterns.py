"""Small .tf patterns (our own writing) that reproduce the wrong verdicts found on public modules (issue 12).

Each directory of tests/tf_patterns holds a main.tf (and any module it calls) -- or a plan.json, a
`terraform show -json` document, for the plan adapter -- and an expected.yaml:

    <resource address>:
      <control id>: pass | fail | unknown | waived | none     # none: no finding at all

The directory is scanned as a user would (`specguard scan DIR --format json`, one process).  Every
listed verdict must be what specguard says, and every pass specguard reports must be listed: a pass
nobody wrote down is not accepted.  A pattern specguard still gets wrong is in XFAIL with the issue
class; the mark is strict, so a fix that makes it hold fails until the entry is removed.
"""
from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import pytest
import yaml

PATTERNS = pathlib.Path(__file__).resolve().parent / "tf_patterns"

# pattern directory -> why it is still wrong (issue 12 class N: what); none at present
XFAIL: dict[str, str] = {}


def _patterns():
    for d in sorted(p for p in PATTERNS.iterdir() if (p / "expected.yaml").exists()):
        marks = [pytest.mark.xfail(strict=True, reason=XFAIL[d.name])] if d.name in XFAIL else []
        yield pytest.param(d, id=d.name, marks=marks)


def scan(directory: pathlib.Path, tmp_path: pathlib.Path) -> dict:
    out = tmp_path / "results.json"
    target = directory / "plan.json" if (directory / "plan.json").exists() else directory
    r = subprocess.run([sys.executable, "-m", "scanner", "scan", str(target), "--quiet", "--format", "json",
                        "-o", str(out)], capture_output=True, text=True, timeout=120,
                       cwd=str(tmp_path))  # not the checkout: `python -m` puts the cwd first on sys.path
    assert r.returncode in (0, 1), f"exit {r.returncode}: {r.stderr.strip()[-400:]}"
    return json.loads(out.read_text())


def test_every_pattern_has_expectations():
    dirs = [p for p in PATTERNS.iterdir() if p.is_dir()]
    assert len(dirs) >= 20
    for d in dirs:
        assert ((d / "main.tf").exists() or (d / "plan.json").exists()) and (d / "expected.yaml").exists(), d
        expected = yaml.safe_load((d / "expected.yaml").read_text())
        assert expected and all(isinstance(c, dict) and c for c in expected.values()), d
    assert set(XFAIL) <= {d.name for d in dirs}, "an XFAIL entry names no pattern"


@pytest.mark.parametrize("pattern", list(_patterns()))
def test_pattern(pattern, tmp_path):
    expected = yaml.safe_load((pattern / "expected.yaml").read_text())
    doc = scan(pattern, tmp_path)
    got: dict[tuple[str, str], str] = {}
    for f in doc["findings"]:
        got[(f["resource"]["address"], f["control_id"])] = f["status"]
    wrong = []
    for address, controls in expected.items():
        for control, status in controls.items():
            actual = got.get((address, control), "none")
            if actual != status:
                wrong.append(f"{address} {control}: expected {status}, specguard says {actual}")
    listed = {(a, c) for a, cs in expected.items() for c in cs}
    for (address, control), status in sorted(got.items()):
        if status == "pass" and (address, control) not in listed:
            wrong.append(f"{address} {control}: an unlisted pass")
    assert not wrong, "\n".join(wrong)
