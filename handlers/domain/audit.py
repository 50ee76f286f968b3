"""Audit entries written on their own: for accesses that end in an error (whose transaction
rolls back) and for requests the identity layer denies before any handler runs.

A domain module names the operations whose denials are audited:

    audited("getHealthProfile", "health_profile.read", "health_profile", param="user_id")
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from handlers.domain.context import Domain
from handlers.domain.unit import write


@dataclass(frozen=True)
class AuditedOperation:
    action: str
    resource_type: str
    param: str


AUDITED: dict[str, AuditedOperation] = {}


def audited(op_id: str, action: str, resource_type: str, *, param: str) -> None:
    """Audit the denials of `op_id` (the record is named by its parameter `param`)."""
    AUDITED[op_id] = AuditedOperation(action, resource_type, param)


async def audit_alone(
    domain: Domain,
    actor: str | None,
    request_id: str | None,
    action: str,
    resource_type: str,
    resource_id: str,
    **details: Any,
) -> None:
    """One audit entry in its own transaction."""
    async with write(domain, actor=actor, request_id=request_id) as unit:
        unit.audit(action, resource_type, resource_id, **details)


async def audit_denial(
    domain: Domain,
    op_id: str,
    actor: str | None,
    params: Mapping[str, Any],
    request_id: str | None,
    outcome: str,
) -> None:
    """Record a denied call of an audited operation (others are not recorded)."""
    found = AUDITED.get(op_id)
    if found is None:
        return
    record = str(params.get(found.param, ""))
    await audit_alone(
        domain, actor, request_id, found.action, found.resource_type, record, outcome=outcome
    )
