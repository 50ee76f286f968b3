"""Klear Karma's practitioner verification (REST): read, submit credentials, an
administrator's decision. The process and its rules: handlers.domain.verification."""

from __future__ import annotations

from typing import Any

from generated import models
from handlers.domain.caller import Caller
from handlers.domain.context import domain_of
from handlers.domain.jsonapi import single
from handlers.domain.verification import State, VerificationService, verification_resource
from handlers.rest.practitioners import practitioners
from server.responses import Reply


def _reply(request: Any, state: State, status: int = 200) -> Reply:
    now = domain_of(request.services).clock()
    body = single(verification_resource(state), request.request_id, now)
    where = f"/v1/practitioners/{state.practitioner.id}/verification"
    return Reply(status, body, {"Location": where} if status == 201 else {})


def _service(request: Any) -> tuple[VerificationService, Caller]:
    service = domain_of(request.services).get(VerificationService)
    return service, Caller.of(request.identity, request.request_id)


@practitioners.operation("getPractitionerVerification")
async def get_practitioner_verification(
    request: models.GetPractitionerVerificationRequest,
) -> Reply:
    """The practitioner's verification (the practitioner and administrators only)."""
    service, viewer = _service(request)
    return _reply(request, await service.get(viewer, request.params["practitioner_id"]))


@practitioners.operation("submitPractitionerVerification")
async def submit_practitioner_verification(
    request: models.SubmitPractitionerVerificationRequest,
) -> Reply:
    """Submit a licence and documents: the verification becomes pending."""
    service, viewer = _service(request)
    attrs = dict(request.body["data"]["attributes"])
    state = await service.submit(viewer, request.params["practitioner_id"], attrs)
    return _reply(request, state, 201)


@practitioners.operation("reviewPractitionerVerification")
async def review_practitioner_verification(
    request: models.ReviewPractitionerVerificationRequest,
) -> Reply:
    """An administrator verifies or rejects the pending submission."""
    service, viewer = _service(request)
    attrs = request.body["data"]["attributes"]
    state = await service.review(
        viewer, request.params["practitioner_id"], attrs["status"], attrs.get("rejection_reason")
    )
    return _reply(request, state)
