"""The directory's orders: each sort's keys (SQL expression, value on a loaded row,
descending?), the keyset condition "after this row" and opaque cursors."""

from __future__ import annotations

import base64
import math
from collections.abc import Callable, Sequence
from typing import Any

import orjson
from sqlalchemy import ColumnElement, and_, false, or_

from handlers.domain.practitioner_rows import PractitionerRow
from handlers.storage.models import Practitioner
from kkcore.errors import BadRequest, Problem

# Relevance ranks by a weighted rating: a 5.0 from no sessions should not outrank 4.8 from
# 1,250. The rating is pulled towards PRIOR_RATING as if PRIOR_SESSIONS more were rated so
# (the "Bayesian average" of review sites).
PRIOR_RATING, PRIOR_SESSIONS = 4.0, 20
WEIGHTED_RATING = (
    Practitioner.rating * Practitioner.total_sessions + PRIOR_RATING * PRIOR_SESSIONS
) / (Practitioner.total_sessions + PRIOR_SESSIONS)
# Each sort's keys, most significant first: (SQL expression, its value on a loaded row,
# descending?). The id (ascending) breaks ties, so every order is total: pages never skip or
# repeat a row, and a cursor (the keys of the row it stands after) stays valid while rows are
# added, changed or removed.
Key = tuple[Any, Callable[[PractitionerRow], Any], bool]
ORDER_KEYS: dict[str, tuple[Key, ...]] = {
    "relevance": (
        (Practitioner.verified, lambda p: p.verified, True),
        (WEIGHTED_RATING, lambda p: weighted(p), True),
        (Practitioner.total_sessions, lambda p: p.total_sessions, True),
    ),
    "rating": (
        (Practitioner.rating, lambda p: p.rating, True),
        (Practitioner.total_sessions, lambda p: p.total_sessions, True),
    ),
    "price_asc": ((Practitioner.price_amount, lambda p: p.price_amount, False),),
    "price_desc": ((Practitioner.price_amount, lambda p: p.price_amount, True),),
    "total_sessions": ((Practitioner.total_sessions, lambda p: p.total_sessions, True),),
    "next_available": (),
}
SORTS: dict[str, tuple[Any, ...]] = {
    name: tuple(expr.desc() if desc else expr.asc() for expr, _, desc in keys)
    for name, keys in ORDER_KEYS.items()
}


def encode_cursor(sort: str, values: Sequence[Any], pid: str) -> str:
    raw = orjson.dumps([sort, list(values), pid])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(sort: str, value: str) -> tuple[list[Any], str]:
    """The keys and id a cursor of this sort stands after; 400 for anything else."""
    try:
        raw = orjson.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
        kind, values, pid = raw
        if kind == sort and isinstance(values, list) and isinstance(pid, str):
            if len(values) == len(ORDER_KEYS[sort]) or sort == "next_available":
                return values, pid
    except (ValueError, TypeError):
        pass
    problem = Problem("`after` is not a cursor of this search's order", parameter="after")
    raise BadRequest(problems=[problem])


def _past(expr: Any, value: Any, desc: bool) -> ColumnElement[bool]:
    """Rows past `value` on one key (booleans: true first when descending)."""
    if isinstance(value, bool):
        if value == desc:  # true when descending, false when ascending: the other one follows
            found: ColumnElement[bool] = expr.is_(not value)
            return found
        return false()
    past: ColumnElement[bool] = expr < value if desc else expr > value
    return past


def after_row(keys: Sequence[Key], values: Sequence[Any], pid: str) -> ColumnElement[bool]:
    """Rows after (values, pid) in the order of `keys` then id: for each key, the rows equal
    on the keys before it and past it on this one."""
    columns = [(expr, desc) for expr, _, desc in keys] + [(Practitioner.id, False)]
    wanted = [*values, pid]
    either = []
    for k, (expr, desc) in enumerate(columns):
        same = [columns[i][0] == wanted[i] for i in range(k)]
        either.append(and_(*same, _past(expr, wanted[k], desc)))
    return or_(*either)


def weighted(p: PractitionerRow) -> float:
    """WEIGHTED_RATING of one loaded practitioner."""
    sessions = p.total_sessions
    return (p.rating * sessions + PRIOR_RATING * PRIOR_SESSIONS) / (sessions + PRIOR_SESSIONS)


EARTH_KM = 6371.0088


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(h)))
