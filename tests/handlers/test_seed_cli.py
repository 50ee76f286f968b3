"""`kk seed` and `kk keys token`: how a production deployment (staging) is prepared for
`kk contract --url`, on both databases. Production never seeds by itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from kkapp.cli import main
from kkapp.config import AppConfig
from kkapp.factory import build


@pytest.fixture
def staging(backend_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The data dir of a production server whose DATABASE_URL is an empty database."""
    monkeypatch.setenv("DATABASE_URL", backend_url)
    for name in ("KK_ISSUER", "KK_AUDIENCE", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    return str(tmp_path / "data")


def kk(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def get(data_dir: str, path: str, token: str | None = None) -> int:
    built = build(AppConfig("strict", data_dir=data_dir, rate_limits="off"))
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with TestClient(built.app) as c:
        return c.get(path, headers=headers).status_code


def test_production_starts_empty_and_kk_seed_loads_the_sandbox_data_once(staging: str) -> None:
    # A production server never seeds itself: the test practitioner does not exist yet.
    assert get(staging, "/healthz") == 200  # also makes the server's signing key
    token = kk("keys", "token", "--data-dir", staging, "--user", "u1", "--all-scopes").strip()
    assert get(staging, "/v1/practitioners/test_prac_123", token) == 404

    first = kk("seed", "--data-dir", staging)
    added = int(first.split(": ")[1].split()[0])
    assert added > 50, first  # the spec's examples, sandbox.yaml's records, 50 practitioners
    assert "0 records added" in kk("seed", "--data-dir", staging)  # idempotent
    assert get(staging, "/v1/practitioners/test_prac_123", token) == 200


def test_kk_keys_token_is_accepted_by_the_server_of_its_data_dir_only(
    staging: str, tmp_path: Path
) -> None:
    kk("seed", "--data-dir", staging)
    mine = kk(
        "keys",
        "token",
        "--data-dir",
        staging,
        "--user",
        "test_user_123",
        "--scopes",
        "read:profile",
    )
    assert get(staging, "/v1/users/test_user_123", mine.strip()) == 200
    narrow = kk(
        "keys",
        "token",
        "--data-dir",
        staging,
        "--user",
        "test_user_123",
        "--scopes",
        "read:bookings",
    )
    assert get(staging, "/v1/users/test_user_123", narrow.strip()) == 403

    other = str(tmp_path / "other")
    kk("seed", "--data-dir", other)  # another server's data dir: its own signing key
    foreign = kk("keys", "token", "--data-dir", other, "--user", "test_user_123", "--all-scopes")
    assert get(staging, "/v1/users/test_user_123", foreign.strip()) == 401


def test_kk_keys_token_refuses_a_data_dir_without_keys_and_unknown_scopes(tmp_path: Path) -> None:
    runner = CliRunner()
    empty = runner.invoke(
        main, ["keys", "token", "--data-dir", str(tmp_path), "--user", "u", "--all-scopes"]
    )
    assert empty.exit_code == 1 and "no signing keys" in empty.output
    assert not (tmp_path / "keys").exists()  # no key made that no server would accept
    unknown = runner.invoke(
        main,
        [
            "keys",
            "token",
            "--data-dir",
            str(tmp_path),
            "--user",
            "u",
            "--scopes",
            "read:everything",
        ],
    )
    assert unknown.exit_code == 2 and "read:everything" in unknown.output
