"""`kk mock` and Prism side by side on `@readme/oas-examples` documents, in one Schemathesis
positive-mode harness (documented status and content type, schema-valid body, no 5xx).

tests/anyspec/test_oas_examples.py runs kk alone on all 52 documents with this harness;
`python bench/anyspec.py [NAME ...]` runs both servers on a handful (default: HANDFUL) and
writes the side-by-side table into bench/RESULTS.md between its markers. Prism is the pinned
one of bench.peers (npm, installed on first use).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "@readme/oas-examples@8.2.2"
PREFIX = ROOT / ".kk" / "oas-examples"
EXAMPLES = PREFIX / "node_modules" / "@readme" / "oas-examples"
BIN = Path(sys.executable).parent
CHECKS = (
    "status_code_conformance,content_type_conformance,response_schema_conformance,"
    "not_a_server_error"
)
MAX_EXAMPLES = 5
HANDFUL = [
    "3.0/petstore",
    "3.0/callbacks",
    "3.0/discriminators",
    "3.0/polymorphism",
    "3.0/circular",
    "3.0/response-http-behavior",
    "3.0/security",
    "3.1/petstore",
    "3.1/train-travel",
    "3.1/security",
]
RESULTS = ROOT / "bench" / "RESULTS.md"
BEGIN, END = "<!-- anyspec:begin -->", "<!-- anyspec:end -->"


def ensure_examples() -> Path:
    """The npm package's directory (installed into .kk/oas-examples once, pinned)."""
    if not (EXAMPLES / "package.json").exists():
        PREFIX.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--prefix", str(PREFIX), "--no-audit", "--no-fund", PACKAGE],
            check=True,
            capture_output=True,
            timeout=600,
        )
    return EXAMPLES


def document(name: str) -> Path:
    version, stem = name.split("/")
    return ensure_examples() / version / "yaml" / f"{stem}.yaml"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(proc: subprocess.Popen[bytes], url: str, log: Path, seconds: float) -> None:
    """Until `url` answers at all (any status); RuntimeError with the log's tail otherwise."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited: {log.read_text()[-2000:]}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"the server did not start within {seconds:.0f} s")


def schemathesis(
    spec: Path | str, origin: str, cwd: Path, extra: Sequence[str] = ()
) -> subprocess.CompletedProcess[str]:
    """The harness: positive mode, the checks above, a small seeded budget, no shrinking;
    `extra` options (Schemathesis' --include-* filters) narrow a huge document."""
    command = [
        str(BIN / "schemathesis"),
        "run",
        str(spec),
        "--origin",
        origin,
        "--mode",
        "positive",
        "--checks",
        CHECKS,
        "--max-examples",
        str(MAX_EXAMPLES),
        "--phases",
        "examples,fuzzing",
        "--seed",
        "1",
        "--no-shrink",
        "--workers",
        "1",
        *extra,
    ]
    env = {**os.environ, "SCHEMATHESIS_TELEMETRY": "false"}
    return subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=cwd, env=env)


def server_command(server: str, spec: Path, port: int) -> list[str]:
    if server == "kk":
        return [str(BIN / "kk"), "mock", "--spec", str(spec), "--port", str(port)]
    from bench.peers import ensure_prism

    return [str(ensure_prism()), "mock", "-h", "127.0.0.1", "-p", str(port), str(spec)]


def verdict(run: subprocess.CompletedProcess[str]) -> str:
    """`pass`, or `fail` with Schemathesis' count of failures."""
    if run.returncode == 0 or "The schema defines no API operations" in run.stdout:
        return "pass"
    found = re.search(r"(\d+) (?:unique )?failures?", run.stdout)
    return f"fail ({found[1]} failures)" if found else "fail"


def run_one(server: str, name: str) -> str:
    spec = document(name)
    with tempfile.TemporaryDirectory() as tmp:
        port, log = free_port(), Path(tmp) / "server.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                server_command(server, spec, port), stdout=out, stderr=subprocess.STDOUT, cwd=tmp
            )
        try:
            wait_until_up(proc, f"http://127.0.0.1:{port}/", log, 120)
            return verdict(schemathesis(spec, f"http://127.0.0.1:{port}", Path(tmp)))
        except RuntimeError as e:
            return f"does not start: {str(e).splitlines()[-1][:80]}"
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def prism_version() -> str:
    from bench.peers import PRISM_VERSION

    return PRISM_VERSION


def table(rows: list[tuple[str, str, str]]) -> str:
    kk = sum(r[1] == "pass" for r in rows)
    prism = sum(r[2] == "pass" for r in rows)
    lines = [
        BEGIN,
        f"Schemathesis positive mode, {MAX_EXAMPLES} examples per operation, seed 1, checks "
        f"`{CHECKS}` (bench/anyspec.py); `{PACKAGE}`; Prism {prism_version()} (npm, "
        "bench.peers); a failure count is Schemathesis' unique failures:",
        "",
        "| document | kk mock | Prism |",
        "|---|---|---|",
        *(f"| {n} | {k} | {p} |" for n, k, p in rows),
        f"| **passed** | **{kk} of {len(rows)}** | **{prism} of {len(rows)}** |",
        END,
    ]
    return "\n".join(lines)


def main(names: list[str]) -> None:
    rows = []
    for name in names or HANDFUL:
        rows.append((name, run_one("kk", name), run_one("prism", name)))
        print(*rows[-1], sep="\t", flush=True)
    text = RESULTS.read_text()
    block = table(rows)
    if BEGIN in text:
        text = text[: text.index(BEGIN)] + block + text[text.index(END) + len(END) :]
    else:
        text += "\n## kk mock and Prism on other specs\n\n" + block + "\n"
    RESULTS.write_text(text)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main(sys.argv[1:])
