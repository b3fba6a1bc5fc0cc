"""A copy of this checkout as a CI system has it: the files git knows (tracked, or new and not ignored), without
build/, *.egg-info or venvs.  `pip install CHECKOUT` builds in place, and setuptools' build/lib keeps modules
that were since removed or moved, so an install from a developer's working tree can hold stale code that a
fresh clone (GitHub's action checkout, GitLab's SPECGUARD_PIP) never has."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def clean_copy(dest: Path) -> Path:
    names = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True,
                           check=True, timeout=60).stdout.decode().split("\0")
    for name in filter(None, names):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest
