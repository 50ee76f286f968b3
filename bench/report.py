"""Medians over runs, the targets of issue 7, and the generated part of bench/RESULTS.md."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.scenarios import REAL_SCENARIOS, REAL_SIDES, SCENARIOS

BEGIN = "<!-- bench/run.py: begin (generated, do not edit by hand) -->"
END = "<!-- bench/run.py: end -->"
Results = dict[str, Any]


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def side(results: Results, scenario: str, who: str, key: str) -> float | None:
    values = []
    for run in results["runs"]:
        got = run["scenarios"].get(scenario, {}).get(who)
        if isinstance(got, dict) and got.get(key) is not None:
            values.append(float(got[key]))
    return median(values)


def server(results: Results, key: str, metric: str) -> float | None:
    values = [_num(run["servers"], key, metric) for run in results["runs"]]
    return median([v for v in values if v is not None])


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _num(node: Any, *keys: str) -> float | None:
    for key in keys:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return float(node) if isinstance(node, int | float) else None


def run_ratios(
    results: Results, scenario: str, key: str, a: str = "kk", b: str = "prism"
) -> list[float]:
    """a/b (kk/Prism) of one metric, per run: both were measured minutes apart under the
    same load."""
    out = []
    for run in results["runs"]:
        got = ratio(
            _num(run["scenarios"], scenario, a, key),
            _num(run["scenarios"], scenario, b, key),
        )
        if got is not None:
            out.append(got)
    return out


def server_ratios(results: Results, metric: str) -> list[float]:
    out = []
    for run in results["runs"]:
        got = ratio(_num(run["servers"], "kk", metric), _num(run["servers"], "prism", metric))
        if got is not None:
            out.append(got)
    return out


def status(results: Results, scenario: str) -> str:
    notes = {run["scenarios"].get(scenario, {}).get("status", "") for run in results["runs"]}
    notes.discard("")
    notes.discard("ok")
    return "; ".join(sorted(notes))


def _f(value: float | None, fmt: str = ",.0f", suffix: str = "") -> str:
    return "–" if value is None else format(value, fmt) + suffix


def http_table(results: Results) -> list[str]:
    rows = [
        "| scenario | kk req/s | kk p50 / p99 ms | Prism req/s | Prism p50 / p99 ms "
        "| req/s kk/Prism | p99 kk/Prism | body bytes kk / Prism |",
        "|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for s in SCENARIOS:
        if s.sides or not any(s.name in run["scenarios"] for run in results["runs"]):
            continue
        kk = [side(results, s.name, "kk", k) for k in ("rps", "p50_ms", "p99_ms")]
        pr = [side(results, s.name, "prism", k) for k in ("rps", "p50_ms", "p99_ms")]
        title = s.title + (f" ({status(results, s.name)})" if status(results, s.name) else "")
        rows.append(
            f"| {title} | {_f(kk[0])} | {_f(kk[1], '.2f')} / {_f(kk[2], '.2f')} "
            f"| {_f(pr[0])} | {_f(pr[1], '.2f')} / {_f(pr[2], '.2f')} "
            f"| {_f(median(run_ratios(results, s.name, 'rps')), '.1f', '×')} "
            f"| {_f(median(run_ratios(results, s.name, 'p99_ms')), '.2f')} "
            f"| {_f(side(results, s.name, 'kk', 'body_bytes'), '.0f')} / "
            f"{_f(side(results, s.name, 'prism', 'body_bytes'), '.0f')} |"
        )
    return rows


def real_table(results: Results) -> list[str]:
    """Issue 14: the real handlers and kk mock (and the GraphQL anchor), same request bytes."""
    present = [
        s for s in REAL_SCENARIOS if any(s.name in run["scenarios"] for run in results["runs"])
    ]
    if not present:
        return []
    heads = " | ".join(f"{title} req/s (p50 / p99 ms)" for title in REAL_SIDES.values())
    rows = [
        f"| scenario | {heads} | sandbox/mock | serve/sandbox | body bytes (sandbox) |",
        "|---|" + "--:|" * (len(REAL_SIDES) + 3),
    ]
    for s in present:
        cells = []
        for who in REAL_SIDES:
            rps, p50, p99 = (side(results, s.name, who, k) for k in ("rps", "p50_ms", "p99_ms"))
            cells.append("–" if rps is None else f"{_f(rps)} ({_f(p50, '.1f')} / {_f(p99, '.1f')})")
        title = s.title + (f" ({status(results, s.name)})" if status(results, s.name) else "")
        rows.append(
            f"| {title} | {' | '.join(cells)} "
            f"| {_f(median(run_ratios(results, s.name, 'rps', 'sandbox', 'mock')), '.2f')} "
            f"| {_f(median(run_ratios(results, s.name, 'rps', 'serve_pg', 'sandbox')), '.2f')} "
            f"| {_f(side(results, s.name, 'sandbox', 'body_bytes'), '.0f')} |"
        )
    return rows


def _worst_p99(results: Results) -> list[float]:
    """Per run, the highest p99 (ms) of the real handlers over the issue 14 scenarios."""
    out = []
    for run in results["runs"]:
        values = [
            _num(run["scenarios"], s.name, who, "p99_ms")
            for s in REAL_SCENARIOS
            for who in ("sandbox", "serve_pg")
        ]
        found = [v for v in values if v is not None]
        if found:
            out.append(max(found))
    return out


def _rps(scenario: str, a: str, b: str) -> Callable[[Results], list[float]]:
    return lambda r: run_ratios(r, scenario, "rps", a, b)


def server_table(results: Results) -> list[str]:
    rows = [
        "| server | start-up to first 200 | CPU used by then | peak RSS after the GETs "
        "| peak RSS at the end (process tree) |",
        "|---|--:|--:|--:|--:|",
    ]
    for key, name in results["server_names"].items():
        rows.append(
            f"| {name} | {_f(server(results, key, 'startup_s'), '.2f', ' s')} "
            f"| {_f(server(results, key, 'startup_cpu_s'), '.2f', ' s')} "
            f"| {_f(server(results, key, 'rss_reads_mb'), '.0f', ' MB')} "
            f"| {_f(server(results, key, 'rss_mb'), '.0f', ' MB')} |"
        )
    return rows


# (target, per-run kk/Prism values, unit, bound, True: must be >= bound; False: <= bound)
Check = tuple[str, Callable[[Results], list[float]], str, float, bool]
TARGETS: tuple[Check, ...] = (
    (
        "GET list req/s ≥ 3× Prism -v silent",
        lambda r: run_ratios(r, "get_list", "rps"),
        "×",
        3.0,
        True,
    ),
    (
        "GET list ?limit=20 req/s ≥ 3× Prism",
        lambda r: run_ratios(r, "get_list_limit", "rps"),
        "×",
        3.0,
        True,
    ),
    ("GET list p99 ≤ ½ Prism's", lambda r: run_ratios(r, "get_list", "p99_ms"), "", 0.5, False),
    ("POST valid req/s ≥ 3× Prism", lambda r: run_ratios(r, "post_valid", "rps"), "×", 3.0, True),
    (
        "POST invalid req/s ≥ 3× Prism",
        lambda r: run_ratios(r, "post_invalid", "rps"),
        "×",
        3.0,
        True,
    ),
    (
        "dynamic list req/s ≥ 20× Prism -d (the same request again)",
        lambda r: run_ratios(r, "dynamic_list", "rps"),
        "×",
        20.0,
        True,
    ),
    (
        "dynamic list req/s ≥ 20× Prism -d (a new page each request)",
        lambda r: run_ratios(r, "dynamic_new", "rps"),
        "×",
        20.0,
        True,
    ),
    ("peak RSS ≤ ⅓ of Prism's (whole run)", lambda r: server_ratios(r, "rss_mb"), "", 1 / 3, False),
    (
        "peak RSS ≤ ⅓ of Prism's (after the GETs, before any POST)",
        lambda r: server_ratios(r, "rss_reads_mb"),
        "",
        1 / 3,
        False,
    ),
    ("start-up ≤ ½ of Prism's", lambda r: server_ratios(r, "startup_s"), "", 0.5, False),
)


REAL_TARGETS: tuple[Check, ...] = (
    ("sandbox GET list ≥ ⅓ of kk mock", _rps("real_list", "sandbox", "mock"), "×", 1 / 3, True),
    ("sandbox GET one ≥ ½ of kk mock", _rps("real_one", "sandbox", "mock"), "×", 0.5, True),
    (
        "sandbox user's bookings ≥ ½ of kk mock",
        _rps("real_user_bookings", "sandbox", "mock"),
        "×",
        0.5,
        True,
    ),
    (
        "sandbox POST booking ≥ ⅓ of kk mock",
        _rps("real_post_booking", "sandbox", "mock"),
        "×",
        1 / 3,
        True,
    ),
    *(
        (
            f"serve PG 2 workers within 2× of SQLite: {name}",
            _rps(name, "serve_pg", "sandbox"),
            "×",
            0.5,
            True,
        )
        for name in ("real_list", "real_one", "real_user_bookings", "real_post_booking")
    ),
    (
        "GraphQL: kk mock ≥ @graphql-tools/mock",
        _rps("real_graphql", "mock", "graphql_tools"),
        "×",
        1.0,
        True,
    ),
    (
        "GraphQL: sandbox ≥ @graphql-tools/mock",
        _rps("real_graphql", "sandbox", "graphql_tools"),
        "×",
        1.0,
        True,
    ),
    ("p99 ≤ 50 ms (worst real-path scenario)", _worst_p99, " ms", 50.0, False),
)


def _meets(value: float, bound: float, at_least: bool) -> bool:
    return value >= bound if at_least else value <= bound


def target_table(
    results: Results, targets: tuple[Check, ...] = TARGETS, what: str = "kk/Prism"
) -> list[str]:
    rows = [
        f"| target | {what}: median of the runs (range) | met | runs meeting it |",
        "|---|--:|:-:|--:|",
    ]
    for name, measure, unit, bound, at_least in targets:
        values = measure(results)

        value = median(values)
        if value is None:
            rows.append(f"| {name} | – | pending | – |")
            continue
        spread = f"{min(values):.2f}–{max(values):.2f}"
        verdict = "yes" if _meets(value, bound, at_least) else "**no**"
        rows.append(
            f"| {name} | {value:.2f}{unit} ({spread}) | {verdict} "
            f"| {sum(_meets(v, bound, at_least) for v in values)}/{len(values)} |"
        )
    return rows


def ws_lines(results: Results) -> list[str]:
    runs = [run["ws"] for run in results["runs"] if run.get("ws")]
    if not runs:
        return []
    eps = median([float(w["events_per_s"]) for w in runs])
    p50 = median([float(w["p50_ms"]) for w in runs])
    p99 = median([float(w["p99_ms"]) for w in runs])
    return [
        "| clients | events/s delivered (sum over clients) | delivery latency p50 / p99 |",
        "|--:|--:|--:|",
        f"| {runs[0]['clients']} | {_f(eps)} | {_f(p50, '.1f')} / {_f(p99, '.1f')} ms |",
    ]


def render(results: Results) -> str:
    cfg = results["config"]
    lines = [
        BEGIN,
        "",
        f"Date: {results['date']}. Machine: {results['versions'].get('machine', '?')}.",
        "Versions: "
        + ", ".join(f"{k} {v}" for k, v in results["versions"].items() if k != "machine")
        + ".",
        f"Load: {cfg['load']} (-t{cfg['threads']} -c{cfg['connections']}, {cfg['duration']:g} s "
        f"after a {cfg['warmup']:g} s warm-up), medians of {cfg['runs']} runs; kk and Prism "
        "alternate within each run (both up, one loaded at a time).",
        f"Command: `{cfg['command']}`",
        "Load average (1 min) before/after each run, other work included: "
        + ", ".join(
            f"{r.get('load_before', 0):.1f}/{r.get('load_after', 0):.1f}" for r in results["runs"]
        )
        + ".",
        "",
        "### HTTP",
        "",
        *http_table(results),
        "",
        "### Start-up and memory",
        "",
        *server_table(results),
        "",
        "### Targets (issue 7)",
        "",
        *target_table(results),
    ]
    real = real_table(results)
    if real:
        lines += [
            "",
            "### The real handlers side by side with kk mock (issue 14)",
            "",
            *real,
            "",
            *target_table(results, REAL_TARGETS, "ratio"),
        ]
    ws = ws_lines(results)
    if ws:
        lines += ["", "### WebSocket fan-out (`/ws`, channel `bookings`; kk only)", "", *ws]
    if results.get("notes"):
        lines += ["", *[f"- {n}" for n in results["notes"]]]
    return "\n".join([*lines, "", END])


def write_results(path: Path, results: Results) -> None:
    """Replace the generated block of RESULTS.md, keeping everything written by hand."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    block = render(results)
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        text = head + block + tail
    else:
        text = (
            text.rstrip("\n") + "\n\n## Side by side with Prism (bench/run.py)\n\n" + block + "\n"
        )
    path.write_text(text, encoding="utf-8")
