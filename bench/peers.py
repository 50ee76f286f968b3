"""The peers the benchmark needs, installed on first use: Prism (npm) and wrk (Debian)."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

from bench.servers import CACHE, ROOT

PRISM_PACKAGE = "@stoplight/prism-cli"
PRISM_VERSION = "5.14.2"  # the version DESIGN.md and issue 7 measured
NODE_DIR = CACHE / "node"


def prism_binary() -> Path:
    return NODE_DIR / "node_modules" / ".bin" / "prism"


def ensure_prism(log: bool = True) -> Path:
    """Prism, pinned, installed with npm into .kk/bench/node (once)."""
    binary = prism_binary()
    if binary.exists() and installed_prism_version() == PRISM_VERSION:
        return binary
    if shutil.which("npm") is None:
        raise RuntimeError("npm is needed to install Prism (apt-get install -y npm)")
    if log:
        print(f"installing {PRISM_PACKAGE}@{PRISM_VERSION} into {NODE_DIR} ...", flush=True)
    NODE_DIR.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "npm",
            "install",
            "--prefix",
            str(NODE_DIR),
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            f"{PRISM_PACKAGE}@{PRISM_VERSION}",
        ],
        check=True,
    )
    return binary


# The GraphQL anchor (bench/node/graphql_tools.mjs), pinned like Prism.
GRAPHQL_TOOLS = {
    "graphql": "16.15.0",
    "@graphql-tools/schema": "10.1.5",
    "@graphql-tools/mock": "9.1.14",
    "graphql-http": "1.23.1",
}


def ensure_graphql_tools(install: bool = True) -> Path | None:
    """The node_modules' directory with GRAPHQL_TOOLS (installed with npm once), or None
    when they are missing and installing is not allowed (the smoke run never downloads)."""
    if all(installed_version(name) == v for name, v in GRAPHQL_TOOLS.items()):
        return NODE_DIR
    if not install:
        return None
    if shutil.which("npm") is None or shutil.which("node") is None:
        raise RuntimeError("node and npm are needed for the GraphQL anchor (apt-get install npm)")
    print(f"installing {', '.join(GRAPHQL_TOOLS)} into {NODE_DIR} ...", flush=True)
    NODE_DIR.mkdir(parents=True, exist_ok=True)
    packages = [f"{name}@{version}" for name, version in GRAPHQL_TOOLS.items()]
    subprocess.run(
        ["npm", "install", "--prefix", str(NODE_DIR), "--no-audit", "--no-fund"]
        + ["--loglevel=error", *packages],
        check=True,
    )
    return NODE_DIR


def installed_version(package: str) -> str | None:
    manifest = NODE_DIR / "node_modules" / package / "package.json"
    if not manifest.exists():
        return None
    import orjson

    version = orjson.loads(manifest.read_bytes()).get("version")
    return str(version) if version else None


def installed_prism_version() -> str | None:
    manifest = NODE_DIR / "node_modules" / "@stoplight" / "prism-cli" / "package.json"
    if not manifest.exists():
        return None
    import orjson

    version = orjson.loads(manifest.read_bytes()).get("version")
    return str(version) if version else None


def ensure_wrk(install: bool) -> str | None:
    """wrk's path; installs Debian's package when missing and allowed (needs root)."""
    found = shutil.which("wrk")
    if found or not install:
        return found
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        return None
    print("installing wrk (apt-get install -y wrk) ...", flush=True)
    if _apt("install", "-y", "-qq", "wrk") != 0:
        _apt("update", "-qq")
        _apt("install", "-y", "-qq", "wrk")
    return shutil.which("wrk")


def _apt(*args: str) -> int:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    done = subprocess.run(
        ["apt-get", *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    return done.returncode


def versions(wrk: str | None, with_prism: bool) -> dict[str, str]:
    """What ran: the machine and every component whose version moves the numbers."""
    out = {
        "python": platform.python_version(),
        "machine": machine(),
        "kk commit": commit(),
    }
    for dist in ("uvicorn", "uvloop", "httptools", "starlette", "orjson", "jsonschema-rs"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "-"
    if wrk:
        done = subprocess.run([wrk, "--version"], capture_output=True, text=True)
        out["wrk"] = (done.stdout or done.stderr).split("[")[0].replace("wrk", "").strip()
    for name in GRAPHQL_TOOLS:
        if installed_version(name):
            out[name] = installed_version(name) or "-"
    if with_prism or installed_version("graphql"):
        if with_prism:
            out["prism"] = installed_prism_version() or "-"
        node = shutil.which("node")
        if node:
            out["node"] = subprocess.run(
                [node, "--version"], capture_output=True, text=True
            ).stdout.strip()
    return out


def commit() -> str:
    """The commit measured, `+dirty` when the work tree differs from it."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "?"
    return head + ("+dirty" if git("status", "--porcelain", "--untracked-files=no") else "")


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    system = f"{platform.system()} {platform.release()}"
    return f"{os.cpu_count()} cores ({cpu}), {mem_gib:.0f} GiB, {system}"
