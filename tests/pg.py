"""A throwaway PostgreSQL cluster for the tests: initdb + pg_ctl on a Unix socket.

initdb refuses to run as root, so as root the cluster belongs to the `postgres` system
user (Debian's postgresql package creates it; .ci/ensure-postgres installs the package)
and the commands run through runuser. Nothing listens on TCP. If the server cannot start,
the tests that need it fail: CI must never skip PostgreSQL silently.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    pass


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    if found:
        return found[0]
    path = shutil.which(name)
    if path:
        return path
    raise PostgresUnavailable(f"{name} not found: install PostgreSQL (bash .ci/ensure-postgres)")


@dataclass
class Cluster:
    root: Path
    url: str
    _as_user: list[str]

    def stop(self) -> None:
        subprocess.run(
            [*self._as_user, _bin("pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(self.root, ignore_errors=True)


def start_cluster() -> Cluster:
    root = Path(tempfile.mkdtemp(prefix="careerbot-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            raise PostgresUnavailable(
                "running as root and there is no 'postgres' user to own the cluster"
            ) from None
        os.chown(root, owner.pw_uid, owner.pw_gid)
        os.chmod(root, 0o755)  # the socket must be reachable by the test process
        as_user = ["runuser", "-u", "postgres", "--"]
    data = root / "data"
    run = lambda *cmd: subprocess.run([*as_user, *cmd], capture_output=True, text=True, timeout=120)  # noqa: E731
    result = run(_bin("initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
    if result.returncode != 0:
        raise PostgresUnavailable(f"initdb failed: {result.stderr.strip()[-500:]}")
    options = f"-k {root} -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    result = run(
        _bin("pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "-t", "60", "start"
    )
    if result.returncode != 0:
        log = (root / "log").read_text() if (root / "log").exists() else ""
        raise PostgresUnavailable(f"pg_ctl start failed: {result.stderr.strip()[-300:]} {log[-500:]}")
    return Cluster(root, f"postgresql://postgres@/postgres?host={root}", as_user)


def create_database(cluster: Cluster, name: str) -> str:
    """A fresh database in the cluster; returns its URL."""
    import psycopg

    with psycopg.connect(cluster.url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql://postgres@/{name}?host={cluster.root}"
