"""Running the TypeScript packages' tools (npm, newman) from the tests.

`make sdks` installs them (`npm ci` in sdks/typescript, from its lockfile). A missing install
fails the tests instead of skipping them, so CI cannot pass without the TypeScript SDK.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.sdks.conftest import ROOT, Sandbox

TS_DIR = ROOT / "sdks" / "typescript"
BIN = TS_DIR / "node_modules" / ".bin"


def require_install() -> None:
    if not (BIN / "vitest").is_file() or not (BIN / "newman").is_file():
        pytest.fail(f"the TypeScript SDK's tools are not installed in {TS_DIR}: run `make sdks`")


def sandbox_env(sandbox: Sandbox) -> dict[str, str]:
    return {
        **os.environ,
        "KK_SANDBOX_URL": sandbox.url,
        "KK_API_KEY": sandbox.api_key,
        "KK_ADMIN_TOKEN": sandbox.admin_token,
        "NO_COLOR": "1",
        "FORCE_COLOR": "0",
    }


def run(args: list[str], env: dict[str, str], cwd: Path = TS_DIR, timeout: int = 300) -> str:
    """Run a command; fail the test with the end of its output when it fails."""
    require_install()
    result = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    output = result.stdout + result.stderr
    if result.returncode != 0:
        pytest.fail(f"{' '.join(args)} exited {result.returncode}:\n{output[-6000:]}")
    return output
