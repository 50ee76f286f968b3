"""The payment provider's calls, bounded in time.

A charge or refund that has no answer within the payment timeout (`KK_PAYMENT_TIMEOUT`
seconds, 10 by default; the app option `payment_timeout` wins) is abandoned and answered
503 SERVICE_UNAVAILABLE with `Retry-After`. The exception rolls back the unit of work it
runs in, so no intent, booking, event, audit entry or `Idempotency-Key` claim of that
attempt is written: the intent stays confirmable, and a retry (with the same key or
without) asks the provider again, which hands back a charge it made instead of charging
twice (the provider's idempotency on the intent id, see handlers.domain.gateway).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import Any

from kkcore.errors import ApiError, Problem, StartupError

ENV = "KK_PAYMENT_TIMEOUT"
DEFAULT_TIMEOUT = 10.0
MAX_TIMEOUT = 120.0  # a confirm holds its booking's row lock while it waits


class GatewayTimeout(ApiError):
    """The payment provider did not answer in time (the reference's 503)."""

    status, code, title = 503, "SERVICE_UNAVAILABLE", "Service Unavailable"
    documentation = "payments"


def timeout_of(options: Mapping[str, Any], environ: Mapping[str, str] = os.environ) -> float:
    """The payment timeout in seconds; a startup error names a bad value."""
    raw = options.get("payment_timeout", environ.get(ENV, DEFAULT_TIMEOUT))
    try:
        seconds = float(raw)
    except (TypeError, ValueError) as e:
        raise StartupError(f"{ENV} must be a number of seconds, got {raw!r}") from e
    if not 0 < seconds <= MAX_TIMEOUT:
        raise StartupError(f"{ENV} must be more than 0 and at most {MAX_TIMEOUT:g} s, got {raw!r}")
    return seconds


def timed_out(action: str, seconds: float) -> GatewayTimeout:
    retry = max(1, math.ceil(seconds))
    problem = Problem(
        f"The payment provider did not answer the {action} within {seconds:g} s; nothing was "
        "recorded. Retry in a moment (with the same Idempotency-Key): a charge already made "
        "is not made again",
        meta={"upstream": "payment_gateway", "timeout_seconds": seconds},
    )
    return GatewayTimeout(problems=[problem], headers={"Retry-After": str(retry)})
