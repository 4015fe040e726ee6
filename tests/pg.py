"""A throwaway PostgreSQL cluster for the tests: initdb + pg_ctl on a Unix socket, nothing on TCP.

initdb refuses to run as root, so as root the cluster belongs to the `postgres` system user
(Debian's postgresql package creates it; .ci/ensure-postgres installs the package; we create
the user if it is missing) and the server commands run through runuser. The cluster lives in
a private /tmp directory (mode 0700, owned by whoever runs the server; root connects through
the socket anyway). fsync is off: the data is thrown away. If the server cannot start, the
caller must fail, never skip: CI has to notice a missing PostgreSQL.
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    """PostgreSQL could not be found or started; the message says why."""


def _bin(name: str) -> str:
    """The newest installed server binary `name` (Debian keeps them out of PATH)."""
    found = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0,
        reverse=True,
    )
    if found:
        return found[0]
    path = shutil.which(name)
    if path:
        return path
    raise PostgresUnavailable(f"{name} not found: install PostgreSQL (bash .ci/ensure-postgres)")


def _postgres_user() -> pwd.struct_passwd:
    """The `postgres` system user, created when missing (we are root here)."""
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        pass
    result = subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "postgres"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresUnavailable(
            f"running as root, no 'postgres' user to own the cluster, and useradd failed: {result.stderr.strip()}"
        ) from None


@dataclass
class Cluster:
    """A running server; `url` connects to its `postgres` database as the `postgres` superuser."""

    root: Path
    url: str
    as_user: list[str] = field(default_factory=list)
    options: str = ""
    stopped: bool = False

    def stop(self) -> None:
        """Stop the server (immediately: nothing here is worth keeping) and delete its files."""
        if self.stopped:
            return
        self.stopped = True
        subprocess.run(
            [*self.as_user, _bin("pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(self.root, ignore_errors=True)

    def halt(self) -> None:
        """Stop the server (ending every session) but keep its files, for resume(): the database is down."""
        subprocess.run(
            [*self.as_user, _bin("pg_ctl"), "-D", str(self.root / "data"), "-m", "fast", "-w", "stop"],
            capture_output=True,
            timeout=60,
            check=True,
        )

    def resume(self) -> None:
        """Start the server halted by halt() again, on the same socket."""
        result = subprocess.run(
            [
                *self.as_user,
                _bin("pg_ctl"),
                "-D",
                str(self.root / "data"),
                "-o",
                self.options,
                "-l",
                str(self.root / "log"),
                "-w",
                "-t",
                "60",
                "start",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=self.root,
        )
        if result.returncode != 0:
            raise PostgresUnavailable(f"pg_ctl start failed: {result.stderr.strip()[-300:]}")

    def database_url(self, name: str) -> str:
        return f"postgresql://postgres@/{name}?host={self.root}"


def start_cluster() -> Cluster:
    """initdb + start a server listening only on a socket in a fresh private directory."""
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    root = Path(tempfile.mkdtemp(prefix="careerbot-pg-"))  # mode 0700
    as_user: list[str] = []
    if os.geteuid() == 0:
        owner = _postgres_user()
        os.chown(root, owner.pw_uid, owner.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    options = (
        f"-k {root} -c listen_addresses='' -c fsync=off -c synchronous_commit=off"
        " -c full_page_writes=off -c max_connections=200"
    )
    cluster = Cluster(root, f"postgresql://postgres@/postgres?host={root}", as_user, options)

    def run(*cmd: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*as_user, *cmd], capture_output=True, text=True, timeout=120, cwd=root)

    data = root / "data"
    result = run(initdb, "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
    if result.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        raise PostgresUnavailable(f"initdb failed: {(result.stderr or result.stdout).strip()[-500:]}")
    result = run(pg_ctl, "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "-t", "60", "start")
    if result.returncode != 0:
        log = (root / "log").read_text(errors="replace") if (root / "log").exists() else ""
        cluster.stop()
        raise PostgresUnavailable(f"pg_ctl start failed: {result.stderr.strip()[-300:]} {log[-500:]}")
    # If the test run is interrupted before the fixture's teardown, still stop the server.
    atexit.register(cluster.stop)
    return cluster


def create_database(cluster: Cluster, name: str) -> str:
    """A fresh, empty database in the cluster; returns its URL."""
    import psycopg

    with psycopg.connect(cluster.url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return cluster.database_url(name)
