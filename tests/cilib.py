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


def vendored_schema(name: str) -> dict:
    """A CI system's published JSON Schema as check-jsonschema ships it (SchemaStore's github-actions,
    gitlab-ci, ...; a test dependency in pyproject.toml), never copied into this repository."""
    import json
    from importlib import resources
    return json.loads(resources.files("check_jsonschema.builtin_schemas.vendor").joinpath(f"{name}.json")
                      .read_text("utf-8"))


def schema_errors(schema: dict, instance) -> list[str]:
    import jsonschema
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(instance)]
