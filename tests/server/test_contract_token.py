"""Whom `kk contract` acts as on an app it starts comes from the spec (`x-sandbox-user`), not
from a Klear Karma id inside the CLI."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jwt

from generated.api_table import TABLE
from kkapp.cli.contract import contract_token
from kkcore.table import build_table
from server.auth.services import build_auth

DOC: dict[str, Any] = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}}


def subject(tmp_path: Path, table: Any) -> str:
    auth = build_auth(tmp_path, issuer="http://t", audience="http://t", scopes=["read:x"])
    built: Any = SimpleNamespace(runtime=SimpleNamespace(extras={"auth": auth}, table=table))
    token = contract_token(built)
    assert token is not None
    found: str = jwt.decode(token, options={"verify_signature": False})["sub"]
    return found


def test_the_flagship_contract_run_acts_as_the_specs_sandbox_user(tmp_path: Path) -> None:
    assert TABLE.get("sandbox_user") == "test_user_123"
    assert subject(tmp_path, TABLE) == "test_user_123"


def test_another_spec_names_its_own_user_or_gets_a_neutral_one(tmp_path: Path) -> None:
    assert subject(tmp_path, build_table(DOC | {"x-sandbox-user": "u_9"})) == "u_9"
    assert subject(tmp_path / "b", build_table(DOC)) == "contract_user"
