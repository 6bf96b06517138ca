"""Throwaway databases for the backend tests: SQLite files, and one PostgreSQL cluster per test session.

Fixtures (wired in tests/backend/conftest.py):
- `database_url`: a fresh, empty database for one test, parametrized ["sqlite", "postgresql"] (SQLAlchemy URL).
- `postgresql_url`: the same, PostgreSQL only.
- `postgres_cluster`: the session's cluster (started on first use, stopped at the end of the session).

The cluster is created with `initdb` and started with `pg_ctl` in a temporary folder, listening on 127.0.0.1
on a free port only (no fsync: test data is disposable). PostgreSQL refuses to run as root, so as root the
binaries run as the `postgres` user via `runuser`. A watchdog shell stops the server if the test process dies
without running its clean-up. Missing binaries fail the tests (they are not skipped):
install Debian's `postgresql` package (`make system-deps`).
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest

DEBIAN_PACKAGE = "postgresql"
HOST = "127.0.0.1"


class PostgresUnavailable(RuntimeError):
    """PostgreSQL cannot be found or started."""


def find_postgres_bin() -> Path:
    """The folder holding `initdb` and `pg_ctl`: from PATH, else the newest /usr/lib/postgresql/*/bin."""
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        folder = Path(os.path.realpath(initdb)).parent
        if (folder / "pg_ctl").exists():
            return folder
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version, reverse=True):
        if Path(candidate, "initdb").exists() and Path(candidate, "pg_ctl").exists():
            return Path(candidate)
    raise PostgresUnavailable(
        f"PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or in /usr/lib/postgresql/*/bin: "
        f"install the Debian package '{DEBIAN_PACKAGE}' (apt-get install {DEBIAN_PACKAGE}, or `make system-deps`)"
    )


def _version(path: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", path)) or (0,)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresCluster:
    """A running throwaway cluster; `create_database()` hands out empty databases."""

    bin_dir: Path
    folder: Path
    port: int = 0
    run_as: list[str] = field(default_factory=list)
    running: bool = False
    watchdog: subprocess.Popen[bytes] | None = None

    @property
    def data_dir(self) -> Path:
        return self.folder / "data"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@{HOST}:{self.port}/{database}"

    def _run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([*self.run_as, *argv], cwd=self.folder, capture_output=True, text=True, timeout=120)
        if check and result.returncode != 0:
            raise PostgresUnavailable(f"{Path(argv[0]).name} failed ({result.returncode}): "
                                      f"{(result.stderr or result.stdout)[-1500:]}")
        return result

    def start(self) -> PostgresCluster:
        self._run(str(self.bin_dir / "initdb"), "-D", str(self.data_dir), "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--no-locale", "--no-sync")
        last = ""
        for _ in range(5):  # the free port may be taken in between: try another
            self.port = _free_port()
            options = (f"-h {HOST} -p {self.port} -k {self.folder} -F -c synchronous_commit=off "
                       "-c full_page_writes=off -c max_connections=200")
            result = self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-l", str(self.folder / "log"),
                               "-w", "-t", "60", "-o", options, "start", check=False)
            if result.returncode == 0:
                self.running = True
                atexit.register(self.stop)
                self._start_watchdog()
                return self
            last = (self.folder / "log").read_text(errors="replace")[-1500:] if (self.folder / "log").exists() else ""
            self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "stop", check=False)
        raise PostgresUnavailable(f"PostgreSQL did not start: {last}")

    def _start_watchdog(self) -> None:
        """A tiny shell that stops the server if this test process dies without clean-up (SIGKILL, SIGTERM)."""
        stop = " ".join(shlex.quote(a) for a in [*self.run_as, str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir),
                                                 "-m", "immediate", "stop"])
        script = (f"while kill -0 {os.getpid()} 2>/dev/null; do sleep 1; done; {stop} >/dev/null 2>&1; "
                  f"rm -rf {shlex.quote(str(self.folder))}")
        self.watchdog = subprocess.Popen(["sh", "-c", script], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL, start_new_session=True)

    def stop(self) -> None:
        """Stop the server and delete its files (safe to call twice)."""
        if self.watchdog is not None and self.watchdog.poll() is None:
            self.watchdog.kill()
            self.watchdog.wait(timeout=10)
        if self.running:
            self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "-w", "stop",
                      check=False)
            self.running = False
        shutil.rmtree(self.folder, ignore_errors=True)

    def _admin(self) -> psycopg.Connection[Any]:
        return psycopg.connect(host=HOST, port=self.port, user="postgres", dbname="postgres", autocommit=True)

    def create_database(self) -> str:
        name = f"t_{uuid.uuid4().hex[:16]}"
        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def start_postgres() -> PostgresCluster:
    """Start a throwaway cluster (as `postgres` via runuser when running as root)."""
    bin_dir = find_postgres_bin()
    folder = Path(tempfile.mkdtemp(prefix="pk-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(folder, ignore_errors=True)
            raise PostgresUnavailable(f"running as root needs the 'postgres' user (created by the Debian package "
                                      f"'{DEBIAN_PACKAGE}')") from None
        os.chown(folder, user.pw_uid, user.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    cluster = PostgresCluster(bin_dir, folder, run_as=run_as)
    try:
        return cluster.start()
    except BaseException:
        cluster.stop()
        raise


def start_postgres_or_fail() -> PostgresCluster:
    """`start_postgres()`, failing the test (never skipping it) when PostgreSQL is unavailable."""
    try:
        return start_postgres()
    except PostgresUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    cluster = start_postgres_or_fail()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def postgresql_url(postgres_cluster: PostgresCluster) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test."""
    name = postgres_cluster.create_database()
    try:
        yield postgres_cluster.url(name)
    finally:
        postgres_cluster.drop_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database for one test: a SQLite file, or a database in the session's PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    name = cluster.create_database()
    try:
        yield cluster.url(name)
    finally:
        cluster.drop_database(name)
