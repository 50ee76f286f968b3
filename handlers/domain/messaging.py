"""Messaging: conversations are read and written by their participants only; a message or
an upload is one transaction (message, file row, conversation preview, outbox event), and
the stored message also reaches /ws chat subscribers as a `message` frame after the commit
(once: a /ws `message` frame of the sender is answered on its own connection, so the relay
skips that connection).

Uploaded bytes are written under `<data_dir>/uploads/` before the transaction and removed
again if it does not commit, so no row ever names a missing file (a crash between the two
can leave an unreferenced file, never a dangling row).
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.caller import Caller
from handlers.domain.context import Domain
from handlers.domain.message_resources import (
    IMAGE_TYPES,
    PREVIEW,
    chat_frame,
    message_resource,
    participants,
)
from handlers.domain.unit import Unit, read, write
from handlers.storage.ids import new_id
from handlers.storage.models import Attachment, Conversation, Message
from kkcore.errors import (
    NotFound,
    PayloadTooLarge,
    Problem,
    Unprocessable,
    UnsupportedMediaType,
)
from server.bodies import UploadedFile
from server.events import Event
from server.filemodes import private_dir, write_private_stream

MAX_FILE = 10_485_760
FILE_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg", "text/plain"})
TICK = timedelta(microseconds=1)


def not_found(conversation_id: str) -> NotFound:
    return NotFound(
        problems=[Problem(f"No conversation {conversation_id}", parameter="conversation_id")]
    )


def safe_name(name: str) -> str:
    """The last path segment of a client's file name, at most 255 characters."""
    base = PureWindowsPath(PurePosixPath(name).name).name.strip().replace("\x00", "")[-255:]
    # stripping can leave a bare "." or ".." (".\r"): a directory, never a file's name
    return base if base not in ("", ".", "..") else "upload"


class MessagingService:
    def __init__(self, domain: Domain) -> None:
        self.domain = domain

    async def _open(
        self, session: AsyncSession, conversation_id: str, who: Caller, lock: bool = False
    ) -> tuple[Conversation, set[str]]:
        """The conversation and its people; 404 for everyone who does not take part."""
        query = select(Conversation).where(Conversation.id == conversation_id)
        conversation = await session.scalar(query.with_for_update() if lock else query)
        if conversation is None:
            raise not_found(conversation_id)
        people = (await participants(session, [conversation_id])).get(conversation_id, set())
        if not who.admin and not (who.ids & people):
            raise not_found(conversation_id)
        return conversation, people

    async def people(self, who: Caller, conversation_id: str) -> tuple[str, set[str]]:
        """Caller `who` acts as in the conversation, and every id taking part (404 otherwise)."""
        async with read(self.domain) as session:
            _, people = await self._open(session, conversation_id, who)
        return acting_as(who, people), people

    async def conversation(self, who: Caller, conversation_id: str) -> Conversation:
        async with read(self.domain) as session:
            return (await self._open(session, conversation_id, who))[0]

    async def messages(
        self, who: Caller, conversation_id: str, limit: int, offset: int
    ) -> tuple[list[Message], int]:
        """A page of the conversation's messages, oldest first, and how many there are."""
        async with read(self.domain) as session:
            await self._open(session, conversation_id, who)
            where = Message.conversation_id == conversation_id
            total = await session.scalar(select(func.count()).select_from(Message).where(where))
            rows = await session.scalars(
                select(Message)
                .where(where)
                .order_by(Message.created_at, Message.id)
                .limit(limit)
                .offset(offset)
            )
            return list(rows), int(total or 0)

    def _post(
        self,
        unit: Unit,
        conversation: Conversation,
        people: set[str],
        who: Caller,
        content: str,
        kind: str,
        file_id: str | None = None,
    ) -> Message:
        _check_text(content)
        # Strictly after the previous message, so "oldest first" is the order of sending even
        # when two messages share a clock reading.
        at = unit.now
        if conversation.last_message_at is not None and at <= conversation.last_message_at:
            at = conversation.last_message_at + TICK
        sender = acting_as(who, people)
        message = Message(
            id=new_id("message"),
            conversation_id=conversation.id,
            sender_id=sender,
            content=content,
            message_type=kind,
            file_id=file_id,
            created_at=at,
        )
        unit.session.add(message)
        conversation.last_message_preview = content[:PREVIEW]
        conversation.last_message_at = at
        conversation.updated_at = at
        unit.emit("message.created", message_resource(message), audience=people)
        unit.audit("message.send", "message", message.id, conversation_id=conversation.id)
        return message

    async def send(
        self,
        who: Caller,
        conversation_id: str,
        content: str,
        kind: str = "text",
        origin: str | None = None,
    ) -> Message:
        """Store a message; `kind` file or image announces a file already uploaded to the
        conversation (`content` is its id). `origin`: the /ws connection that sent it."""
        async with write(self.domain, actor=who.subject, request_id=who.request_id) as unit:
            conversation, people = await self._open(unit.session, conversation_id, who, lock=True)
            file_id = None
            if kind != "text":
                file_id = await _announced(unit.session, conversation_id, content, kind)
            message = self._post(unit, conversation, people, who, content, kind, file_id)
        await self._relay(message, people | {who.subject}, origin)
        return message

    async def upload(
        self, who: Caller, conversation_id: str, file: object, text: str | None
    ) -> tuple[Attachment, Message]:
        """Store the file, then its row and its message in one transaction."""
        upload = self._check(file)
        file_id = new_id("file")
        relative = f"uploads/{file_id}"
        target = self.domain.data_dir / relative
        digest = await asyncio.to_thread(_store_file, target, upload)
        try:
            async with write(self.domain, actor=who.subject, request_id=who.request_id) as unit:
                conversation, people = await self._open(
                    unit.session, conversation_id, who, lock=True
                )
                name = safe_name(upload.filename)
                kind = "image" if upload.content_type in IMAGE_TYPES else "file"
                message = self._post(unit, conversation, people, who, text or name, kind, file_id)
                attachment = Attachment(
                    id=file_id,
                    conversation_id=conversation_id,
                    message_id=message.id,
                    uploader_id=message.sender_id,
                    filename=name,
                    content_type=upload.content_type,
                    size=upload.size,
                    sha256=digest,
                    path=relative,
                    created_at=message.created_at,
                )
                unit.session.add(attachment)
                unit.audit("file.upload", "file", file_id, size=attachment.size)
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        await self._relay(message, people | {who.subject})
        return attachment, message

    @staticmethod
    def _check(file: object) -> UploadedFile:
        if not isinstance(file, UploadedFile):
            raise Unprocessable(
                problems=[Problem("`file` must be a file part (with a filename)", pointer="/file")]
            )
        if file.size > MAX_FILE:
            raise PayloadTooLarge(f"The file exceeds {MAX_FILE} bytes")
        if file.content_type not in FILE_TYPES:
            allowed = ", ".join(sorted(FILE_TYPES))
            raise UnsupportedMediaType(
                f"Files of type {file.content_type!r} are not accepted; allowed: {allowed}"
            )
        return file

    async def _relay(self, message: Message, audience: set[str], origin: str | None = None) -> None:
        """The /ws `message` frame of a committed message (a notification, not a domain event:
        the outbox holds `message.created`, which /ws does not send as an `event` frame)."""
        await relay(self.domain, chat_frame(message), audience, origin)


