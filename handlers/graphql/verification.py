"""GraphQL of practitioner verification: `practitionerVerification`,
`submitPractitionerVerification`, `reviewPractitionerVerification`, through the same service
and rules as REST (handlers/domain/verification.py): a patient or a practitioner cannot
verify anyone, only an administrator decides."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ariadne import MutationType, QueryType
from graphql import GraphQLResolveInfo

from handlers.domain.verification import State, VerificationService, verification_resource
from handlers.graphql.batch import caller, domain
from handlers.graphql.nodes import node, rest_input
from handlers.graphql.payloads import invalid, payload
from kkcore.errors import ApiError

query, mutation = QueryType(), MutationType()


def _shown(state: State) -> dict[str, Any]:
    return node(verification_resource(state))


def _attributes(info: GraphQLResolveInfo[Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """A mutation input as the REST operation's attributes (nulls are "not given")."""
    rest = rest_input(info, given)
    return {k: v for k, v in rest.items() if k != "practitioner_id" and v is not None}


@query.field("practitionerVerification")
async def resolve_verification(
    _: Any,
    info: GraphQLResolveInfo[Any],
    practitionerId: str,  # noqa: N803
) -> Any:
    """Null unless the caller is the practitioner or an administrator (or no such one)."""
    service = domain(info).get(VerificationService)
    try:
        return _shown(await service.get(caller(info), practitionerId))
    except ApiError as e:
        if e.status in (403, 404):
            return None
        raise


@mutation.field("submitPractitionerVerification")
async def resolve_submit(_: Any, info: GraphQLResolveInfo[Any], input: dict[str, Any]) -> Any:
    attrs = _attributes(info, input)
    problems = invalid("submitPractitionerVerification", "verification", attrs)
    service = domain(info).get(VerificationService)

    async def run() -> dict[str, Any]:
        return _shown(await service.submit(caller(info), input["practitionerId"], attrs))

    return await payload("verification", run, problems)


@mutation.field("reviewPractitionerVerification")
async def resolve_review(_: Any, info: GraphQLResolveInfo[Any], input: dict[str, Any]) -> Any:
    attrs = _attributes(info, input)
    problems = invalid("reviewPractitionerVerification", "verification", attrs)
    service = domain(info).get(VerificationService)

    async def run() -> dict[str, Any]:
        state = await service.review(
            caller(info), input["practitionerId"], attrs["status"], attrs.get("rejection_reason")
        )
        return _shown(state)

    return await payload("verification", run, problems)


BINDABLES: list[Any] = [query, mutation]
