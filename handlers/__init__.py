"""Hand-written Klear Karma handlers, one module per spec tag (found via `kk.handlers`)."""

from __future__ import annotations

from typing import Any

from handlers.oauth import oauth
from server.binding import OperationGroup

GROUPS: list[OperationGroup] = [oauth]
BINDABLES: list[Any] = []
