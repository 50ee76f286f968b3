"""Klear Karma's messaging: a conversation's messages, sending one, sharing a file; and the
/ws `message`, `typing` and `webrtc_signal` frames, answered from the same database (the app
installs them on its WebSocket API in place of the mock's relay)."""

from __future__ import annotations

from typing import Any

from generated import models
from handlers.domain.caller import Caller, caller_of
from handlers.domain.context import domain_of
from handlers.domain.jsonapi import page, single
from handlers.domain.message_resources import chat_frame, file_resource, message_resource
from handlers.domain.messaging import MessagingService
from handlers.domain.realtime import RealtimeService
from handlers.lifecycle import domain_group
from server.responses import Reply
from server.websocket import InboundFrame

messaging = domain_group("messaging")


def who_sent(frame: InboundFrame) -> Caller:
    """The sender of a /ws frame (the connection authenticated it)."""
    return Caller.of(frame.identity, f"ws:{frame.connection}")


def _service(request: Any) -> MessagingService:
    return domain_of(request.services).get(MessagingService)


@messaging.operation("listConversationMessages")
async def list_conversation_messages(request: models.ListConversationMessagesRequest) -> Reply:
    """The conversation's messages, oldest first (participants only)."""
    p = request.params
    limit, offset = int(p.get("limit", 20)), int(p.get("offset", 0))
    conversation_id = p["conversation_id"]
    found, total = await _service(request).messages(
        caller_of(request),
        conversation_id,
        limit,
        offset,
    )
    body = page(
        [message_resource(m) for m in found],
        total,
        limit=limit,
        offset=offset,
        path=f"/v1/conversations/{conversation_id}/messages",
        query={},
        request_id=request.request_id,
        now=domain_of(request.services).clock(),
    )
    return Reply(200, body)


@messaging.operation("sendMessage")
async def send_message(request: models.SendMessageRequest) -> Reply:
    """Store a text message; the other participants get it on /ws and GraphQL."""
    conversation_id = request.params["conversation_id"]
    content = request.body["data"]["attributes"]["content"]
    message = await _service(request).send(caller_of(request), conversation_id, content)
    body = single(
        message_resource(message), request.request_id, domain_of(request.services).clock()
    )
    location = f"/v1/conversations/{conversation_id}/messages/{message.id}"
    return Reply(201, body, {"Location": location})


@messaging.operation("uploadConversationFile")
async def upload_conversation_file(request: models.UploadConversationFileRequest) -> Reply:
    """Store a file (at most 10 MiB; PDF, PNG, JPEG or text) and post it as a message."""
    conversation_id = request.params["conversation_id"]
    form: Any = request.body
    attachment, _ = await _service(request).upload(
        caller_of(request),
        conversation_id,
        form.get("file"),
        form.get("message"),
    )
    body = single(
        file_resource(attachment), request.request_id, domain_of(request.services).clock()
    )
    return Reply(
        201, body, {"Location": f"/v1/conversations/{conversation_id}/files/{attachment.id}"}
    )


@messaging.frame("message")
async def chat_message(frame: InboundFrame) -> dict[str, Any]:
    """Store the message as sendMessage does; the sender gets the stored `message` back."""
    f = frame.data
    service = domain_of(frame.services).get(MessagingService)
    message = await service.send(
        who_sent(frame),
        f["conversation_id"],
        f["content"],
        f.get("message_type", "text"),
        origin=frame.connection,
    )
    return chat_frame(message)


@messaging.frame("typing")
async def typing(frame: InboundFrame) -> None:
    """Relay to the conversation's people; no answer unless refused."""
    f = frame.data
    await (
        domain_of(frame.services)
        .get(RealtimeService)
        .typing(who_sent(frame), f["conversation_id"], f["is_typing"], frame.connection)
    )


@messaging.frame("webrtc_signal")
async def webrtc_signal(frame: InboundFrame) -> None:
    """Relay to the parties of the video-call booking; no answer unless refused."""
    f = frame.data
    await (
        domain_of(frame.services)
        .get(RealtimeService)
        .signal(
            who_sent(frame), f["booking_id"], f["signal_type"], f["signal_data"], frame.connection
        )
    )
