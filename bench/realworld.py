"""`kk mock` on the OpenAPI documents of real public APIs that npm packages ship (pinned),
through the Schemathesis positive-mode harness of bench/anyspec.py, with start-up timed.

`python bench/realworld.py [NAME ...]` prints one row per document (name, operations,
start-up seconds, verdict); tests/anyspec/test_realworld_packages.py runs the same per
document. Huge documents are probed on a subset of their operations (`include`, Schemathesis'
own filter options); every operation is still loaded, compiled and served.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PREFIX = ROOT / ".kk" / "realworld"


@dataclass(frozen=True)
class RealWorld:
    package: str  # name@version, pinned
    path: str  # the document inside the package
    licence: str
    include: tuple[str, ...] = ()  # Schemathesis filter options for a huge document


SPECS: dict[str, RealWorld] = {
    # GitHub REST, 13 MB, 1,100+ operations: start-up is the test; a few tags are probed.
    "github": RealWorld(
        "@octokit/openapi@23.0.2",
        "generated/api.github.com.json",
        "MIT",
        ("--include-tag", "meta", "--include-tag", "emojis", "--include-tag", "gitignore"),
    ),
    # GitHub's webhooks, 3.1, webhooks only (261), 4.8 MB.
    "github-webhooks": RealWorld(
        "@octokit/openapi-webhooks@12.1.0", "generated/api.github.com.json", "MIT"
    ),
    "directus": RealWorld(
        "@directus/specs@15.2.0",
        "dist/openapi.json",
        "Monospace Sustainable Core License (not kept as a fixture)",
        ("--include-tag", "Server", "--include-tag", "Utilities", "--include-tag", "Roles"),
    ),
    "ideal-postcodes": RealWorld(
        "@ideal-postcodes/openapi@4.21.0",
        "dist/openapi.yaml",
        "proprietary (not kept as a fixture)",
    ),
    "blockfrost": RealWorld(
        "@blockfrost/openapi@0.1.93",
        "openapi.yaml",
        "MIT",
        ("--include-tag", "Health", "--include-tag", "Metrics")
        + ("--include-tag", "Cardano » Blocks"),
    ),
    "scalar-galaxy": RealWorld("@scalar/galaxy@0.6.12", "dist/3.1.yaml", "MIT"),
    "shipengine": RealWorld(
        "shipengine-openapi@1.4.0",
        "openapi.json",
        "MIT",
        ("--include-tag", "carriers", "--include-tag", "tags", "--include-tag", "warehouses"),
    ),
    "rclone": RealWorld("rclone-openapi@1.75.0", "openapi.yaml", "MIT"),
    "dialogporten": RealWorld(
        "@digdir/dialogporten-schema@1.118.6",
        "swagger.verified.json",
        "ISC",
        ("--include-method", "GET"),
    ),
}


def ensure_packages() -> Path:
    """Every package above, installed into .kk/realworld once (npm, pinned, no scripts)."""
    modules = PREFIX / "node_modules"
    missing = [s.package for s in SPECS.values() if not (modules / _name(s.package)).exists()]
    if missing:
        PREFIX.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--prefix", str(PREFIX), "--no-audit", "--no-fund"]
            + ["--ignore-scripts", "--omit=dev", *missing],
            check=True,
            capture_output=True,
            timeout=600,
        )
    return modules


def _name(package: str) -> str:
    return package.rsplit("@", 1)[0]


def document(name: str) -> Path:
    spec = SPECS[name]
    return ensure_packages() / _name(spec.package) / spec.path


def operations(path: Path) -> int:
    from kkcore.loader import read_uri, source_uri

    doc = read_uri(source_uri(path))
    methods = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
    paths = (doc.get("paths") or {}).values()
    return sum(1 for item in paths for m in item if m in methods) + len(doc.get("webhooks") or {})


def readable(spec: Path, tmp: Path) -> Path:
    """The document as Schemathesis can read it: its JSON loader refuses a byte-order mark
    (Dialogporten's .NET output has one; kk skips it), so it gets a copy without."""
    data = spec.read_bytes()
    if not data.startswith(b"\xef\xbb\xbf"):
        return spec
    copy = tmp / spec.name
    copy.write_bytes(data[3:])
    return copy


def run_one(name: str) -> tuple[str, int, str, str]:
    """(name, operations, start-up seconds, verdict) of one document under `kk mock`."""
    from bench.anyspec import BIN, free_port, schemathesis, verdict, wait_until_up

    spec = document(name)
    with tempfile.TemporaryDirectory() as tmp:
        port, log = free_port(), Path(tmp) / "server.log"
        command = [str(BIN / "kk"), "mock", "--spec", str(spec), "--port", str(port)]
        started = time.monotonic()
        with log.open("wb") as out:
            proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=tmp)
        try:
            origin = f"http://127.0.0.1:{port}"
            wait_until_up(proc, origin + "/healthz", log, 300)
            up = f"{time.monotonic() - started:.1f}"
            run = schemathesis(readable(spec, Path(tmp)), origin, Path(tmp), SPECS[name].include)
            return name, operations(spec), up, verdict(run)
        except RuntimeError as e:
            return name, operations(spec), "-", f"does not start: {str(e).splitlines()[-1][:80]}"
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    for name in sys.argv[1:] or list(SPECS):
        print(*run_one(name), sep="\t", flush=True)
