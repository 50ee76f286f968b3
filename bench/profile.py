"""CPU profile of kk serving one scenario under wrk: where the time of a request goes.

`python bench/profile.py [--scenario get_list] [--mode mock] [--seconds 10]`

The app runs in this process under uvicorn with the options of `kk mock` (httptools, uvloop,
no access log); cProfile counts thread CPU time (not wall time, which on a shared machine
mostly measures waiting for a core) while wrk loads it. Report: .kk/bench/profile-NAME.txt.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

if not __package__:  # run as a script: import the repository, not bench/, as the root
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import argparse  # noqa: E402
import asyncio  # noqa: E402
import cProfile  # noqa: E402
import io  # noqa: E402
import pstats  # noqa: E402
import shutil  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

import uvicorn  # noqa: E402

from bench.load import Request, run_wrk  # noqa: E402
from bench.scenarios import SCENARIOS  # noqa: E402
from bench.servers import CACHE, SANDBOX_API_KEY, free_port  # noqa: E402
from kkapp.config import AppConfig  # noqa: E402
from kkapp.factory import build  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--scenario", default="get_list", choices=[s.name for s in SCENARIOS])
    p.add_argument("--mode", default="mock", choices=["mock", "sandbox"])
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--top", type=int, default=30)
    args = p.parse_args()
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is needed (python bench/run.py installs it)")
    scenario = next(s for s in SCENARIOS if s.name == args.scenario)
    os.environ.setdefault("KK_ISSUER", "http://127.0.0.1:8000")
    app = build(AppConfig(args.mode, rate_limits="off", data_dir=str(CACHE / "profile"))).app
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            loop="uvloop",
            http="httptools",
            access_log=False,
            log_level="warning",
        )
    )
    profiler = cProfile.Profile(time.thread_time)
    done: dict[str, float] = {}
    path = ("/v1" if scenario.rest else "") + scenario.request.path
    token = SANDBOX_API_KEY if args.mode == "sandbox" else "bench"  # (the sandbox checks it)
    request = Request(
        scenario.request.method,
        path,
        scenario.request.lua,
        scenario.request.headers,
        scenario.request.body,
    )

    def load() -> None:
        while not server.started:
            time.sleep(0.05)
        loop = server_loop[0]
        url = f"http://127.0.0.1:{port}"
        run_wrk(
            wrk,
            url,
            request,
            duration=2,
            warmup=0,
            threads=1,
            connections=32,
            token=token,
            expect_2xx=scenario.expect < 400,
        )  # warm-up
        loop.call_soon_threadsafe(profiler.enable)
        m = run_wrk(
            wrk,
            url,
            request,
            duration=args.seconds,
            warmup=0,
            threads=1,
            connections=32,
            token=token,
            expect_2xx=scenario.expect < 400,
        )
        loop.call_soon_threadsafe(profiler.disable)
        done.update(requests=m.requests, rps=m.rps)
        server.should_exit = True

    server_loop: list[asyncio.AbstractEventLoop] = []

    async def serve() -> None:
        server_loop.append(asyncio.get_running_loop())
        await server.serve()

    threading.Thread(target=load, daemon=True).start()
    import uvloop

    uvloop.run(serve())
    stats = pstats.Stats(profiler)
    cpu = sum(t[2] for t in stats.stats.values())  # type: ignore[attr-defined]
    out = io.StringIO()
    requests = max(1, int(done.get("requests", 1)))
    out.write(
        f"{scenario.title}: {requests} requests under wrk (-t1 -c32, {args.seconds:g} s), "
        f"{done.get('rps', 0):,.0f} req/s while profiled; "
        f"{cpu / requests * 1e6:.0f} µs of profiled server CPU per request\n\n"
    )
    stats.stream = out  # type: ignore[attr-defined]
    stats.sort_stats("tottime").print_stats(args.top)
    stats.sort_stats("cumulative").print_stats(args.top)
    CACHE.mkdir(parents=True, exist_ok=True)
    report = CACHE / f"profile-{scenario.name}.txt"
    report.write_text(out.getvalue(), encoding="utf-8")
    print(out.getvalue()[:6000])
    print(f"full report: {report}")


if __name__ == "__main__":
    main()
