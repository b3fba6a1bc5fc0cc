"""tests/corpus is a byte-for-byte copy of ../shared/corpus, and docs/CONTROLS.md of the catalogue.

The copy makes a checkout self-sufficient; this test catches drift when the shared folder is
beside the checkout (it is not on every CI machine, hence the skip).
"""
import pytest

from conftest import CORPUS, ROOT, SHARED


def _files(root):
    return {p.relative_to(root).as_posix(): p for p in root.rglob("*") if p.is_file()}


@pytest.mark.skipif(not (SHARED / "corpus").is_dir(), reason="../shared is not beside this checkout")
def test_corpus_copy_equals_the_shared_corpus():
    shared = _files(SHARED / "corpus")
    ours = _files(CORPUS)
    assert sorted(ours) == sorted(shared)
    assert [k for k in shared if shared[k].read_bytes() != ours[k].read_bytes()] == []
    assert (ROOT / "docs" / "CONTROLS.md").read_bytes() == (SHARED / "spec" / "CONTROLS.md").read_bytes()
