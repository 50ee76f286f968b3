"""Multipart bodies, streamed: memory stays flat whatever the size of the files.

The request is fed to the multipart parser (python-multipart through Starlette's
MultiPartParser) chunk by chunk as it arrives; each file part goes to a temporary file that
holds at most SPOOL_MAX bytes in memory and then rolls over to disk. The body's size limit is
counted while streaming: at the limit the parse stops with 413 and the files written so far
are closed (anonymous temporary files: closing deletes them). Text fields are held in memory,
so each is capped at MAX_FIELD. Files reach handlers as `UploadedFile`s, read in chunks, and
are closed when the request ends (`close_files`).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterator
from dataclasses import dataclass
from typing import IO, Any

from starlette.datastructures import Headers, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from kkcore.errors import BadRequest, PayloadTooLarge
from kkcore.types import Receive

SPOOL_MAX = 64 << 10  # bytes of a file part kept in memory before it moves to disk
CHUNK = 64 << 10  # bytes read at a time from a spooled file
MAX_FIELD = 1 << 20  # a text part (in memory)


@dataclass(frozen=True, slots=True, eq=False)
class UploadedFile:
    """One file part of a multipart body, spooled to a temporary file (read it in chunks)."""

    filename: str
    content_type: str
    size: int
    file: IO[bytes]

    def chunks(self, size: int = CHUNK) -> Iterator[bytes]:
        """The file's bytes from the start, `size` at a time (blocking: run in a thread)."""
        self.file.seek(0)
        while block := self.file.read(size):
            yield block

    def close(self) -> None:
        self.file.close()


class _TooLarge(MultiPartException):
    """Raised from the stream so the parser closes the files it opened (it does so only for
    its own exception type)."""


class _SpoolingParser(MultiPartParser):
    spool_max_size = SPOOL_MAX


async def _limited(receive: Receive, first: bytes, more: bool, limit: int) -> AsyncGenerator[bytes]:
    size = len(first)
    if size > limit:
        raise _TooLarge(f"The request body exceeds the limit of {limit} bytes")
    yield first
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge(f"The request body exceeds the limit of {limit} bytes")
        more = message.get("more_body", False)
        yield chunk


def media_type_of(raw: str) -> str:
    return raw.split(";", 1)[0].strip().lower()


async def parse_multipart(
    receive: Receive, headers: Headers, first: bytes, more: bool, limit: int
) -> tuple[list[tuple[str, str]], dict[str, UploadedFile]]:
    """(text fields, files) of a multipart body whose first chunk was read already."""
    stream = _limited(receive, first, more, limit)
    try:
        parser = _SpoolingParser(headers, stream, max_part_size=min(MAX_FIELD, limit))
        form = await parser.parse()
    except _TooLarge as e:
        raise PayloadTooLarge(e.message) from e
    except MultiPartException as e:
        raise BadRequest(f"The multipart body cannot be parsed: {e.message}") from e
    finally:
        await stream.aclose()
    fields: list[tuple[str, str]] = []
    files: dict[str, UploadedFile] = {}
    for key, item in form.multi_items():
        if isinstance(item, UploadFile):
            if key in files:  # the last part of a name counts, as for fields
                files[key].close()
            files[key] = UploadedFile(
                filename=item.filename or "",
                content_type=media_type_of(item.content_type or "application/octet-stream"),
                size=item.size or 0,
                file=item.file,
            )
        else:
            fields.append((key, item))
    return fields, files


def close_files(body: Any) -> None:
    """Close (and so delete) the spooled files of a parsed body, once the request is done."""
    if isinstance(body, dict):
        for value in body.values():
            if isinstance(value, UploadedFile):
                value.close()
