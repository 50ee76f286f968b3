"""What `build` loads: `kk mock` (identity and limits off) runs without the identity store,
the token and password libraries, the rate limiter or the webhook HTTP client."""

from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner

from kkapp.cli import main
from tests.engine import ROOT

HEAVY = ("sqlalchemy", "jwt", "argon2", "limits", "httpx", "server.auth.services")
PROBE = """
import sys
from kkapp.cli import main
from kkapp.config import AppConfig
from kkapp.factory import build
build(AppConfig({mode!r}{extra}))
print(" ".join(m for m in {heavy!r} if m in sys.modules))
"""


def loaded_by(mode: str, extra: str = "") -> set[str]:
    code = PROBE.format(mode=mode, extra=extra, heavy=HEAVY)
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return set(done.stdout.split())


def test_kk_mock_loads_no_identity_limits_or_webhook_client() -> None:
    assert loaded_by("mock") == set()


def test_the_sandbox_still_loads_identity_and_limits() -> None:
    assert {"sqlalchemy", "jwt", "argon2", "limits"} <= loaded_by("sandbox")


def test_kk_keys_is_listed_and_loaded_when_used() -> None:
    runner = CliRunner()
    assert "keys" in runner.invoke(main, ["--help"]).output
    shown = runner.invoke(main, ["keys", "--help"])
    assert shown.exit_code == 0 and "API keys" in shown.output
