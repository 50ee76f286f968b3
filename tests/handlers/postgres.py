"""A throwaway PostgreSQL cluster for the handlers' tests (or `DATABASE_URL` if set)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest


def _server_bin() -> Path:
    """KK_PG_BIN, else the newest /usr/lib/postgresql/<version>/bin (15 here)."""
    if os.environ.get("KK_PG_BIN"):
        return Path(os.environ["KK_PG_BIN"])
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    return found[-1].parent if found else Path("/usr/lib/postgresql/15/bin")


BIN = _server_bin()


def _as_postgres(*args: str) -> list[str]:
    if os.geteuid() != 0:
        return list(args)
    return ["runuser", "-u", "postgres", "--", *args]


class Cluster:
    """initdb + pg_ctl in a temp dir, trust auth on a free loopback port."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.root = Path(tempfile.mkdtemp(prefix="kk-pg-"))
        self.data = self.root / "data"

    def start(self) -> str:
        if not (BIN / "initdb").exists():
            pytest.fail(
                f"PostgreSQL server binaries not found in {BIN}: install `postgresql` "
                "(.ci/run does) or set DATABASE_URL to a server the tests may use"
            )
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        run = {"check": True, "capture_output": True, "timeout": 120}
        subprocess.run(
            _as_postgres(
                str(BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres"
            ),
            **run,  # type: ignore[call-overload]
        )
        options = f"-p {self.port} -k {self.root} -h 127.0.0.1 -F"
        subprocess.run(
            _as_postgres(
                str(BIN / "pg_ctl"),
                "-D",
                str(self.data),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "-l",
                str(self.root / "log"),
                "start",
            ),
            **run,  # type: ignore[call-overload]
        )
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        subprocess.run(
            _as_postgres(str(BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"),
            capture_output=True,
            timeout=60,
        )
        time.sleep(0.1)
        shutil.rmtree(self.root, ignore_errors=True)
