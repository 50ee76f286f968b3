"""Messaging: conversations are read and written by their participants only; a message or
an upload is one transaction (message, file row, conversation preview, outbox event), and
the stored message also reaches /ws chat subscribers as a `message` frame after the commit.

Uploaded bytes are written under `<data_dir>/uploads/` before the transaction and removed
again if it does not commit, so no row ever names a missing file (a crash between the two
can leave an unreferenced file, never a dangling row).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path, PurePosixPath, PureWindowsPath

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.context import Domain
from handlers.domain.messages import (
    IMAGE_TYPES,
    PREVIEW,
    chat_frame,
    message_resource,
    participants,
)
from handlers.domain.unit import Unit, read, write
from handlers.storage.ids import new_id
from handlers.storage.models import Attachment, Conversation, Message
from server.bodies import UploadedFile
from server.errors import (
    NotFound,
    PayloadTooLarge,
    Problem,
    Unprocessable,
    UnsupportedMediaType,
)
from server.events import Event

MAX_FILE = 10_485_760
FILE_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg", "text/plain"})
TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class Who:
    """Who acts: the identity's subject, every id it acts as, and whether a bypass scope
    (admin:users, admin:platform) lets it into any conversation."""

    subject: str
    ids: frozenset[str]
    request_id: str | None = None
    admin: bool = False


def not_found(conversation_id: str) -> NotFound:
    return NotFound(
        problems=[Problem(f"No conversation {conversation_id}", parameter="conversation_id")]
    )


def safe_name(name: str) -> str:
    """The last path segment of a client's file name, at most 255 characters."""
    base = PureWindowsPath(PurePosixPath(name).name).name.strip().replace("\x00", "")
    return (base or "upload")[-255:]


class MessagingService:
    def __init__(self, domain: Domain) -> None:
        self.domain = domain

    async def _open(
        self, session: AsyncSession, conversation_id: str, who: Who, lock: bool = False
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

    async def conversation(self, who: Who, conversation_id: str) -> Conversation:
        async with read(self.domain) as session:
            return (await self._open(session, conversation_id, who))[0]

    async def messages(
        self, who: Who, conversation_id: str, limit: int, offset: int
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
        who: Who,
        content: str,
        kind: str,
        file_id: str | None = None,
    ) -> Message:
        # Strictly after the previous message, so "oldest first" is the order of sending even
        # when two messages share a clock reading.
        at = unit.now
        if conversation.last_message_at is not None and at <= conversation.last_message_at:
            at = conversation.last_message_at + TICK
        sender = (
            who.subject if who.subject in people else min(who.ids & people, default=who.subject)
        )
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

    async def send(self, who: Who, conversation_id: str, content: str) -> Message:
        async with write(self.domain, actor=who.subject, request_id=who.request_id) as unit:
            conversation, people = await self._open(unit.session, conversation_id, who, lock=True)
            message = self._post(unit, conversation, people, who, content, "text")
        await self._relay(message, people)
        return message

    async def upload(
        self, who: Who, conversation_id: str, file: object, text: str | None
    ) -> tuple[Attachment, Message]:
        """Store the file, then its row and its message in one transaction."""
        upload = self._check(file)
        file_id = new_id("file")
        relative = f"uploads/{file_id}"
        target = self.domain.data_dir / relative
        await asyncio.to_thread(_write_file, target, upload.data)
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
                    size=len(upload.data),
                    sha256=hashlib.sha256(upload.data).hexdigest(),
                    path=relative,
                    created_at=message.created_at,
                )
                unit.session.add(attachment)
                unit.audit("file.upload", "file", file_id, size=attachment.size)
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        await self._relay(message, people)
        return attachment, message

    @staticmethod
    def _check(file: object) -> UploadedFile:
        if not isinstance(file, UploadedFile):
            raise Unprocessable(
                problems=[Problem("`file` must be a file part (with a filename)", pointer="/file")]
            )
        if len(file.data) > MAX_FILE:
            raise PayloadTooLarge(f"The file exceeds {MAX_FILE} bytes")
        if file.content_type not in FILE_TYPES:
            allowed = ", ".join(sorted(FILE_TYPES))
            raise UnsupportedMediaType(
                f"Files of type {file.content_type!r} are not accepted; allowed: {allowed}"
            )
        return file

    async def _relay(self, message: Message, people: set[str]) -> None:
        """The /ws `message` frame of a committed message (a notification, not a domain event:
        the outbox holds `message.created`)."""
        bus = self.domain.bus
        if bus is None:
            return
        data = {"frame": chat_frame(message), "conversation_id": message.conversation_id}
        await bus.publish(Event("ws.message", "messages", data, tuple(sorted(people))))


def _write_file(target: Path, data: bytes) -> None:
    """Written whole or not at all (a temporary name, then an atomic rename)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    partial.write_bytes(data)
    os.replace(partial, target)
