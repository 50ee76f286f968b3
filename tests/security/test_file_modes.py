"""Issue 15, item 10: the data directory is 0700; the database, the identity store (and
their SQLite journals), signing keys and uploads are 0600 when created, and files an older
run left readable are tightened when a server starts."""

from __future__ import annotations

import stat
from pathlib import Path

from starlette.testclient import TestClient

from kkapp.config import AppConfig
from kkapp.factory import build

SANDBOX_KEY = "kk_test_sandbox_key_for_local_development_only"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_sandbox_keeps_everything_it_writes_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    built = build(AppConfig("sandbox", data_dir=str(data), rate_limits="off"))
    with TestClient(built.app) as c:  # start-up migrates and seeds the database
        r = c.post(
            "/v1/conversations/conv_test123/files",
            files={"file": ("notes.txt", b"private", "text/plain")},
            headers={"Authorization": f"Bearer {SANDBOX_KEY}"},
        )
        assert r.status_code == 201, r.text
        assert (
            c.get(
                "/v1/users/test_user_123", headers={"Authorization": f"Bearer {SANDBOX_KEY}"}
            ).status_code
            == 200
        )
    assert mode(data) == 0o700
    written = [p for p in data.rglob("*") if p.is_file() and p.name != ".lock"]
    names = {p.name for p in written}
    assert {"klearkarma.db", "identity.sqlite3"} <= names
    assert any(p.parent.name == "uploads" for p in written)
    assert any(p.suffix == ".pem" for p in written)
    assert {str(p.relative_to(data)): oct(mode(p)) for p in written if mode(p) != 0o600} == {}
    for folder in (data / "keys", data / "uploads"):
        assert mode(folder) == 0o700


def test_files_an_older_run_left_readable_are_tightened_at_start_up(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "uploads").mkdir(parents=True)
    old = [data / "klearkarma.db", data / "klearkarma.db-wal", data / "uploads" / "file_1"]
    for path in old:
        path.write_bytes(b"")
        path.chmod(0o644)
    data.chmod(0o755)
    (data / "uploads").chmod(0o755)
    build(AppConfig("strict", data_dir=str(data), rate_limits="off"))
    assert mode(data) == 0o700 and mode(data / "uploads") == 0o700
    assert [oct(mode(p)) for p in old] == [oct(0o600)] * len(old)


def test_the_mock_leaves_the_data_directory_alone(tmp_path: Path) -> None:
    data = tmp_path / "data"
    build(AppConfig("mock", data_dir=str(data)))
    assert not data.exists()
