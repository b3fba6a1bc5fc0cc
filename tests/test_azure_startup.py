"""`specguard audit azure` without usable credentials (issue 14, point 11): one line saying what was
tried and what to do; a configured credential the authority refuses is named as refused.

The real command in a clean environment (no Azure variables, no Azure CLI on PATH, no token cache),
and the HTTPS emulator's identity endpoint for a service principal with a wrong secret.
"""
from __future__ import annotations

import os
import subprocess
import sys

import azure_emulator as ae


def _clean_env(tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AZURE_", "IDENTITY_", "MSI_", "AWS_")) and k not in ("HOME", "PATH")}
    env.update({"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "AZURE_CONFIG_DIR": str(tmp_path / "az")})
    return env


def _audit(env, tmp_path, *extra):
    return subprocess.run([sys.executable, "-m", "scanner", "audit", "azure", "--format", "json",
                           "-o", str(tmp_path / "out.json"), *extra],
                          env=env, capture_output=True, text=True, timeout=60)


def test_no_credentials_says_what_was_tried_and_what_to_do(tmp_path):
    r = _audit(_clean_env(tmp_path), tmp_path)
    assert r.returncode == 3, r.stderr
    assert r.stderr.count("\n") == 1, r.stderr
    line = r.stderr
    assert line.startswith("specguard: error: no Azure credentials found (tried: environment variables, "
                           "workload identity, managed identity, "), line
    assert "Azure CLI not found on path" in line     # the reason that tells a person what is missing
    assert line.rstrip("\n").endswith(
        "sign in with `az login`, or set AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET "
        "(a service principal), or run where a managed identity is assigned"), line
    assert "aka.ms" not in line and "Traceback" not in line
    assert not (tmp_path / "out.json").exists()


def test_a_refused_secret_is_named_as_refused_not_as_missing(tmp_path):
    emu = ae.ArmEmulator().start(tmp_path)
    try:
        env = dict(_clean_env(tmp_path), **emu.env())
        env["AZURE_CLIENT_SECRET"] = "not-the-secret-" + "x" * 20
        r = _audit(env, tmp_path, "--arm-endpoint", emu.base_url)
    finally:
        emu.stop()
    assert r.returncode == 3, r.stderr
    assert r.stderr.count("\n") == 1, r.stderr
    assert r.stderr.startswith(f"specguard: error: the Azure credentials from environment variables were refused "
                               f"by {emu.base_url} (scope {emu.base_url}/.default): "), r.stderr
    assert "AADSTS7000215" in r.stderr
    assert "not-the-secret-" not in r.stderr
    assert not (tmp_path / "out.json").exists()


def test_an_authority_that_cannot_be_reached_is_not_called_a_refusal(tmp_path):
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(_clean_env(tmp_path), AZURE_TENANT_ID=ae.TENANT, AZURE_CLIENT_ID=ae.CLIENT_ID,
               AZURE_CLIENT_SECRET=ae.CLIENT_SECRET, AZURE_AUTHORITY_HOST=f"https://127.0.0.1:{port}")
    r = _audit(env, tmp_path, "--arm-endpoint", f"https://127.0.0.1:{port}")
    assert r.returncode == 3, r.stderr
    assert r.stderr.startswith(f"specguard: error: could not reach the Azure authority https://127.0.0.1:{port} "
                               "to sign in with environment variables: "), r.stderr
    assert "the credentials were not checked" in r.stderr and "refused by" not in r.stderr
    assert r.stderr.count("\n") == 1 and ae.CLIENT_SECRET not in r.stderr


def test_a_resource_manager_that_cannot_be_reached_is_named(tmp_path):
    """The token comes from the emulator; Resource Manager is a port nothing listens on."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    emu = ae.ArmEmulator().start(tmp_path)
    try:
        env = dict(_clean_env(tmp_path), **emu.env())
        r = _audit(env, tmp_path, "--arm-endpoint", f"https://127.0.0.1:{port}", "--max-retries", "0",
                   "--credential-scope", f"{emu.base_url}/.default")
    finally:
        emu.stop()
    assert r.returncode == 3, r.stderr
    assert r.stderr.startswith(f"specguard: error: could not reach Azure Resource Manager at https://127.0.0.1:{port} "
                               "(connection error"), r.stderr
    assert r.stderr.count("\n") == 1


def test_a_terminal_is_told_what_is_happening(tmp_path):
    """stderr on a pseudo-terminal: the status line says where the sign-in goes before it answers."""
    import pty
    import select
    master, slave = pty.openpty()
    env = dict(_clean_env(tmp_path), COLUMNS="200", TERM="xterm")
    p = subprocess.Popen([sys.executable, "-m", "scanner", "audit", "azure", "-o", str(tmp_path / "out.json")],
                         env=env, stdout=subprocess.DEVNULL, stderr=slave, stdin=subprocess.DEVNULL)
    os.close(slave)
    seen = b""
    while True:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        elif p.poll() is not None:
            break
    assert p.wait(timeout=60) == 3
    os.close(master)
    text = seen.decode("utf-8", "replace")
    assert ("signing in to https://login.microsoftonline.com for https://management.azure.com/.default "
            "(DefaultAzureCredential) ...") in text
    assert "no Azure credentials found" in text
