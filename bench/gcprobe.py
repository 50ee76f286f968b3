"""`kk` with every garbage collection timed: where a served process's stalls come from.

    KK_GC_PROBE=out.json python bench/gcprobe.py mock --port 8000

runs the `kk` command line with a `gc.callbacks` probe and, when the process exits (the
server stopped by SIGINT/SIGTERM), writes per generation the count of collections, their
total and longest pause, the ten longest pauses with their time since start-up, and the
objects tracked (and frozen) at exit.
"""

from __future__ import annotations

import atexit
import collections
import gc
import json
import os
import sys
import time
from typing import Any

_started: list[float] = []
_walks: list[int] = []  # objects in the generations each full collection walks
_pauses: list[tuple[int, float, float]] = []  # generation, at, seconds
_t0 = time.perf_counter()  # at_s: seconds since this epoch
EPOCH = time.time()


def _probe(phase: str, info: dict[str, Any]) -> None:
    now = time.perf_counter()
    if phase == "start":
        if info["generation"] == 2:  # what it will walk (counted before its clock starts)
            _walks.append(sum(len(gc.get_objects(g)) for g in (0, 1, 2)))
        _started.append(time.perf_counter())
        return
    if not _started:
        return
    began = _started.pop()
    _pauses.append((int(info["generation"]), began - _t0, now - began))


def _report() -> None:
    out = os.environ.get("KK_GC_PROBE")
    if not out:
        return
    summary: dict[str, Any] = {"epoch": EPOCH}
    for generation in (0, 1, 2):
        mine = [p for p in _pauses if p[0] == generation]
        summary[str(generation)] = {
            "count": len(mine),
            "total_ms": round(sum(p[2] for p in mine) * 1000, 1),
            "max_ms": round(max((p[2] for p in mine), default=0.0) * 1000, 1),
        }
    longest = sorted(_pauses, key=lambda p: p[2], reverse=True)[:10]
    summary["longest"] = [
        {"generation": g, "at_s": round(at, 1), "ms": round(s * 1000, 1)} for g, at, s in longest
    ]
    full = [(at, s) for g, at, s in _pauses if g == 2]
    summary["full"] = [
        {"at_s": round(at, 1), "ms": round(s * 1000, 1), "walked": walked}
        for (at, s), walked in zip(full, _walks, strict=False)
    ]
    summary["frozen"] = gc.get_freeze_count()
    kinds = collections.Counter(type(o).__name__ for o in gc.get_objects())
    summary["tracked_kinds"] = kinds.most_common(8)
    summary["tracked_at_exit"] = len(gc.get_objects())
    with open(out, "w") as handle:
        json.dump(summary, handle, indent=1)


def main() -> None:
    gc.callbacks.append(_probe)
    atexit.register(_report)
    from kkapp.cli import main as kk

    sys.argv[0] = "kk"
    kk()


if __name__ == "__main__":
    main()
