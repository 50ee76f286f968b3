"""The servers under test: spawn on a free loopback port, time start-up, read peak RSS, stop.

Every server runs in its own process group (started here), so stopping it ends exactly the
processes this module started: the server and its workers.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".kk" / "bench"
START_TIMEOUT = 120.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def kk_command() -> list[str]:
    kk = Path(sys.executable).parent / "kk"
    if kk.exists():
        return [str(kk)]
    return [sys.executable, "-c", "from kkapp.cli import main; main()"]


@dataclass(frozen=True)
class Backing:
    """What a server found started for it: environment variables and the bearer to send."""

    env: dict[str, str]
    token: str | None = None


# Services a server needs before it starts (a database, a key), given its fresh data dir;
# stopped when the block ends.
BackingFactory = Callable[[Path], AbstractContextManager[Backing]]


@dataclass(frozen=True)
class ServerSpec:
    """How to start one server; `{port}` in argv is replaced by a free port, `{data}` by a
    fresh data directory (deleted when the server stops)."""

    name: str
    argv: tuple[str, ...]
    base: str  # path prefix of the REST API on this server ("/v1" for kk, "" for Prism)
    env: tuple[tuple[str, str], ...] = ()
    probe: str | None = None  # absolute path to probe instead of base + Probe.path
    token: str = "bench"  # the bearer every scenario sends (unless the backing names one)
    backing: BackingFactory | None = None

    def command(self, port: int, data: Path | None = None) -> list[str]:
        out = [a.replace("{port}", str(port)) for a in self.argv]
        return [a.replace("{data}", str(data)) for a in out] if data else out


def kk_mock(workers: int = 1) -> ServerSpec:
    argv = [*kk_command(), "mock", "--host", "127.0.0.1", "--port", "{port}"]
    if workers > 1:
        argv += ["--workers", str(workers)]
    name = "kk mock" + (f" --workers {workers}" if workers > 1 else "")
    return ServerSpec(name, tuple(argv), "/v1")


# Published on purpose (handlers/rest/oauth.py): `kk sandbox`'s test API key, as test_user_123.
SANDBOX_API_KEY = "kk_test_sandbox_key_for_local_development_only"


def kk_sandbox() -> ServerSpec:
    """`kk sandbox` with rate limits off: the spec's search class allows 100 requests a
    minute, so a load test would otherwise measure 429s. Everything else is the sandbox, on
    a fresh SQLite database each start (bookings of earlier runs would take the slots)."""
    argv = [*kk_command(), "sandbox", "--host", "127.0.0.1", "--port", "{port}"]
    argv += ["--rate-limits", "off", "--data-dir", "{data}"]
    return ServerSpec(
        "kk sandbox --rate-limits off",
        tuple(argv),
        "/v1",
        probe="/healthz",
        token=SANDBOX_API_KEY,
    )


def graphql_tools(node_dir: Path) -> ServerSpec:
    """The GraphQL anchor: @graphql-tools/mock + graphql-http on spec/schema.graphql."""
    script = ROOT / "bench" / "node" / "graphql_tools.mjs"
    argv = ("node", str(script), "{port}", str(ROOT / "spec" / "schema.graphql"), str(node_dir))
    return ServerSpec("@graphql-tools/mock + graphql-http", argv, "", probe="/healthz")


def prism(binary: Path, dynamic: bool = False) -> ServerSpec:
    argv = [str(binary), "mock", "-h", "127.0.0.1", "-p", "{port}", "-v", "silent"]
    if dynamic:
        argv.append("-d")
    argv.append(str(ROOT / "spec" / "openapi.yaml"))
    return ServerSpec("prism -d" if dynamic else "prism -v silent", tuple(argv), "")


@dataclass
class Running:
    spec: ServerSpec
    proc: subprocess.Popen[bytes]
    port: int
    startup_s: float
    log: Path
    startup_cpu_s: float = 0.0  # CPU time of the process tree at the first 200
    token: str = "bench"
    cleanup: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def peak_rss_mb(self) -> float:
        """Sum of VmHWM (peak resident set) over the server's process tree."""
        return sum(_vmhwm_kb(pid) for pid in _tree(self.proc.pid)) / 1024

    def stop(self) -> None:
        with self.cleanup:  # then the backing services and the data dir
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGTERM)
                try:
                    self.proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait(timeout=5)


@dataclass
class Probe:
    """The request that says a server is up: first 200 on it ends the start-up clock."""

    path: str
    headers: dict[str, str] = field(default_factory=dict)


def start(spec: ServerSpec, probe: Probe) -> Running:
    port = free_port()
    CACHE.mkdir(parents=True, exist_ok=True)
    log = CACHE / f"{re.sub(r'[^A-Za-z0-9]+', '-', spec.name.split()[0]).strip('-')}-{port}.log"
    cleanup = contextlib.ExitStack()
    data = Path(tempfile.mkdtemp(prefix="data-", dir=CACHE))
    cleanup.callback(shutil.rmtree, data, True)
    token = spec.token
    # The servers run the code of the tree this bench lives in, whatever .venv has installed.
    env = {**os.environ, "PYTHONPATH": str(ROOT), **dict(spec.env)}
    with cleanup:
        if spec.backing is not None:
            backing = cleanup.enter_context(spec.backing(data))
            env.update(backing.env)
            token = backing.token or token
        started = time.perf_counter()
        with log.open("wb") as out:
            proc = subprocess.Popen(
                spec.command(port, data),
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        cleanup = cleanup.pop_all()  # from here on, Running.stop() cleans up
    running = Running(spec, proc, port, 0.0, log, token=token, cleanup=cleanup)
    path = spec.probe or spec.base + probe.path
    while True:
        if proc.poll() is not None:
            running.stop()
            raise RuntimeError(f"{spec.name} exited ({proc.returncode}); see {log}")
        if _status(port, path, probe.headers) == 200:
            running.startup_s = time.perf_counter() - started
            running.startup_cpu_s = sum(_cpu_s(pid) for pid in _tree(proc.pid))
            return running
        if time.perf_counter() - started > START_TIMEOUT:
            running.stop()
            raise RuntimeError(f"{spec.name} answered no 200 within {START_TIMEOUT:.0f} s")
        time.sleep(0.01)


def _status(port: int, path: str, headers: dict[str, str]) -> int | None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    except OSError:
        return None
    finally:
        conn.close()


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of one process (all its threads)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _vmhwm_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0
