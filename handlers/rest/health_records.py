"""Klear Karma's health records: a user's health profile and the shares that let a
practitioner read parts of it (every access audited by the services)."""

from __future__ import annotations

from typing import Any

from generated import models
from handlers.domain.caller import caller_of
from handlers.domain.context import domain_of
from handlers.domain.health import HealthService
from handlers.domain.jsonapi import page, single
from handlers.domain.share_resources import share_resource
from handlers.domain.sharing import ShareService
from handlers.lifecycle import domain_group
from server.responses import Reply

health_records = domain_group("health_records")


def _single(request: Any, data: dict[str, Any], status: int = 200) -> Reply:
    now = domain_of(request.services).clock()
    headers = {"Location": f"/v1/health_records/shares/{data['id']}"} if status == 201 else {}
    return Reply(status, single(data, request.request_id, now), headers)


@health_records.operation("getHealthProfile")
async def get_health_profile(request: models.GetHealthProfileRequest) -> Reply:
    """The profile in full for its user; a practitioner sees only the shared record types."""
    service = domain_of(request.services).get(HealthService)
    profile = await service.get(caller_of(request), request.params["user_id"])
    return _single(request, profile)


@health_records.operation("updateHealthProfile")
async def update_health_profile(request: models.UpdateHealthProfileRequest) -> Reply:
    """Replace the sent record types."""
    service = domain_of(request.services).get(HealthService)
    changes = request.body["data"]["attributes"]
    profile = await service.update(caller_of(request), request.params["user_id"], changes)
    return _single(request, profile)


@health_records.operation("shareHealthRecords")
async def share_health_records(request: models.ShareHealthRecordsRequest) -> Reply:
    """Let a practitioner read record types until `expires_at` (409 while one is active)."""
    service = domain_of(request.services).get(ShareService)
    share = await service.share(caller_of(request), request.body["data"]["attributes"])
    return _single(request, share, 201)


@health_records.operation("listHealthRecordShares")
async def list_health_record_shares(request: models.ListHealthRecordSharesRequest) -> Reply:
    """Shares the caller granted, or (a practitioner) was granted; newest first."""
    domain = domain_of(request.services)
    p = request.params
    limit, offset = int(p.get("limit", 20)), int(p.get("offset", 0))
    service = domain.get(ShareService)
    found, total = await service.page(caller_of(request), p.get("status"), limit, offset)
    now = domain.clock()
    body = page(
        [share_resource(s, now) for s in found],
        total,
        limit=limit,
        offset=offset,
        path="/v1/health_records/shares",
        query={k: v for k, v in p.items() if k != "X-Request-ID"},
        request_id=request.request_id,
        now=now,
    )
    return Reply(200, body)


@health_records.operation("revokeHealthRecordShare")
async def revoke_health_record_share(request: models.RevokeHealthRecordShareRequest) -> Reply:
    """End a share at once; it stays listed as revoked."""
    service = domain_of(request.services).get(ShareService)
    await service.revoke(caller_of(request), request.params["share_id"])
    return Reply(204)
