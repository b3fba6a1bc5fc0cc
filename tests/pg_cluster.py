"""A throwaway PostgreSQL cluster for the store's tests: Debian's initdb and pg_ctl (from
/usr/lib/postgresql/*/bin) in a temporary folder, run as an unprivileged user (created with
useradd when the tests run as root), listening on a free loopback port with password
authentication, stopped at the end.

    with PgCluster() as pg:
        url = pg.url("specguard_test")      # postgresql://specguard:<password>@127.0.0.1:PORT/specguard_test
"""
from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile

USER = "specguard-pg"
ROLE = "specguard"


def binaries() -> str | None:
    """The newest installed PostgreSQL's bin folder, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
                   if p.split("/")[4].isdigit() else 0)
    return os.path.dirname(found[-1]) if found else None


def missing_reason() -> str | None:
    if binaries() is None:
        return "PostgreSQL is not installed (Debian's postgresql package: .ci/install-system-deps installs it)"
    if os.geteuid() == 0 and shutil.which("useradd") is None and not _user_exists():
        return "running as root and there is no useradd to create an unprivileged user for PostgreSQL"
    return None


def _user_exists() -> bool:
    try:
        pwd.getpwnam(USER)
        return True
    except KeyError:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgCluster:
    def __init__(self):
        self.bin = binaries()
        self.password = secrets.token_hex(12)
        self.port = _free_port()
        self.dir = tempfile.mkdtemp(prefix="specguard-pg-")
        self.data = os.path.join(self.dir, "data")
        self.sock = os.path.join(self.dir, "sock")
        self._as: list[str] = []

    def _run(self, *cmd, check=True, input=None):
        return subprocess.run([*self._as, *cmd], check=check, capture_output=True, text=True, input=input,
                              timeout=120)

    def start(self) -> "PgCluster":
        os.makedirs(self.sock)
        pwfile = os.path.join(self.dir, "pw")
        with open(pwfile, "w") as fh:
            fh.write(self.password + "\n")
        if os.geteuid() == 0:
            if not _user_exists():
                subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER],
                               check=True, capture_output=True)
            ent = pwd.getpwnam(USER)
            for root, dirs, files in os.walk(self.dir):
                for n in [root] + [os.path.join(root, x) for x in dirs + files]:
                    os.chown(n, ent.pw_uid, ent.pw_gid)
            os.chmod(self.dir, 0o755)
            self._as = ["setpriv", f"--reuid={ent.pw_uid}", f"--regid={ent.pw_gid}", "--clear-groups"]
        self._run(f"{self.bin}/initdb", "-D", self.data, "-U", ROLE, "--pwfile", pwfile, "--auth-local=trust",
                  "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8" if _has_c_utf8() else "--locale=C")
        opts = (f"-p {self.port} -k {self.sock} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=50")
        self._run(f"{self.bin}/pg_ctl", "-D", self.data, "-l", os.path.join(self.dir, "log"), "-o", opts,
                  "-w", "-t", "60", "start")
        return self

    def psql(self, sql: str, db: str = "postgres") -> str:
        return self._run(f"{self.bin}/psql", "-h", self.sock, "-p", str(self.port), "-U", ROLE, "-d", db,
                         "-v", "ON_ERROR_STOP=1", "-At", "-c", sql).stdout

    def create_db(self, name: str) -> str:
        self.psql(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_db(self, name: str) -> None:
        self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def url(self, db: str, password: str | None = None) -> str:
        return f"postgresql://{ROLE}:{password or self.password}@127.0.0.1:{self.port}/{db}"

    def stop(self) -> None:
        try:
            self._run(f"{self.bin}/pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop", check=False)
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _has_c_utf8() -> bool:
    try:
        out = subprocess.run(["locale", "-a"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return any(x.lower() in ("c.utf8", "c.utf-8") for x in out.split())


if __name__ == "__main__":   # a manual check: start, create a database, stop
    with PgCluster() as pg:
        print(pg.create_db("probe"), pg.psql("SELECT version()"))

