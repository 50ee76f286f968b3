"""Klear Karma's users: profile, preferences, and the user's bookings, payments and
conversations (x-owner has already checked the caller is the user or an administrator)."""

from __future__ import annotations

from datetime import date
from typing import Any

from generated import models
from handlers.domain.caller import caller_of
from handlers.domain.context import domain_of
from handlers.domain.jsonapi import page, parse_date, single
from handlers.domain.preferences import PreferencesService, preferences_resource
from handlers.domain.user_lists import BookingFilter, Page, UserLists
from handlers.domain.users import UserService
from handlers.lifecycle import domain_group
from kkcore.errors import BadRequest, Problem
from server.responses import Reply

users = domain_group("users")


def _single(request: Any, data: dict[str, Any]) -> Reply:
    now = domain_of(request.services).clock()
    return Reply(200, single(data, request.request_id, now))


def _owner(request: Any) -> str:
    """The user of the path, once more checked against the caller (not only by x-owner)."""
    user_id: str = request.params["user_id"]
    caller_of(request).require(user_id)
    return user_id


def _day(request: Any, name: str) -> date | None:
    try:
        return parse_date(request.params.get(name))
    except ValueError as e:
        raise BadRequest(problems=[Problem("Not a date (YYYY-MM-DD)", parameter=name)]) from e


def _paging(request: Any) -> tuple[int, int]:
    return int(request.params.get("limit", 20)), int(request.params.get("offset", 0))


def _page(request: Any, found: Page[dict[str, Any]], what: str) -> Reply:
    limit, offset = _paging(request)
    p = request.params
    query = {k: v for k, v in p.items() if k not in ("user_id", "X-Request-ID")}
    body = page(
        found.items,
        found.total,
        limit=limit,
        offset=offset,
        path=f"/v1/users/{p['user_id']}/{what}",
        query=query,
        request_id=request.request_id,
        now=domain_of(request.services).clock(),
    )
    return Reply(200, body)


@users.operation("getUser")
async def get_user(request: models.GetUserRequest) -> Reply:
    """A user's profile."""
    service = domain_of(request.services).get(UserService)
    return _single(request, await service.get(caller_of(request), request.params["user_id"]))


@users.operation("updateUser")
async def update_user(request: models.UpdateUserRequest) -> Reply:
    """Change the sent attributes of a profile (user.updated); a new email waits for its
    verification (meta.email_verification)."""
    service = domain_of(request.services).get(UserService)
    changes = request.body["data"]["attributes"]
    user, pending = await service.update(caller_of(request), request.params["user_id"], changes)
    reply = _single(request, user)
    if pending is not None:
        reply.body["meta"]["email_verification"] = pending.meta()
    return reply


@users.operation("verifyUserEmail")
async def verify_user_email(request: models.VerifyUserEmailRequest) -> Reply:
    """The token of a pending email change makes the new address the account's."""
    service = domain_of(request.services).get(UserService)
    token = request.body["data"]["attributes"]["token"]
    return _single(request, await service.verify_email(caller_of(request), _owner(request), token))


@users.operation("getUserPreferences")
async def get_user_preferences(request: models.GetUserPreferencesRequest) -> Reply:
    """A user's preferences (the defaults until first changed)."""
    service = domain_of(request.services).get(PreferencesService)
    prefs = await service.get(caller_of(request), request.params["user_id"])
    return _single(request, preferences_resource(prefs))


@users.operation("updateUserPreferences")
async def update_user_preferences(request: models.UpdateUserPreferencesRequest) -> Reply:
    """Change preferences; notifications and privacy merge key by key."""
    service = domain_of(request.services).get(PreferencesService)
    changes = request.body["data"]["attributes"]
    prefs = await service.update(caller_of(request), request.params["user_id"], changes)
    return _single(request, preferences_resource(prefs))


@users.operation("listUserBookings")
async def list_user_bookings(request: models.ListUserBookingsRequest) -> Reply:
    """The user's bookings (as patient or as practitioner), newest first."""
    user_id = _owner(request)
    found = BookingFilter(request.params.get("status"), _day(request, "from"), _day(request, "to"))
    lists = domain_of(request.services).get(UserLists)
    pages = await lists.bookings([user_id], found, *_paging(request))
    return _page(request, pages[user_id], "bookings")


@users.operation("listUserPayments")
async def list_user_payments(request: models.ListUserPaymentsRequest) -> Reply:
    """The user's payment intents, newest first."""
    user_id = _owner(request)
    lists = domain_of(request.services).get(UserLists)
    pages = await lists.payments([user_id], *_paging(request))
    return _page(request, pages[user_id], "payments")


@users.operation("listUserConversations")
async def list_user_conversations(request: models.ListUserConversationsRequest) -> Reply:
    """The conversations the user takes part in, most recent message first."""
    user_id = _owner(request)
    lists = domain_of(request.services).get(UserLists)
    pages = await lists.conversations([user_id], *_paging(request))
    return _page(request, pages[user_id], "conversations")
