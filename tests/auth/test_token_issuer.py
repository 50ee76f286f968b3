"""`kk keys token` mints for the server's own address (--host/--port or KK_ISSUER, the same
settings as `kk sandbox|serve`), and a token of another issuer is refused with a detail that
names the issuer this server expects."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from kkapp.cli import main
from kkapp.config import AppConfig, served_issuer
from kkapp.factory import build


@pytest.fixture(autouse=True)
def no_issuer_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("KK_ISSUER", "KK_AUDIENCE"):
        monkeypatch.delenv(name, raising=False)


def mint(data_dir: Path, *options: str) -> str:
    args = ["keys", "token", "--data-dir", str(data_dir), "--user", "test_user_123"]
    result = CliRunner().invoke(main, [*args, "--scopes", "read:profile", *options])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def call(app: object, token: str) -> tuple[int, str]:
    with TestClient(app) as c:  # type: ignore[arg-type]
        r = c.get("/v1/users/test_user_123", headers={"Authorization": f"Bearer {token}"})
    detail = r.json()["errors"][0]["detail"] if r.status_code == 401 else ""
    return r.status_code, detail


def test_a_token_minted_for_the_servers_port_is_accepted_and_one_for_another_is_explained(
    tmp_path: Path,
) -> None:
    # what `kk sandbox --port 9123` builds
    config = AppConfig("sandbox", handlers=False, data_dir=str(tmp_path), rate_limits="off")
    config.issuer = served_issuer("127.0.0.1", 9123)
    app = build(config).app

    assert call(app, mint(tmp_path, "--port", "9123"))[0] == 200
    status, detail = call(app, mint(tmp_path))  # the default port, 8000
    assert status == 401
    assert "'http://127.0.0.1:8000'" in detail and "'http://127.0.0.1:9123'" in detail
    assert "--port" in detail


def test_kk_issuer_names_the_server_for_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KK_ISSUER", "https://sandbox.example.test")
    config = AppConfig("sandbox", handlers=False, data_dir=str(tmp_path), rate_limits="off")
    config.issuer = served_issuer("0.0.0.0", 8000)
    assert config.issuer == "https://sandbox.example.test"
    assert call(build(config).app, mint(tmp_path, "--port", "4444"))[0] == 200
