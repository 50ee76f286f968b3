"""Load generators: wrk (with a Lua script per request shape), or a Python fallback.

Both keep C keep-alive connections busy for a fixed time after a warm-up and report
requests/s, latency percentiles and how many answers had an unexpected status class.
"""

from __future__ import annotations

import asyncio
import datetime
import http.client
import itertools
import re
import subprocess
import time
from dataclasses import dataclass, field

from bench.servers import ROOT

WRK_DIR = ROOT / "bench" / "wrk"
SLOT = b"2030-01-01T00:00:00Z"  # in a body: replaced by a time no other request of the run used
_SLOT_EPOCH = 1893456000  # 2030-01-01T00:00:00Z
_slot_bases = itertools.count(1)


def next_slot_base() -> int:
    """Seconds after 2030-01-01 where one load run's slots start (10^7 s apart per run)."""
    return next(_slot_bases) * 10_000_000


def slot(base: int, n: int, step: int = 1) -> bytes:
    """The n-th slot of a load run: `step` seconds apart (hour-long bookings need 3600; then
    the run's slots start base / 100 steps after 2030, as bench/wrk/post_booking.lua's)."""
    offset = base + n if step == 1 else (base // 100 + n) * step
    at = datetime.datetime.fromtimestamp(_SLOT_EPOCH + offset, datetime.UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%SZ").encode()


@dataclass(frozen=True)
class Request:
    """One request shape; `lua` is the wrk script sending the same bytes (bench/wrk/)."""

    method: str
    path: str
    lua: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    slot_step: int = 1  # seconds between the slots of successive requests (see slot())

    def raw(self, host: str, token: str) -> bytes:
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {host}"]
        lines += [f"{k}: {v.replace('$TOKEN', token)}" for k, v in self.headers]
        if self.body or self.method == "POST":
            lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + self.body


def once(url: str, request: Request, token: str) -> tuple[int, bytes]:
    """One request (a fresh slot if the body has one): status and body."""
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        headers = {k: v.replace("$TOKEN", token) for k, v in request.headers}
        body = request.body.replace(SLOT, slot(next_slot_base(), 0, request.slot_step))
        path = request.path.replace("{n}", str(next_slot_base() // 10_000))
        conn.request(request.method, path, body=body or None, headers=headers)
        answer = conn.getresponse()
        return answer.status, answer.read()
    finally:
        conn.close()


@dataclass
class Measured:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    unexpected: int  # answers whose status class differs from the expected one
    errors: int  # socket errors and timeouts
    tool: str
    command: str = ""
    extra: dict[str, float] = field(default_factory=dict)


def run_wrk(
    wrk: str,
    url: str,
    request: Request,
    *,
    duration: float,
    warmup: float,
    threads: int,
    connections: int,
    token: str,
    expect_2xx: bool,
) -> Measured:
    lua = WRK_DIR / request.lua
    base = [wrk, f"-t{threads}", f"-c{connections}", "--timeout", "10s", "-s", str(lua)]
    target = url + request.path

    def env() -> dict[str, str]:
        return {
            "KK_TOKEN": token,
            "BENCH_SLOT_BASE": str(next_slot_base()),
            "PATH": "/usr/bin:/bin",
        }

    if warmup > 0:
        subprocess.run(
            [*base, f"-d{max(1, round(warmup))}s", target],
            cwd=ROOT,
            env=env(),
            capture_output=True,
            check=True,
        )
    argv = [*base, f"-d{max(1, round(duration))}s", "--latency", target]
    done = subprocess.run(argv, cwd=ROOT, env=env(), capture_output=True, text=True, check=True)
    return parse_wrk(done.stdout, expect_2xx, " ".join(argv[:1] + [a for a in argv[1:]]))


def parse_wrk(out: str, expect_2xx: bool, command: str) -> Measured:
    def number(pattern: str) -> float:
        m = re.search(pattern, out)
        return float(m.group(1)) if m else 0.0

    total = int(number(r"(\d+) requests in"))
    non2xx = int(number(r"Non-2xx or 3xx responses: (\d+)"))
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return Measured(
        rps=number(r"Requests/sec:\s+([\d.]+)"),
        p50_ms=_ms(re.search(r"\s50%\s+([\d.]+)(us|ms|s)", out)),
        p99_ms=_ms(re.search(r"\s99%\s+([\d.]+)(us|ms|s)", out)),
        requests=total,
        unexpected=non2xx if expect_2xx else total - non2xx,
        errors=sum(int(g) for g in errors.groups()) if errors else 0,
        tool="wrk",
        command=command,
    )


def _ms(m: re.Match[str] | None) -> float:
    if m is None:
        return 0.0
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
    return float(m.group(1)) * scale


def run_python(
    url: str,
    request: Request,
    *,
    duration: float,
    warmup: float,
    connections: int,
    token: str,
    expect_2xx: bool,
) -> Measured:
    """The fallback when wrk is missing: asyncio keep-alive clients, one request in flight each.

    It shares the CPU with the server and costs far more per request than wrk, so its
    numbers are a floor, not comparable with wrk's.
    """
    host, port = url.removeprefix("http://").split(":")
    raw = request.raw(f"{host}:{port}", token)
    return asyncio.run(
        _drive(host, int(port), raw, duration, warmup, connections, expect_2xx, request.slot_step)
    )


async def _drive(
    host: str,
    port: int,
    raw: bytes,
    duration: float,
    warmup: float,
    connections: int,
    expect_2xx: bool,
    step: int = 1,
) -> Measured:
    latencies: list[float] = []
    counts = {"unexpected": 0, "errors": 0}
    started = time.perf_counter()
    measure_from = started + warmup
    stop_at = measure_from + duration

    base = next_slot_base()
    slots = itertools.count()

    async def client() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while True:
                t0 = time.perf_counter()
                if t0 >= stop_at:
                    return
                writer.write(vary(raw, base, next(slots), step))
                status = await _read_response(reader)
                t1 = time.perf_counter()
                if t0 >= measure_from:
                    latencies.append(t1 - t0)
                    if (200 <= status < 400) != expect_2xx:
                        counts["unexpected"] += 1
        except (OSError, asyncio.IncompleteReadError, ValueError):
            counts["errors"] += 1
        finally:
            writer.close()

    await asyncio.gather(*(client() for _ in range(connections)))
    elapsed = max(time.perf_counter() - measure_from, 1e-9)
    latencies.sort()
    return Measured(
        rps=len(latencies) / elapsed,
        p50_ms=_percentile(latencies, 0.50) * 1000,
        p99_ms=_percentile(latencies, 0.99) * 1000,
        requests=len(latencies),
        unexpected=counts["unexpected"],
        errors=counts["errors"],
        tool="python",
        command=f"python load generator, {connections} connections",
    )


def vary(raw: bytes, base: int, n: int, step: int = 1) -> bytes:
    """Request bytes with this request's slot and page (see SLOT, `{n}` in a path)."""
    if SLOT in raw:
        raw = raw.replace(SLOT, slot(base, n, step))
    if b"{n}" in raw:
        raw = raw.replace(b"{n}", str(base // 10_000 + n).encode(), 1)
    return raw


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length, chunked = 0, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]
