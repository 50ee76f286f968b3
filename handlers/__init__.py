"""Hand-written Klear Karma handlers, one module per spec tag (found via `kk.handlers`)."""

from __future__ import annotations

from typing import Any

from server.binding import OperationGroup

GROUPS: list[OperationGroup] = []
BINDABLES: list[Any] = []
