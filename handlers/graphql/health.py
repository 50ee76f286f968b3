"""GraphQL of health records: User.healthProfile and User.healthRecordShares, and the
health profile and share mutations, through the same (audited) services as REST."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ariadne import MutationType, ObjectType
from graphql import GraphQLResolveInfo

from handlers.domain.errors import NotFound
from handlers.domain.health import HealthService
from handlers.domain.share_resources import share_resource
from handlers.domain.sharing import ShareService
from handlers.graphql.batch import batch, caller, domain
from handlers.graphql.nodes import args_key, connection, id_of, node, page_args, rest_input
from handlers.graphql.payloads import invalid, payload
from kkcore.errors import InsufficientPermissions

mutation = MutationType()
user = ObjectType("User")


@user.field("healthProfile")
async def resolve_health_profile(obj: Any, info: GraphQLResolveInfo[Any]) -> dict[str, Any] | None:
    """The profile as the caller may see it (a practitioner: the shared record types);
    null when they may not. Each read is audited, so each is its own call."""
    try:
        profile = await domain(info).get(HealthService).get(caller(info), id_of(obj) or "")
    except (InsufficientPermissions, NotFound):
        return None
    return node(profile)


@user.field("healthRecordShares")
async def resolve_shares(obj: Any, info: GraphQLResolveInfo[Any], **args: Any) -> Any:
    """The shares the user granted: theirs or an administrator's to see, else null."""
    uid = id_of(obj) or ""
    if not caller(info).may_act_for(uid):
        return None
    service = domain(info).get(ShareService)
    limit, offset = page_args(args)
    now = service.now()

    async def fetch(owners: Sequence[str]) -> Mapping[str, Any]:
        pages = await service.granted(owners, limit, offset)
        return {
            o: connection([node(share_resource(s, now)) for s in p.items], p.total, offset)
            for o, p in pages.items()
        }

    return await batch(info, args_key(info, args), fetch).load(uid)


@mutation.field("updateHealthProfile")
async def resolve_update_health_profile(
    _: Any, info: GraphQLResolveInfo[Any], input: dict[str, Any]
) -> Any:
    changes = {k: v for k, v in rest_input(info, input).items() if k != "user_id"}
    service = domain(info).get(HealthService)

    async def run() -> dict[str, Any]:
        return node(await service.update(caller(info), input["userId"], changes))

    problems = invalid("updateHealthProfile", "health_profile", changes)
    return await payload("healthProfile", run, problems)


@mutation.field("shareHealthRecords")
async def resolve_share(_: Any, info: GraphQLResolveInfo[Any], input: dict[str, Any]) -> Any:
    attributes = rest_input(info, input)
    service = domain(info).get(ShareService)

    async def run() -> dict[str, Any]:
        return node(await service.share(caller(info), attributes))

    problems = invalid("shareHealthRecords", "health_record_share", attributes)
    return await payload("share", run, problems)


@mutation.field("revokeHealthRecordShare")
async def resolve_revoke(_: Any, info: GraphQLResolveInfo[Any], input: dict[str, Any]) -> Any:
    service = domain(info).get(ShareService)

    async def run() -> dict[str, Any]:
        await service.revoke(caller(info), input["shareId"])
        share = await service.get(input["shareId"])
        if share is None:  # deleted meanwhile
            raise NotFound(f"No health_record_share {input['shareId']}")
        return node(share_resource(share, service.now()))

    return await payload("share", run)
