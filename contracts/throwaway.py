"""Throwaway PostgreSQL and Redis servers for a contract run or a test session.

`python -m contracts.throwaway --postgres --redis -- kk contract --mode serve` starts a fresh
PostgreSQL cluster (initdb + pg_ctl, trust auth, loopback only) and a redis-server on free
ports, runs the command with `DATABASE_URL` and `REDIS_URL` pointing at them, then stops both
and deletes their files. The handlers' tests use the same classes (tests/handlers/conftest.py).
Needs the server binaries of Debian's `postgresql` and `redis-server` packages (.ci/run installs
them); as root, PostgreSQL runs as the `postgres` user.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path


class ThrowawayError(RuntimeError):
    """A throwaway server could not be found or started (the message says how to fix it)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def postgres_bin() -> Path:
    """KK_PG_BIN, else the newest /usr/lib/postgresql/<version>/bin."""
    if os.environ.get("KK_PG_BIN"):
        return Path(os.environ["KK_PG_BIN"])
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    return found[-1].parent if found else Path("/usr/lib/postgresql/15/bin")


def _as_postgres(*args: str) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as the `postgres` user."""
    if os.geteuid() != 0:
        return list(args)
    return ["runuser", "-u", "postgres", "--", *args]


class PostgresCluster:
    """initdb + pg_ctl in a temp dir, trust auth on a free loopback port."""

    def __init__(self, port: int | None = None, bin_dir: Path | None = None) -> None:
        self.port = port or free_port()
        self.bin = bin_dir or postgres_bin()
        self.root = Path(tempfile.mkdtemp(prefix="kk-pg-"))
        self.data = self.root / "data"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        try:
            subprocess.run(_as_postgres(*args), check=True, capture_output=True, timeout=120)
        except subprocess.CalledProcessError as e:
            output = (e.stderr or e.stdout or b"").decode(errors="replace").strip()
            raise ThrowawayError(f"{Path(args[0]).name} failed: {output}") from e

    def start(self) -> str:
        """Start the cluster; its URL (database `postgres`, user `postgres`, no password)."""
        if not (self.bin / "initdb").exists():
            raise ThrowawayError(
                f"PostgreSQL server binaries not found in {self.bin}: install `postgresql` "
                "(.ci/run does), set KK_PG_BIN, or set DATABASE_URL to a server you may use"
            )
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres")
        options = f"-p {self.port} -k {self.root} -h 127.0.0.1 -F"
        log = str(self.root / "log")
        self._run(
            str(self.bin / "pg_ctl"),
            *("-D", str(self.data), "-o", options, "-w", "-t", "60", "-l", log, "start"),
        )
        return self.url

    def stop(self) -> None:
        subprocess.run(
            _as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"),
            capture_output=True,
            timeout=60,
        )
        time.sleep(0.1)
        shutil.rmtree(self.root, ignore_errors=True)


class RedisServer:
    """A redis-server on a free loopback port, nothing persisted."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10) -> str:
        binary = shutil.which("redis-server")
        if binary is None:
            raise ThrowawayError("redis-server is not installed: `apt-get install redis-server`")
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self.url
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.stop()
                    raise ThrowawayError("redis-server did not start") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@contextlib.contextmanager
def services(postgres: bool, redis: bool) -> Iterator[dict[str, str]]:
    """The environment variables of the servers started for the block."""
    env: dict[str, str] = {}
    with contextlib.ExitStack() as stack:
        if postgres:
            cluster = PostgresCluster()
            stack.callback(cluster.stop)
            env["DATABASE_URL"] = cluster.start()
        if redis:
            server = RedisServer()
            stack.callback(server.stop)
            env["REDIS_URL"] = server.start()
        yield env


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m contracts.throwaway",
        description="Run a command with a throwaway PostgreSQL (DATABASE_URL) and/or Redis "
        "(REDIS_URL), both deleted when it ends; exits with the command's status.",
    )
    parser.add_argument("--postgres", action="store_true", help="start PostgreSQL")
    parser.add_argument("--redis", action="store_true", help="start redis-server")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND [ARGS...]")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to run after --")
    try:
        with services(args.postgres, args.redis) as env:
            for key, value in env.items():
                print(f"{key}={value}", file=sys.stderr)
            return subprocess.run(command, env={**os.environ, **env}, check=False).returncode
    except ThrowawayError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
