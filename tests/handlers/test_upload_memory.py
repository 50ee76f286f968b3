"""Uploads stream to disk: a file near the 10 MiB limit costs the process a small, fixed amount
of memory (traced with tracemalloc), and a body over the limit is refused with 413 while it
streams, leaving no file behind."""

from __future__ import annotations

import os
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from handlers.domain.context import domain_of
from handlers.domain.messaging import MAX_FILE
from handlers.storage.models import Attachment
from kkapp.factory import Built
from server.auth.services import auth_of
from tests.engine import client

pytestmark = [pytest.mark.anyio, pytest.mark.parametrize("sandbox", ["sqlite"], indirect=True)]
CONV, USER = "conv_test123", "test_user_123"
BOUNDARY = "kk-upload-test-boundary"
BLOCK = b"0123456789abcdef" * 4096  # 64 KiB, one object sent again and again
# Memory an upload may cost whatever the file's size (spool, parser and copy buffers, the
# database work of the message); the whole file in memory even once would be 10 MiB.
FLAT = 2 << 20


@pytest.fixture
async def built(sandbox: Built) -> AsyncIterator[Built]:
    yield sandbox
    await domain_of(sandbox.runtime.extras).db.close()


def headers(built: Built) -> dict[str, str]:
    token = auth_of(built.runtime.extras).issue_token(USER, ["write:messages"])
    return {
        "Authorization": f"Bearer {token}",
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
    }


async def multipart(blocks: int, extra: bytes = b"") -> AsyncIterator[bytes]:
    """A multipart body with one text/plain file of `blocks` × 64 KiB and `extra`, made as it
    is sent."""
    yield (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="message"\r\n\r\nbig\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.txt"'
        "\r\nContent-Type: text/plain\r\n\r\n"
    ).encode()
    for _ in range(blocks):
        yield BLOCK
    yield extra
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def first_detail(r: httpx.Response) -> str:
    return str(r.json()["errors"][0]["detail"])


def open_temporary_files() -> int:
    """Files this process holds open that are already unlinked (spooled upload parts)."""
    found = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            found += os.readlink(f"/proc/self/fd/{fd}").endswith("(deleted)")
        except FileNotFoundError:  # closed meanwhile (the listing's own descriptor)
            pass
    return found


async def test_an_upload_near_the_limit_keeps_memory_flat(built: Built) -> None:
    blocks = MAX_FILE // len(BLOCK)  # a file of exactly 10 MiB, the most an upload may be
    async with client(built.app) as c:
        warm = await c.post(
            f"/v1/conversations/{CONV}/files", content=multipart(1), headers=headers(built)
        )
        assert warm.status_code == 201, warm.text  # imports, pools and caches made before
        tracemalloc.start()
        try:
            before, _ = tracemalloc.get_traced_memory()
            r = await c.post(
                f"/v1/conversations/{CONV}/files", content=multipart(blocks), headers=headers(built)
            )
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert r.status_code == 201, r.text
    size = blocks * len(BLOCK)
    assert r.json()["data"]["attributes"]["size"] == size
    print(f"upload of {size} bytes: peak memory growth {peak - before} bytes")
    assert peak - before < FLAT
    domain = domain_of(built.runtime.extras)
    async with domain.db.session() as s:
        row = await s.get(Attachment, r.json()["data"]["id"])
    assert row is not None and (Path(domain.data_dir) / row.path).stat().st_size == size


async def test_a_file_one_byte_over_10_mib_is_413_and_leaves_no_file(built: Built) -> None:
    uploads = Path(domain_of(built.runtime.extras).data_dir) / "uploads"
    async with client(built.app) as c:
        r = await c.post(
            f"/v1/conversations/{CONV}/files",
            content=multipart(MAX_FILE // len(BLOCK), b"!"),
            headers=headers(built),
        )
    assert r.status_code == 413, r.text
    assert first_detail(r) == f"The file exceeds {MAX_FILE} bytes"
    assert not uploads.exists() or not any(uploads.iterdir())


async def test_a_body_over_the_limit_is_413_while_streaming_and_leaves_no_file(
    built: Built,
) -> None:
    uploads = Path(domain_of(built.runtime.extras).data_dir) / "uploads"
    spooled = open_temporary_files()
    async with client(built.app) as c:
        r = await c.post(
            f"/v1/conversations/{CONV}/files",
            content=multipart(MAX_FILE // len(BLOCK) + 16),
            headers=headers(built),
        )
    assert r.status_code == 413, r.text
    assert r.json()["errors"][0]["code"] == "PAYLOAD_TOO_LARGE"
    assert not uploads.exists() or not any(uploads.iterdir())
    assert open_temporary_files() == spooled  # the partial spool file is closed and gone
