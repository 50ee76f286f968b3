"""kk side by side with Prism on spec/openapi.yaml: `python bench/run.py [--smoke] [...]`.

Installs its peers on first use (Prism with npm into .kk/bench/node, wrk with apt-get),
starts every server on a free loopback port, loads kk and Prism alternately, and writes the
medians into bench/RESULTS.md (raw numbers: .kk/bench/results.json). See bench/RESULTS.md.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

if not __package__:  # run as a script: import the repository, not bench/, as the root
    _root = Path(__file__).resolve().parent.parent
    _venv = _root / ".venv" / "bin" / "python"
    if _venv.exists() and Path(sys.prefix).resolve() != _venv.parent.parent.resolve():
        os.execv(str(_venv), [str(_venv), *sys.argv])
    sys.path[0] = str(_root)

import argparse  # noqa: E402
import datetime  # noqa: E402
import shlex  # noqa: E402
from dataclasses import asdict  # noqa: E402
from typing import Any  # noqa: E402

import orjson  # noqa: E402

from bench.backing import kk_serve_postgres  # noqa: E402
from bench.load import Measured, Request, once, run_python, run_wrk  # noqa: E402
from bench.peers import (  # noqa: E402
    PRISM_VERSION,
    ensure_graphql_tools,
    ensure_prism,
    ensure_wrk,
    versions,
)
from bench.report import write_results  # noqa: E402
from bench.scenarios import ALL, SCENARIOS, WS_FANOUT, Scenario  # noqa: E402
from bench.servers import (  # noqa: E402
    CACHE,
    ROOT,
    Probe,
    Running,
    ServerSpec,
    graphql_tools,
    kk_mock,
    kk_sandbox,
    prism,
    start,
)
from bench.signin import sandbox_token  # noqa: E402
from bench.ws_fanout import run_fan_out  # noqa: E402

PROBE = Probe("/practitioners", {"Authorization": "Bearer bench", "Accept": "application/json"})


def options(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument(
        "--smoke", action="store_true", help="~1 s per scenario, one run, never installs wrk"
    )
    p.add_argument("--no-prism", action="store_true", help="kk alone (no Prism install)")
    p.add_argument(
        "--serve-pg",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="measure `kk serve` on a throwaway PostgreSQL + Redis (default: yes; smoke: no)",
    )
    p.add_argument(
        "--graphql-tools",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="the @graphql-tools/mock anchor (installed with npm; smoke: only if installed)",
    )
    p.add_argument("--scenarios", nargs="+", choices=ALL, default=list(ALL), metavar="NAME")
    p.add_argument("--duration", type=float, help="seconds measured per scenario (10; smoke 1)")
    p.add_argument("--warmup", type=float, help="seconds of warm-up per scenario (3; smoke 0)")
    p.add_argument("--runs", type=int, help="runs; medians are reported (3; smoke 1)")
    p.add_argument("--load", choices=["auto", "wrk", "python"], default="auto")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--ws-clients", type=int, help="WebSocket subscribers (50; smoke 5)")
    p.add_argument(
        "--write",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="update bench/RESULTS.md (default: yes, except with --smoke)",
    )
    a = p.parse_args(argv)
    a.duration = a.duration or (1.0 if a.smoke else 10.0)
    a.warmup = a.warmup if a.warmup is not None else (0.0 if a.smoke else 3.0)
    a.runs = a.runs or (1 if a.smoke else 3)
    a.ws_clients = a.ws_clients or (5 if a.smoke else 50)
    a.write = (not a.smoke) if a.write is None else a.write
    a.serve_pg = (not a.smoke) if a.serve_pg is None else a.serve_pg
    return a


class Pending(RuntimeError):
    """A scenario whose server side is not there yet: reported, not failed."""


class Bench:
    """One benchmark session: the servers of the current run and everything measured."""

    def __init__(
        self,
        args: argparse.Namespace,
        wrk: str | None,
        prism_bin: Path | None,
        node_dir: Path | None = None,
    ) -> None:
        self.args = args
        self.wrk = wrk
        self.specs: dict[str, ServerSpec] = {
            "kk": kk_mock(),
            "kk_w2": kk_mock(workers=2),
            "sandbox": kk_sandbox(),
        }
        if args.serve_pg:
            self.specs["serve_pg"] = kk_serve_postgres(workers=2)
        if prism_bin is not None:
            self.specs["prism"] = prism(prism_bin)
            self.specs["prism_dynamic"] = prism(prism_bin, dynamic=True)
        if node_dir is not None:
            self.specs["graphql_tools"] = graphql_tools(node_dir)
        self.running: dict[str, Running] = {}
        # Peak RSS of each server before the first write: POSTs grow the sandbox's store.
        self.reads_rss: dict[str, float] = {}
        self.jwt = "bench"  # a signed-in sandbox user's access token (scenario "auth")
        self.notes: list[str] = []

    def server(self, key: str) -> Running:
        if key not in self.running:
            print(f"  starting {self.specs[key].name} ...", flush=True)
            self.running[key] = start(self.specs[key], PROBE)
            print(f"    first 200 after {self.running[key].startup_s:.2f} s", flush=True)
            if key == "sandbox":
                try:
                    self.jwt = sandbox_token(self.running[key].url)
                except Exception as e:  # the sandbox may have no OAuth server (yet)
                    raise Pending(f"no sandbox token ({e})") from e
        return self.running[key]

    def stop_all(self) -> dict[str, dict[str, float]]:
        seen = {
            k: {
                "startup_s": r.startup_s,
                "startup_cpu_s": r.startup_cpu_s,
                "rss_mb": r.peak_rss_mb(),
                "rss_reads_mb": self.reads_rss.get(k, r.peak_rss_mb()),
            }
            for k, r in self.running.items()
        }
        self.reads_rss.clear()
        for r in self.running.values():
            r.stop()
        self.running.clear()
        return seen

    def measure(self, scenario: Scenario, who: str, key: str) -> dict[str, Any]:
        if key not in self.specs:
            return {"status": f"pending: {key} not in this run (see --help)"}
        try:
            srv = self.server(key)
        except Pending as e:
            return {"status": f"pending: {e}"}
        except RuntimeError as e:
            return {"status": f"failed: {e}"}
        path = (srv.spec.base if scenario.rest else "") + scenario.request.path
        request = Request(
            scenario.request.method,
            path,
            scenario.request.lua,
            scenario.request.headers,
            scenario.request.body,
            scenario.request.slot_step,
        )
        token = self.jwt if scenario.name == "auth" else srv.token
        try:
            got, body = once(srv.url, request, token)
        except OSError as e:
            return {"status": f"failed: {who}: {e}"}
        if got != scenario.expect:
            return {"status": f"failed: {who} answered {got}, expected {scenario.expect}"}
        if scenario.name == "dynamic_list" and who == "kk":
            plain = once(srv.url, Request("GET", path, "get.lua", request.headers[:2]), token)[1]
            if plain == body:
                return {"status": "pending: kk answers the static example to Prefer: dynamic=true"}
        a = self.args
        common = {
            "duration": a.duration,
            "warmup": a.warmup,
            "token": token,
            "expect_2xx": scenario.expect < 400,
        }
        if self.wrk is not None:
            m: Measured = run_wrk(
                self.wrk, srv.url, request, threads=a.threads, connections=a.connections, **common
            )
        else:
            m = run_python(srv.url, request, connections=a.connections, **common)
        out = asdict(m)
        out["body_bytes"] = len(body)
        out["status"] = "ok"
        if m.unexpected:
            out["status"] = f"failed: {m.unexpected} unexpected statuses of {m.requests}"
        elif not m.requests:  # the first answer was checked; none came within the time
            out["status"] = f"pending: no answer completed within {a.duration:g} s"
        return out

    def one_run(self, index: int) -> dict[str, Any]:
        chosen = set(self.args.scenarios)
        run: dict[str, Any] = {"scenarios": {}, "load_before": os.getloadavg()[0]}
        for scenario in SCENARIOS:
            if scenario.name not in chosen:
                continue
            if scenario.request.method != "GET":
                for key, running in self.running.items():
                    self.reads_rss.setdefault(key, running.peak_rss_mb())
            sides = list(scenario.sides) or [("kk", scenario.kk)]
            if not scenario.sides and scenario.prism and scenario.prism in self.specs:
                sides.append(("prism", scenario.prism))
            if index % 2:
                sides.reverse()  # alternate who goes first
            result: dict[str, Any] = {}
            for who, key in sides:
                result[who] = self.measure(scenario, who, key)
                print(f"  {scenario.name:<18} {who:<13} {summary(result[who])}", flush=True)
            states = [r["status"] for r in result.values() if r["status"] != "ok"]
            result["status"] = "; ".join(states) or "ok"
            run["scenarios"][scenario.name] = result
        if WS_FANOUT in chosen:
            try:
                fan = run_fan_out(self.server("kk").url, self.args.ws_clients, self.args.duration)
            except (RuntimeError, OSError) as e:
                run["ws_status"] = f"failed: {e}"
                print(f"  {WS_FANOUT:<15} kk    failed: {e}", flush=True)
            else:
                run["ws"] = {**asdict(fan), "events_per_s": fan.events_per_s}
                print(
                    f"  {WS_FANOUT:<15} kk    {fan.events_per_s:,.0f} events/s "
                    f"({fan.clients} clients, {fan.delivered} delivered)",
                    flush=True,
                )
        run["servers"] = self.stop_all()
        run["load_after"] = os.getloadavg()[0]
        return run


def summary(r: dict[str, Any]) -> str:
    if "rps" not in r:
        return str(r["status"])
    return f"{r['rps']:>9,.0f} req/s  p50 {r['p50_ms']:.2f} ms  p99 {r['p99_ms']:.2f} ms" + (
        "" if r["status"] == "ok" else f"  [{r['status']}]"
    )


def main(argv: list[str] | None = None) -> int:
    args = options(argv)
    wrk = None
    if args.load != "python":
        wrk = ensure_wrk(install=not args.smoke)
        if wrk is None and args.load == "wrk":
            raise SystemExit("wrk is not available")
    prism_bin = None if args.no_prism else ensure_prism()
    node_dir = ensure_graphql_tools(install=not args.smoke) if args.graphql_tools else None
    bench = Bench(args, wrk, prism_bin, node_dir)
    if wrk is None:
        bench.notes.append(
            "wrk was not available: the Python load generator ran instead; its "
            "numbers are a floor (it shares the CPU and costs more per request)"
        )
    runs = []
    try:
        for i in range(args.runs):
            print(f"run {i + 1}/{args.runs}", flush=True)
            runs.append(bench.one_run(i))
    finally:
        bench.stop_all()
    results = {
        "date": datetime.date.today().isoformat(),
        "versions": versions(wrk, prism_bin is not None),
        "config": {
            "load": "wrk" if wrk else "python load generator",
            "threads": args.threads,
            "connections": args.connections,
            "duration": args.duration,
            "warmup": args.warmup,
            "runs": args.runs,
            "command": "python bench/run.py "
            + shlex.join(argv if argv is not None else sys.argv[1:]),
            "prism": PRISM_VERSION if prism_bin else None,
        },
        "server_names": {
            k: bench.specs[k].name for k in bench.specs if any(k in r["servers"] for r in runs)
        },
        "runs": runs,
        "notes": bench.notes,
    }
    CACHE.mkdir(parents=True, exist_ok=True)
    out = CACHE / ("smoke.json" if args.smoke else "results.json")
    out.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    if args.write:
        write_results(ROOT / "bench" / "RESULTS.md", results)
    failed = [
        f"{name}: {res['status']}"
        for run in runs
        for name, res in run["scenarios"].items()
        if res["status"].startswith("failed")
    ]
    failed += [f"{WS_FANOUT}: {run['ws_status']}" for run in runs if "ws_status" in run]
    print(f"results: {out}" + ("; bench/RESULTS.md updated" if args.write else ""))
    for f in failed:
        print("FAILED", f)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
