"""GraphQL of the users area: `me`, `user(id:)`, the User type and its lists, and the
profile and preferences mutations, through the same services as REST.

Object-level access is checked here (REST's `x-owner` does not run for GraphQL): a user
other than the caller is null without `admin:users`; their lists are an error.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import Any

from ariadne import MutationType, ObjectType, QueryType
from graphql import GraphQLResolveInfo

from handlers.domain.caller import ADMIN_SCOPES
from handlers.domain.conversations import ConversationReads
from handlers.domain.jsonapi import parse_date
from handlers.domain.preferences import PreferencesService, preferences_resource
from handlers.domain.unit import read
from handlers.domain.user_lists import BookingFilter, UserLists
from handlers.domain.users import UserService, related_ids, user_resource
from handlers.graphql.batch import batch, caller, domain
from handlers.graphql.messaging import message_connection
from handlers.graphql.nodes import args_key, connection, id_of, node, page_args, rest_input
from handlers.graphql.payloads import invalid, payload
from handlers.storage.models import User
from kkcore.errors import InsufficientPermissions
from server.graphql import FALLBACK

query = QueryType()
mutation = MutationType()
user = ObjectType("User")
SCALARS = (
    "email",
    "firstName",
    "lastName",
    "dateOfBirth",
    "phoneNumber",
    "address",
    "userType",
    "verified",
    "createdAt",
    "updatedAt",
)


async def load_user(info: GraphQLResolveInfo[Any], user_id: str | None) -> dict[str, Any] | None:
    """A user as a GraphQL object, batched with its siblings (one query per tick)."""
    if user_id is None:
        return None
    service = domain(info).get(UserService)

    async def fetch(ids: Sequence[str]) -> Mapping[str, dict[str, Any]]:
        rows: dict[str, User] = await service.many(ids)
        async with read(service.domain) as session:
            related = await related_ids(session, list(rows))
        return {uid: node(user_resource(u, *related[uid])) for uid, u in rows.items()}

    found: dict[str, Any] | None = await batch(info, "users", fetch).load(user_id)
    return found


@query.field("me")
async def resolve_me(_: Any, info: GraphQLResolveInfo[Any]) -> dict[str, Any] | None:
    return await load_user(info, caller(info).subject)


@query.field("user")
async def resolve_user(_: Any, info: GraphQLResolveInfo[Any], id: str) -> dict[str, Any] | None:
    """Null unless the caller is that user or an administrator."""
    return await load_user(info, id) if caller(info).may_act_for(id) else None


# What REST shows only to the user and administrators (GET /users/{user_id} is x-owner).
PRIVATE = frozenset({"email", "phoneNumber", "dateOfBirth", "address"})


async def resolve_scalar(obj: Any, info: GraphQLResolveInfo[Any]) -> Any:
    """From the object, else its user row (batched), else what the object itself holds
    (another resolver's object standing for a user, e.g. a practitioner's own record).

    A user reached through another object (a review's author, a booking's user) shows others
    only the public fields: the contact details are null, and `email` (non-null) an error."""
    name = info.field_name
    if isinstance(obj, Mapping) and name in obj:
        return obj[name]
    uid = id_of(obj)
    if name in PRIVATE and not caller(info).may_act_for(uid or ""):
        # Whoever answers for this user below (their row, the mocks), not to others.
        if name == "email":
            raise InsufficientPermissions(
                "Another user's e-mail address is theirs to share; that needs one of: "
                + ", ".join(sorted(ADMIN_SCOPES))
            )
        return None
    found = await load_user(info, uid)
    if found is not None:
        return found.get(name)
    data = getattr(obj, "data", obj)
    own = node({"id": "", "attributes": dict(data)}) if isinstance(data, Mapping) else {}
    if own.get(name) is None:  # a parent the mocks made (a field still on the mock store)
        fallback = (info.parent_type.fields[name].extensions or {}).get(FALLBACK)
        if fallback is not None:
            value = fallback(obj, info)
            return await value if inspect.isawaitable(value) else value
    return own.get(name)


for name in SCALARS:
    user.set_field(name, resolve_scalar)


@user.field("id")
def resolve_id(obj: Any, _: GraphQLResolveInfo[Any]) -> str | None:
    return id_of(obj)


@user.field("preferences")
async def resolve_preferences(obj: Any, info: GraphQLResolveInfo[Any]) -> dict[str, Any] | None:
    uid = id_of(obj) or ""
    caller(info).require(uid)
    service = domain(info).get(PreferencesService)

    async def fetch(ids: Sequence[str]) -> Mapping[str, dict[str, Any]]:
        found = await service.many(list(ids))
        return {i: node(preferences_resource(p)) for i, p in found.items()}

    found: dict[str, Any] | None = await batch(info, "preferences", fetch).load(uid)
    return found


async def _listed(obj: Any, info: GraphQLResolveInfo[Any], args: dict[str, Any], what: str) -> Any:
    uid = id_of(obj) or ""
    caller(info).require(uid)
    lists = domain(info).get(UserLists)
    limit, offset = page_args(args)

    async def fetch(owners: Sequence[str]) -> Mapping[str, Any]:
        if what == "bookings":
            status = args.get("status")
            found = BookingFilter(
                status.lower() if isinstance(status, str) else None,
                parse_date(args.get("from")),
                parse_date(args.get("to")),
            )
            pages = await lists.bookings(owners, found, limit, offset)
        elif what == "payments":
            pages = await lists.payments(owners, limit, offset)
        else:
            pages = await lists.conversations(owners, limit, offset)
        return {
            o: connection([node(r) for r in p.items], p.total, offset) for o, p in pages.items()
        }

    return await batch(info, args_key(info, args), fetch).load(uid)


@user.field("bookings")
async def resolve_bookings(obj: Any, info: GraphQLResolveInfo[Any], **args: Any) -> Any:
    return await _listed(obj, info, args, "bookings")


@user.field("payments")
async def resolve_payments(obj: Any, info: GraphQLResolveInfo[Any], **args: Any) -> Any:
    return await _listed(obj, info, args, "payments")


@user.field("conversations")
async def resolve_conversations(obj: Any, info: GraphQLResolveInfo[Any], **args: Any) -> Any:
    return await _listed(obj, info, args, "conversations")


@user.field("messages")
async def resolve_messages(
    obj: Any, info: GraphQLResolveInfo[Any], first: int | None = None, after: str | None = None
) -> Any:
    """The messages the user sent, newest first (the user themself or an administrator)."""
    uid = id_of(obj) or ""
    caller(info).require(uid)
    size = max(1, min(first or 20, 100))
    reads = domain(info).get(ConversationReads)

    async def fetch(senders: Sequence[str]) -> Mapping[str, Any]:
        pages = await reads.sent(senders, size, after)
        return {s: message_connection(*page, after) for s, page in pages.items()}

    return await batch(info, args_key(info, {"first": size, "after": after}), fetch).load(uid)


@mutation.field("updateProfile")
async def resolve_update_profile(
    _: Any, info: GraphQLResolveInfo[Any], input: dict[str, Any]
) -> Any:
    changes = {k: v for k, v in rest_input(info, input).items() if k != "user_id"}
    service = domain(info).get(UserService)

    async def run() -> dict[str, Any]:
        # A new email only becomes pending (its token goes to that address; the sandbox
        # shows it in REST updateUser's answer): see handlers.domain.email_change.
        updated, _pending = await service.update(caller(info), input["userId"], changes)
        return node(updated)

    return await payload("user", run, invalid("updateUser", "user", changes))


@mutation.field("updatePreferences")
async def resolve_update_preferences(
    _: Any, info: GraphQLResolveInfo[Any], input: dict[str, Any]
) -> Any:
    changes = {k: v for k, v in rest_input(info, input).items() if k != "user_id"}
    service = domain(info).get(PreferencesService)

    async def run() -> dict[str, Any]:
        prefs = await service.update(caller(info), input["userId"], changes)
        return node(preferences_resource(prefs))

    problems = invalid("updateUserPreferences", "user_preferences", changes)
    return await payload("preferences", run, problems)


__all__ = ["mutation", "query", "user"]
