"""Checkov in a virtual environment of its own, created once and reused between runs.

Checkov pins an old boto3 and ships its own fork of the ``hcl2`` module, so it
never shares specguard's environment.  specguard itself is installed into it
with ``--no-deps`` (editable, this checkout) so exported checks can import
specguard's rules.  Tests skip, with the reason, only when the package
registry cannot be reached; any other failure is an error.

    from checkov_env import checkov_venv
    venv = checkov_venv()          # pathlib.Path of the venv (pytest.skip if no registry)
    venv / "bin" / "checkov"
"""
from __future__ import annotations

import fcntl
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
VENV = pathlib.Path(os.environ.get("SPECGUARD_CHECKOV_VENV",
                                   pathlib.Path.home() / ".cache" / "specguard" / "checkov-venv"))
NETWORK_SIGNS = ("Could not find a version", "No matching distribution", "NewConnectionError",
                 "Failed to establish a new connection", "Temporary failure in name resolution",
                 "Network is unreachable", "ConnectTimeout", "ReadTimeout", "Max retries exceeded")


class RegistryUnreachable(RuntimeError):
    pass


def _run(cmd: list[str], timeout: int = 1200) -> subprocess.CompletedProcess:
    # cwd outside the checkout: `python -c` puts the cwd on sys.path, which would hide a missing install
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=str(VENV.parent))


def _ready(venv: pathlib.Path) -> bool:
    py = venv / "bin" / "python"
    if not (venv / "bin" / "checkov").exists() or not py.exists():
        return False
    # specguard must resolve to THIS checkout (editable install), with the core importable.
    r = _run([str(py), "-c", "import scanner, scanner.checkov.runtime; print(scanner.__file__)"], timeout=120)
    return r.returncode == 0 and r.stdout.strip().startswith(str(ROOT))


def ensure(venv: pathlib.Path = VENV) -> pathlib.Path:
    """Create or repair the venv; RegistryUnreachable when pip cannot reach the registry."""
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.parent / ".checkov-venv.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)   # two test runs must not build it at once
        if _ready(venv):
            return venv
        if not (venv / "bin" / "python").exists():
            r = _run([sys.executable, "-m", "venv", str(venv)])
            if r.returncode:
                raise RuntimeError(f"python -m venv failed: {r.stderr.strip()}")
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        if not (venv / "bin" / "checkov").exists():
            _pip(pip + ["checkov"])
        _pip(pip + ["--no-deps", "-e", str(ROOT)])
        if not _ready(venv):
            raise RuntimeError(f"{venv}: Checkov installed but specguard is not importable from it")
        return venv


def _pip(cmd: list[str]) -> None:
    r = _run(cmd)
    if r.returncode:
        out = r.stdout + r.stderr
        if any(s in out for s in NETWORK_SIGNS):
            raise RegistryUnreachable(out.strip().splitlines()[-1])
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out}")


def opted_in() -> bool:
    """Building the venv downloads about 300 MB: only when asked (SPECGUARD_TEST_CHECKOV=1; CI sets it)."""
    return os.environ.get("SPECGUARD_TEST_CHECKOV", "").lower() in ("1", "true", "yes")


def checkov_venv() -> pathlib.Path:
    """The venv for tests: an existing one is used; a missing one is built only when opted in.
    pytest.skip (reason shown) when not opted in, or when the registry is unreachable."""
    import pytest
    if not opted_in() and not _ready(VENV):
        pytest.skip(f"Checkov is not installed in {VENV}: set SPECGUARD_TEST_CHECKOV=1 to install it "
                    f"(about 300 MB, in its own virtual environment) and run these tests")
    try:
        return ensure()
    except RegistryUnreachable as e:
        pytest.skip(f"Checkov could not be installed: the package registry is unreachable ({e})")


def run_checkov(venv: pathlib.Path, *args: str, env: dict | None = None, timeout: int = 600):
    e = dict(os.environ)
    e.pop("PYTHONPATH", None)
    e.update({"BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false", "LOG_LEVEL": "WARNING"})
    e.update(env or {})
    return subprocess.run([str(venv / "bin" / "checkov"), *args], capture_output=True, text=True,
                          env=e, timeout=timeout)


if __name__ == "__main__":
    print(ensure())
