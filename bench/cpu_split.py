"""Where the machine's CPU goes during POST /v1/bookings under wrk: `python bench/cpu_split.py`.

For `kk sandbox` and `kk serve` on PostgreSQL + Redis (`--workers 2`), each started fresh: a
warm-up, then one wrk -t2 -c32 run of the bench's `real_post_booking` request (a new slot
each request), with the CPU seconds of every process on the machine read from /proc before
and after (wrk's own from this process's children). Prints, per side, the bookings a second,
the p50/p99, and CPU milliseconds per booking split into the kk server's processes,
PostgreSQL's, Redis's, wrk's and the rest, with how busy the machine's cores were.

Why: the p99 of a closed-loop run is bounded below by its mean, connections ÷ throughput
(Little's law), and the throughput by the cores ÷ CPU per booking, whoever spends it. This
shows whose CPU bounds a side (bench/RESULTS.md).
"""

from __future__ import annotations

import sys
from pathlib import Path

if not __package__:  # run as a script: import the repository, not bench/, as the root
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import argparse  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

from bench.backing import kk_serve_postgres  # noqa: E402
from bench.load import Measured, Request, run_wrk  # noqa: E402
from bench.peers import ensure_wrk  # noqa: E402
from bench.run import PROBE  # noqa: E402
from bench.scenarios import SCENARIOS  # noqa: E402
from bench.servers import Running, ServerSpec, _cpu_s, _tree, kk_sandbox, start  # noqa: E402

SIDES: dict[str, Callable[[], ServerSpec]] = {
    "sandbox": kk_sandbox,
    "serve_pg": kk_serve_postgres,
}
KINDS = ("kk", "postgres", "redis", "wrk", "other")


def _processes() -> dict[int, tuple[str, float]]:
    """Every process's (command name, CPU seconds)."""
    found: dict[int, tuple[str, float]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                comm = (entry / "comm").read_text().strip()
            except OSError:
                continue
            found[int(entry.name)] = (comm, _cpu_s(int(entry.name)))
    return found


def _kind(pid: int, comm: str, server: set[int]) -> str:
    if pid in server:
        return "kk"
    if comm.startswith("postgres"):
        return "postgres"
    if comm.startswith("redis"):
        return "redis"
    return "other"


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def split(running: Running, wrk: str, duration: float, warmup: float) -> dict[str, float]:
    """One measured wrk run on `running`: its numbers and CPU ms per booking by kind."""
    scenario = next(s for s in SCENARIOS if s.name == "real_post_booking")
    r = scenario.request
    request = Request(r.method, running.spec.base + r.path, r.lua, r.headers, r.body, r.slot_step)

    def wrk_run(seconds: float) -> Measured:
        return run_wrk(
            wrk,
            running.url,
            request,
            duration=seconds,
            warmup=0,
            threads=2,
            connections=32,
            token=running.token,
            expect_2xx=True,
        )

    wrk_run(warmup)
    server = set(_tree(running.proc.pid))
    before, children, wall = _processes(), _children_cpu_s(), time.perf_counter()
    m = wrk_run(duration)
    after, wall = _processes(), time.perf_counter() - wall
    spent = dict.fromkeys(KINDS, 0.0)
    for pid, (comm, cpu) in after.items():
        spent[_kind(pid, comm, server)] += cpu - before.get(pid, (comm, 0.0))[1]
    spent["wrk"] = _children_cpu_s() - children
    if m.unexpected or not m.requests:
        raise RuntimeError(f"{m.unexpected} unexpected answers of {m.requests}")
    out = {"rps": m.rps, "p50_ms": m.p50_ms, "p99_ms": m.p99_ms, "requests": m.requests}
    out |= {f"{k}_ms": 1000 * v / m.requests for k, v in spent.items()}
    out["busy"] = sum(spent.values()) / (wall * (os.cpu_count() or 1))
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--sides", nargs="+", choices=sorted(SIDES), default=sorted(SIDES))
    p.add_argument("--duration", type=float, default=5.0, help="seconds measured")
    p.add_argument("--warmup", type=float, default=2.0, help="seconds of wrk before")
    p.add_argument("--runs", type=int, default=1, help="fresh servers per side")
    a = p.parse_args(argv)
    wrk = ensure_wrk(install=True)
    if wrk is None:
        raise SystemExit("wrk is not available")
    print(
        f"{'side':<9} {'req/s':>7} {'p50':>6} {'p99':>6}  CPU ms a booking: "
        + " ".join(f"{k:>8}" for k in (*KINDS, "total"))
        + "  cores busy"
    )
    for _ in range(a.runs):
        for side in a.sides:
            running = start(SIDES[side](), PROBE)
            try:
                o = split(running, wrk, a.duration, a.warmup)
            finally:
                running.stop()
            total = sum(o[f"{k}_ms"] for k in KINDS)
            cells = " ".join(f"{o[f'{k}_ms']:8.3f}" for k in KINDS)
            print(
                f"{side:<9} {o['rps']:7.0f} {o['p50_ms']:6.1f} {o['p99_ms']:6.1f}  "
                f"{'':18}{cells} {total:8.3f}  {o['busy']:.0%}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
