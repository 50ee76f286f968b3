"""Streamed multipart bodies (server.uploads): whatever the file's size and however the body
is cut into chunks, a body within the limit reaches the handler byte for byte and one over it
is 413, and no spooled file stays open after the request."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from server.binding import OperationGroup
from server.ports import OperationRequest
from server.responses import Reply
from server.uploads import SPOOL_MAX
from tests.engine import client, engine_app

LIMIT = 4 * SPOOL_MAX  # big enough that a file rolls over to disk before the limit
BOUNDARY = "b0undary"
photos = OperationGroup("photos")
seen: list[Any] = []


@photos.operation("uploadPhoto")
async def upload_photo(request: OperationRequest[Any, Any]) -> Reply:
    upload = request.body["file"]
    seen.append(upload)
    digest = hashlib.sha256(b"".join(upload.chunks())).hexdigest()
    return Reply(201, {"size": upload.size, "sha256": digest})


APP, _ = engine_app("minimal31", mode="sandbox", groups=[photos], max_body_size=LIMIT)


def body(data: bytes) -> bytes:
    return (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
            f"Content-Type: image/png\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )


async def chunked(raw: bytes, cuts: list[int]) -> AsyncIterator[bytes]:
    start = 0
    for cut in sorted({c % (len(raw) + 1) for c in cuts}):
        yield raw[start:cut]
        start = cut
    yield raw[start:]


async def send(raw: bytes, cuts: list[int]) -> Any:
    async with client(APP) as c:
        return await c.post(
            "/api/items/3/photo",
            content=chunked(raw, cuts),
            headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"},
        )


@given(
    size=st.integers(0, LIMIT + 1024),
    byte=st.binary(min_size=1, max_size=1),
    cuts=st.lists(st.integers(0, LIMIT * 2), max_size=8),
)
@settings(max_examples=40, deadline=None)
def test_a_streamed_upload_arrives_whole_within_the_limit_and_is_413_past_it(
    size: int, byte: bytes, cuts: list[int]
) -> None:
    data = byte * size
    raw = body(data)
    seen.clear()
    r = asyncio.run(send(raw, cuts))
    if len(raw) <= LIMIT:
        assert r.status_code == 201, r.text
        assert r.json() == {"size": size, "sha256": hashlib.sha256(data).hexdigest()}
    else:
        assert r.status_code == 413 and r.json()["errors"][0]["code"] == "PAYLOAD_TOO_LARGE"
    assert all(upload.file.closed for upload in seen)  # closed when the request ended


def test_a_file_over_the_spool_size_is_on_disk_not_in_memory() -> None:
    seen.clear()
    r = asyncio.run(send(body(b"x" * (SPOOL_MAX + 1)), []))
    assert r.status_code == 201, r.text
    [upload] = seen
    # the SpooledTemporaryFile rolled over to an (anonymous) file on disk
    assert upload.file.closed and getattr(upload.file, "_rolled", None) is True
