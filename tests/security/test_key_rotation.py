"""Issue 15, item 9: `kk keys rotate-signing-key` reaches a running server. Within the ring's
check interval it serves the new JWKS and signs with the new key; a token of a key rotated
out of the ring fails even when its verification was cached."""

from __future__ import annotations

from pathlib import Path

import jwt
import pytest
from click.testing import CliRunner

from kkapp.cli import main
from server.auth import keys as keyring
from tests.security.support import PATIENT_SCOPES, auth, client, sandbox

pytestmark = pytest.mark.anyio
ME = "/v1/users/test_user_123"


def rotate(data_dir: Path) -> None:
    """What an operator runs next to the server (another process, its own key ring)."""
    result = CliRunner().invoke(main, ["keys", "rotate-signing-key", "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output


async def test_a_rotation_by_the_cli_reaches_the_running_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keyring, "CHECK_INTERVAL", 0.0)
    built = sandbox(str(tmp_path))
    ring = auth(built).keys
    before = ring.current.kid
    async with client(built.app) as c:
        served = (await c.get("/.well-known/jwks.json")).json()["keys"]
        assert [k["kid"] for k in served] == [before]
        rotate(tmp_path)
        served = (await c.get("/.well-known/jwks.json")).json()["keys"]
    kids = [k["kid"] for k in served]
    assert len(kids) == 2 and kids[1] == before and kids[0] != before  # newest first
    token = auth(built).issue_token("test_user_123", PATIENT_SCOPES)
    assert auth(built).tokens.verify(token).claims["sub"] == "test_user_123"
    assert jwt.get_unverified_header(token)["kid"] == kids[0]  # signed with the new key


async def test_a_token_of_a_removed_key_fails_although_its_check_was_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keyring, "CHECK_INTERVAL", 0.0)
    built = sandbox(str(tmp_path))
    old = auth(built).issue_token("test_user_123", PATIENT_SCOPES)
    async with client(built.app) as c:
        headers = {"Authorization": f"Bearer {old}"}
        assert (await c.get(ME, headers=headers)).status_code == 200  # verified, cached
        rotate(tmp_path)
        assert (await c.get(ME, headers=headers)).status_code == 200  # previous key verifies
        rotate(tmp_path)  # the old key leaves the ring
        refused = await c.get(ME, headers=headers)
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["code"] == "INVALID_TOKEN"
    assert "unknown key" in refused.json()["errors"][0]["detail"]


async def test_the_ring_looks_at_the_folder_at_most_once_per_interval(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keyring, "CHECK_INTERVAL", 3600.0)
    server_ring = keyring.KeyRing(tmp_path / "keys")
    before = server_ring.current.kid
    keyring.KeyRing(tmp_path / "keys").rotate()
    assert server_ring.current.kid == before  # not looked yet: cheap on the hot path
    monkeypatch.setattr(keyring, "CHECK_INTERVAL", 0.0)
    assert server_ring.current.kid != before