def acting_as(who: Caller, people: set[str]) -> str:
    """The id `who` takes part as: its subject, else its practitioner id (an admin outside the
    conversation acts as itself)."""
    return who.subject if who.subject in people else min(who.ids & people, default=who.subject)


async def relay(
    domain: Domain, frame: dict[str, Any], audience: set[str], origin: str | None = None
) -> None:
    """Publish a /ws frame (`ws.<type>` on its channel) to `audience`; the connection named
    `origin` does not get it back."""
    if domain.bus is None:
        return
    data: dict[str, Any] = {"frame": frame}
    if "conversation_id" in frame:
        data["conversation_id"] = frame["conversation_id"]
    if origin is not None:
        data["origin"] = origin
    channel = "bookings" if "booking_id" in frame else "messages"
    await domain.bus.publish(Event(f"ws.{frame['type']}", channel, data, tuple(sorted(audience))))


def _check_text(content: str) -> None:
    # PostgreSQL text cannot hold NUL; refuse it on every backend alike.
    if "\x00" in content:
        raise Unprocessable(
            problems=[Problem("content must not contain NUL characters", pointer="/content")]
        )


async def _announced(session: AsyncSession, conversation_id: str, file_id: str, kind: str) -> str:
    """The id of a file uploaded to the conversation that a file/image message announces."""
    found = await session.get(Attachment, file_id)
    if found is None or found.conversation_id != conversation_id:
        raise Unprocessable(
            problems=[
                Problem(
                    f"No file {file_id!r} in conversation {conversation_id}: upload it with "
                    f"POST /v1/conversations/{conversation_id}/files, then send its id",
                    pointer="/content",
                )
            ]
        )
    actual = "image" if found.content_type in IMAGE_TYPES else "file"
    if kind != actual:
        raise Unprocessable(
            problems=[
                Problem(
                    f"{file_id} is a {found.content_type} file: message_type must be {actual}",
                    pointer="/message_type",
                )
            ]
        )
    return found.id


def _store_file(target: Path, upload: UploadedFile) -> str:
    """Copied in chunks from its spool (never whole in memory), whole or not at all, readable
    by the server's user only (server.filemodes); its SHA-256."""
    private_dir(target.parent)
    digest = hashlib.sha256()
    with write_private_stream(target) as out:
        for block in upload.chunks():
            digest.update(block)
            out.write(block)
    return digest.hexdigest()
