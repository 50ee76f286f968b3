"""The seeded sandbox template (tests/seeded.py) holds what a sandbox seeds for itself, and is
used only where the seed would be the same."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from handlers.domain.context import domain_of
from handlers.storage.database import DB_FILE
from kkapp.config import AppConfig
from kkapp.factory import build
from tests.seeded import seed_data_dir, seeded_build, template, template_keys


def seed_time_free(value: object) -> object:
    """What two seedings may differ in: the time each row was stored (today's wall clock, not
    the app's) and the signing secret a seeded webhook is given at random."""
    if not isinstance(value, str):
        return value
    if re.fullmatch(r"whsec_\S+", value):
        return "<generated secret>"
    if re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", value):
        stored = datetime.fromisoformat(value).replace(tzinfo=UTC)
        if abs(datetime.now(UTC) - stored) < timedelta(hours=1):
            return "<seeded at>"
    return value


def rows(database: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(database) as db:
        tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        found = {
            t: sorted(
                (tuple(map(seed_time_free, r)) for r in db.execute(f'SELECT * FROM "{t}"')),
                key=repr,
            )
            for t in tables
        }
    db.close()
    return found


def test_the_template_holds_the_rows_a_sandbox_seeds_for_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    domain = domain_of(build(AppConfig("sandbox", data_dir=str(tmp_path))).runtime.extras)

    async def seed_itself() -> None:
        await domain.ready()
        await domain.db.close()

    asyncio.run(seed_itself())
    own, copied = rows(tmp_path / DB_FILE), rows(template())
    assert own == copied
    assert len(copied["practitioners"]) > 50  # the seed, not an empty schema


def test_a_sandbox_built_from_the_template_has_a_database_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    seeded_build(AppConfig("sandbox", data_dir=str(tmp_path / "a")))
    assert (tmp_path / "a" / DB_FILE).read_bytes() == template().read_bytes()
    assert not (tmp_path / "a" / DB_FILE).samefile(template())


def test_a_fresh_data_dir_gets_the_templates_signing_keys_private_and_its_own_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    template()  # built (and its key generated) before generation is refused
    with mock.patch.object(rsa, "generate_private_key", side_effect=AssertionError("generated")):
        built = seeded_build(AppConfig("sandbox", data_dir=str(tmp_path / "a")))
    keys = tmp_path / "a" / "keys"
    assert stat.S_IMODE(keys.stat().st_mode) == 0o700
    pems = sorted(keys.glob("*.pem"))
    assert [p.name for p in pems] == sorted(p.name for p in template_keys().glob("*.pem"))
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in pems)
    assert not pems[0].samefile(template_keys() / pems[0].name)
    ring = built.runtime.extras["auth"].keys
    assert ring.current.kid in pems[-1].name


def test_a_data_dir_with_its_own_keys_keeps_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    (tmp_path / "keys").mkdir()
    seed_data_dir(AppConfig("sandbox", data_dir=str(tmp_path)))
    assert list((tmp_path / "keys").iterdir()) == []


@pytest.mark.parametrize(
    "config",
    [
        {"seed": 3},
        {"options": {"seed_count": 2}},
        {"spec": "tests/fixtures/minimal31/openapi.yaml"},
        {"handlers": False},
        {"mode": "mock"},
    ],
    ids=["seed", "seed_count", "spec", "mocks-only", "mock"],
)
def test_an_app_whose_seed_differs_seeds_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config: dict[str, object]
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    seed_data_dir(AppConfig(**{"mode": "sandbox", "data_dir": str(tmp_path), **config}))
    assert not (tmp_path / DB_FILE).exists()


def test_postgresql_apps_seed_themselves(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://nowhere/kk")
    seed_data_dir(AppConfig("sandbox", data_dir=str(tmp_path)))
    assert not (tmp_path / DB_FILE).exists()


def test_a_data_dir_with_a_database_keeps_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    (tmp_path / DB_FILE).write_bytes(b"")
    seed_data_dir(AppConfig("sandbox", data_dir=str(tmp_path)))
    assert (tmp_path / DB_FILE).read_bytes() == b""
