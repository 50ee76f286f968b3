"""Data at rest readable by the server's user only: the data directory 0700, its files 0600.

The database holds personal and health data and webhook secrets, the identity store hashed
credentials, uploads whatever people sent: no other local user may read them. New files are
created with these modes (SQLite gives its -wal/-shm files the database file's mode); files
of an older run are tightened when a server starts (`lock_down`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

DIR_MODE = 0o700
FILE_MODE = 0o600
STORES = ("klearkarma.db", "identity.sqlite3")
SQLITE_SIBLINGS = ("", "-wal", "-shm", "-journal")
PRIVATE_DIRS = ("keys", "uploads")
PRIVATE_FILES = ("clients.json",)


def private_dir(path: Path) -> Path:
    """`path` (and missing parents) created as 0700; an existing one is tightened."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    with contextlib.suppress(OSError):  # not ours (a mounted volume): leave it to its owner
        path.chmod(DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """`path` created empty as 0600 if missing (before SQLite or a writer opens it)."""
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    os.close(fd)
    with contextlib.suppress(OSError):
        path.chmod(FILE_MODE)
    return path


def write_private(path: Path, data: bytes) -> None:
    """`data` into a new file `path` created 0600 (whole or not at all: then renamed)."""
    partial = path.with_name(path.name + ".part")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(partial, path)


@contextlib.contextmanager
def write_private_stream(path: Path) -> Iterator[BinaryIO]:
    """A new file `path` created 0600, written in pieces: renamed into place when the block
    ends, removed if it raises (no partial file is ever left under `path`'s name or beside)."""
    partial = path.with_name(path.name + ".part")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def lock_down(data_dir: Path) -> None:
    """Start-up: the data directory 0700 and what the server keeps in it 0600 (stores and
    their journals, keys, uploads, clients), also when an older run left them readable."""
    private_dir(data_dir)
    names = [f"{store}{suffix}" for store in STORES for suffix in SQLITE_SIBLINGS]
    for path in [data_dir / n for n in (*names, *PRIVATE_FILES)]:
        if path.is_file():
            with contextlib.suppress(OSError):
                path.chmod(FILE_MODE)
    for name in PRIVATE_DIRS:
        folder = data_dir / name
        if not folder.is_dir():
            continue
        private_dir(folder)
        for path in folder.iterdir():
            if path.is_file():
                with contextlib.suppress(OSError):
                    path.chmod(FILE_MODE)
