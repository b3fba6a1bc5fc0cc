import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
# A copy of ../shared/corpus lives in tests/corpus (and the catalogue in docs/CONTROLS.md) so that a
# checkout on its own runs every test; test_corpus_copy.py checks the copy against ../shared when
# that folder is beside the checkout.
CORPUS = ROOT / "tests" / "corpus"
FIXTURES = ROOT / "fixtures"

sys.path.insert(0, str(ROOT / "tests"))
# Verdicts measured from the date (SEC-02: a Key Vault secret expiring at most 90 days ahead) are taken
# as of one fixed time, inherited by every command the tests start, so the fixtures' literal expiry
# dates keep their verdicts whenever the suite runs.
os.environ.setdefault("SPECGUARD_EVALUATION_TIME", "2026-12-06T00:00:00Z")


def write_tree(root: pathlib.Path, files: dict) -> pathlib.Path:
    """Write a .tf tree: {relative path: text}, each text dedented."""
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text))
    return root


@pytest.fixture
def run_cli():
    """Run the installed `specguard` command as a user would; returns CompletedProcess."""

    def _run(*args, cwd=None, env=None, timeout=300):
        e = dict(os.environ)
        e.update(env or {})
        return subprocess.run([sys.executable, "-m", "scanner", *map(str, args)], capture_output=True,
                              text=True, cwd=cwd, env=e, timeout=timeout)

    return _run
