"""One live sandbox (uvicorn on a free loopback port) for every SDK test of the session.

The Python SDK is imported from sdks/python (it is its own distribution, not installed in the
kit's virtualenv). `fresh_sandbox` restores the seeded data before a test and frees the
reference's booking slot (prac_123, 2024-01-01T10:00:00Z), which the seeded example booking
`booking_123` holds, so the reference's snippets can run as printed.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from contracts.runner import serve_in_thread
from handlers.rest.oauth import ADMIN_SCOPES, SANDBOX_API_KEY
from server.auth.services import auth_of
from kkapp.config import AppConfig
from tests.seeded import seeded_build

ROOT = Path(__file__).resolve().parents[2]
PYTHON_SDK = ROOT / "sdks" / "python"
if str(PYTHON_SDK) not in sys.path:
    sys.path.insert(0, str(PYTHON_SDK))

REFERENCE_BOOKING = "booking_123"  # the seeded booking on the reference's slot


@dataclass(frozen=True)
class Sandbox:
    url: str  # http://127.0.0.1:<port>
    api_key: str  # the sandbox's published test key (acts as test_user_123)
    admin_token: str  # every scope, for set-up steps
    built: Any

    def admin(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {self.admin_token}"},
            timeout=60,  # a reset reseeds the database: seconds on a busy machine
        )

    def reset(self) -> None:
        """Seeded data only, and the reference's booking slot free."""
        with self.admin() as c:
            assert c.post("/__sandbox/reset").status_code == 200
            r = c.delete(f"/v1/bookings/{REFERENCE_BOOKING}")
            assert r.status_code == 200, r.text


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    data_dir = tmp_path_factory.mktemp("sandbox")
    # The clock at the spec examples' date: the collection's and SDKs' requests are the
    # examples (a health-record share "until 2024-12-31" must be ahead, at most a year).
    built = seeded_build(
        AppConfig(
            "sandbox",
            data_dir=str(data_dir),
            rate_limits="relaxed",
            options={"now": "2024-01-01T00:00:00Z"},
        )
    )
    admin = auth_of(built.runtime.extras).issue_token(
        "test_admin", sorted(ADMIN_SCOPES), user_type="admin"
    )
    with serve_in_thread(built.app) as url:
        yield Sandbox(url, SANDBOX_API_KEY, admin, built)


@pytest.fixture
def fresh_sandbox(sandbox: Sandbox) -> Sandbox:
    sandbox.reset()
    return sandbox
