"""Signing-key rotation, API keys kept across restarts, and the `kk keys` commands."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from click.testing import CliRunner

from handlers.rest.oauth import SANDBOX_API_KEY
from kkapp.cli import main
from kkapp.config import AppConfig
from kkapp.factory import build
from kkcore.errors import InvalidToken
from server.auth import keys as keyring
from server.auth.keys import KeyRing
from tests.auth.helpers import auth, bearer, client, sandbox

ME = "/v1/users/test_user_123"


def test_rotation_keeps_the_previous_key_so_nobody_is_logged_out(tmp_path: Path) -> None:
    before = auth(sandbox(str(tmp_path)))
    token = before.issue_token("test_user_123", ["read:profile"])
    old_kid = before.keys.current.kid

    KeyRing(tmp_path / "keys").rotate()
    after = auth(sandbox(str(tmp_path)))
    assert after.keys.current.kid != old_kid
    assert [k["kid"] for k in after.keys.jwks()["keys"]] == [after.keys.current.kid, old_kid]
    assert after.tokens.verify(token).subject == "test_user_123"

    KeyRing(tmp_path / "keys").rotate()
    latest = auth(sandbox(str(tmp_path)))
    assert old_kid not in [k["kid"] for k in latest.keys.jwks()["keys"]]
    with pytest.raises(InvalidToken, match="unknown key"):
        latest.tokens.verify(token)


def test_a_running_server_learns_a_key_rotated_by_another_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keyring, "CHECK_INTERVAL", 0.0)
    running = auth(sandbox(str(tmp_path)))
    KeyRing(tmp_path / "keys").rotate()
    newer = auth(sandbox(str(tmp_path)))  # e.g. another worker, started after the rotation
    token = newer.issue_token("test_user_123", ["read:profile"])
    assert running.tokens.verify(token).subject == "test_user_123"


def run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


async def cli(*args: str) -> str:
    """`kk ...` from an async test: the commands run their own event loop, so in a thread."""
    return await anyio.to_thread.run_sync(lambda: run(*args))


@pytest.mark.anyio
async def test_cli_api_keys_are_shown_once_survive_restarts_and_can_be_revoked(
    tmp_path: Path,
) -> None:
    data = ["--data-dir", str(tmp_path)]
    create = ["keys", "create", "--scopes", "read:profile", "--tier", "pro", "--name", "crm"]
    out = await cli(*create, "--user", "test_user_123", *data)
    secret = re.search(r"(kk_live_\S+)", out)
    key_id = re.search(r"(key_[0-9a-f]{16})", out)
    assert secret and key_id
    assert secret.group(1) not in (tmp_path / "identity.sqlite3").read_bytes().decode("latin-1")
    listed = await cli("keys", "list", *data)
    assert key_id.group(1) in listed and secret.group(1) not in listed

    app = sandbox(str(tmp_path))  # a server started after the key was made
    async with client(app.app) as c:
        ok = await c.get(ME, headers=bearer(secret.group(1)))
        await cli("keys", "revoke", key_id.group(1), *data)
        auth(app).api_keys.refresh_interval = 0  # instead of waiting up to 5 s
        refused = await c.get(ME, headers=bearer(secret.group(1)))
    assert ok.status_code == 200
    assert refused.status_code == 401
    assert "revoked" in await cli("keys", "list", "--all", *data)


def test_cli_refuses_unknown_scopes_and_tiers(tmp_path: Path) -> None:
    runner = CliRunner()
    bad_scope = runner.invoke(
        main, ["keys", "create", "--scopes", "read:everything", "--data-dir", str(tmp_path)]
    )
    bad_tier = runner.invoke(
        main,
        [
            "keys",
            "create",
            "--scopes",
            "read:profile",
            "--tier",
            "gold",
            "--data-dir",
            str(tmp_path),
        ],
    )
    assert bad_scope.exit_code != 0 and "read:everything" in bad_scope.output
    assert bad_tier.exit_code != 0 and "gold" in bad_tier.output


@pytest.mark.anyio
async def test_the_published_sandbox_key_exists_only_in_the_sandbox(tmp_path: Path) -> None:
    in_sandbox = sandbox(str(tmp_path / "sandbox"))
    strict = build(AppConfig("strict", data_dir=str(tmp_path / "strict"), rate_limits="off"))
    async with client(in_sandbox.app) as c:
        r = await c.get(ME, headers=bearer(SANDBOX_API_KEY))
    transport = httpx.ASGITransport(app=strict.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        s = await c.get(ME, headers=bearer(SANDBOX_API_KEY))
    assert r.status_code == 200
    assert s.status_code == 401


def test_a_key_file_from_elsewhere_is_checked_a_key_made_here_is_not_checked_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    # An RSA key whose CRT exponent does not match it signs with faults that leak its factors;
    # OpenSSL's consistency check refuses it, and the ring must not skip that check for a file
    # it did not make itself.
    good = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_numbers()
    broken = rsa.RSAPrivateNumbers(
        good.p, good.q, good.d, good.dmp1 + 2, good.dmq1, good.iqmp, good.public_numbers
    ).private_key(unsafe_skip_rsa_key_validation=True)
    folder = tmp_path / "keys"
    folder.mkdir()
    (folder / "00000000000000000001-foreign.pem").write_bytes(
        broken.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(ValueError):
        KeyRing(folder)

    loads: list[bytes] = []
    real = serialization.load_pem_private_key

    def counted(data: bytes, **kw: Any) -> Any:
        loads.append(data)
        return real(data, **kw)

    monkeypatch.setattr(serialization, "load_pem_private_key", counted)
    fresh = KeyRing(tmp_path / "fresh")  # generated here: known, not parsed again
    KeyRing(tmp_path / "fresh")
    assert fresh.current.private is not None and loads == []
