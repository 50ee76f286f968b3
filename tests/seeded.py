"""A seeded sandbox database made once per test process, copied into each fresh data dir.

A `kk sandbox` app migrates and seeds its SQLite database on first use: about a second of CPU
per app, and many tests build sandbox apps of their own. `seed_data_dir` puts a copy of a
database that the same code migrated and seeded (`Domain.ready()`, as an app's lifespan runs
it) into a data dir that has none yet, so each test still gets a database of its own, in the
state a fresh sandbox starts from (but for the time its rows were stored and the random
secret of the seeded webhook: tests/test_seeded_template.py). A fresh data dir (no database,
no signing keys) gets the template app's keys too (generating a 2048-bit RSA key costs ~65 ms
of CPU): the seeded apps of one process sign with the same key, as workers sharing a data dir
do, while their databases, revocations and clients stay their own; tests of keys and tokens
across data dirs build their apps the plain way. The template is built per process, on first
use, from the code and spec of this run: nothing is cached across runs, so it cannot go stale.
Apps whose seed would differ (another spec, seed or seed count, or PostgreSQL) seed themselves,
and so do the tests of migrating and seeding (tests/handlers/test_lifecycle.py,
test_seed_cli.py, test_file_modes.py build their apps the plain way).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from handlers.domain.context import domain_of
from handlers.storage.database import DB_FILE
from kkapp.config import AppConfig
from kkapp.factory import build

# What changes the seed: an app given any of these builds its own.
SEED_INPUTS = ("seed", "seed_count")
KEYS = "keys"  # server/auth/services.py: `<data_dir>/keys`
_template: Path | None = None
_lock = threading.Lock()


def _build_template() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="kk-seeded-"))
    built = build(AppConfig("sandbox", data_dir=str(folder / "app"), rate_limits="off"))
    domain = domain_of(built.runtime.extras)

    async def prepare() -> None:
        await domain.ready()  # migrate, then load the seed
        await domain.db.close()

    with ThreadPoolExecutor(1) as pool:  # callers may be inside a running event loop
        pool.submit(asyncio.run, prepare()).result()
    # SQLite's backup API: one consistent file whatever is left in the write-ahead log
    target = folder / DB_FILE
    with (
        sqlite3.connect(folder / "app" / DB_FILE) as source,
        sqlite3.connect(target) as copy,
    ):
        source.backup(copy)
    source.close()
    copy.close()
    return target


def template_keys() -> Path:
    """The signing keys of the app that seeded the template."""
    return template().parent / "app" / KEYS


def template() -> Path:
    """The seeded database of this process (built on first call)."""
    global _template
    with _lock:
        if _template is None:
            _template = _build_template()
        return _template


def seeds_like_the_template(config: AppConfig) -> bool:
    options = dict(config.options or {})
    return (
        config.mode == "sandbox"
        and config.handlers is not False  # a mocks-only sandbox has no database
        and config.spec is None
        and not config.seed
        and not any(options.get(name) is not None for name in SEED_INPUTS)
        and not os.environ.get("DATABASE_URL")
    )


def seed_data_dir(config: AppConfig) -> AppConfig:
    """`config`, its data dir given a copy of the seeded database if it has no database yet
    and its seed is the default one; otherwise untouched."""
    data_dir = Path(config.data_dir) if config.data_dir else None
    if data_dir is None or not seeds_like_the_template(config):
        return config
    target = data_dir / DB_FILE
    if not target.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template(), target)  # the app makes it 0600 when it opens it
        keys = data_dir / KEYS
        if not keys.exists():  # modes kept: 0700 folder, 0600 keys
            shutil.copytree(template_keys(), keys, ignore=shutil.ignore_patterns(".lock"))
    return config


def seeded_build(config: AppConfig) -> Any:
    """`kkapp.factory.build(config)` on a data dir seeded from the template."""
    return build(seed_data_dir(config))
