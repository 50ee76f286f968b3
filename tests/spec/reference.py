"""What the REST coverage test needs from the API reference (../shared/api-reference.txt).

Everything is parsed from the reference text at test time, so a change to the reference or
to spec/openapi.yaml shows up as a failing coverage test. A missing reference is an error,
never a skip (CI lays shared/ beside the clone). The reference's tables lost their cell
separators ("read:profileRead user profile information"); the parsers below split them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from tests.spec.reference_documents import reference_text

METHOD_LINE = re.compile(r"^(GET|POST|PUT|PATCH|DELETE) (\S+)")
SCOPE_ROW = re.compile(r"^([a-z]+:[a-z_]+)(?=[A-Z])")
ERROR_ROW = re.compile(r"^[A-Z][A-Z_]*[A-Z]")
EVENT_BULLET = re.compile(r"^\s*•\s*([a-z_]+\.[a-z_]+) - ")
LIMIT_BULLET = re.compile(r"^\s*•\s*(.+?): ([\d,]+) requests/(minute|hour)$")
QUERY_BULLET = re.compile(r"^\s*•\s*(\w+) \((\w+)\):")
NUMBER = r"\d{1,3}(?:,\d{3})*|Custom"
TIER_ROW = re.compile(rf"^(Free|Basic|Pro|Enterprise)({NUMBER})({NUMBER})$")
# A description starts with a capitalised word or an acronym ("API rate limit exceeded").
DESCRIPTION_START = re.compile(r"^(?:[A-Z][a-z]|[A-Z]{2,}\b)")

# The reference's labels of endpoint-specific limits -> the spec's `x-rate-limit` classes.
RATE_LIMIT_LABELS = {
    "Search endpoints": "search",
    "Booking creation": "booking_create",
    "File uploads": "file_upload",
    "Messaging": "messaging",
}
# Method lines that are not REST operations of openapi.yaml (spec/schema.graphql covers it).
NOT_REST = {"/graphql"}


@dataclass(frozen=True)
class Endpoint:
    """A `METHOD /path` line of the reference, with the query parameters its example uses."""

    method: str
    path: str
    query: tuple[str, ...]
    line: int

    def __str__(self) -> str:
        return f"{self.method} {self.path} (reference line {self.line})"


def section(title: str, next_title: str, text: str | None = None) -> list[str]:
    """The lines after the line that is exactly `title`, up to the line `next_title`."""
    lines = (text if text is not None else reference_text()).splitlines()
    stripped = [line.strip() for line in lines]
    try:
        start = stripped.index(title)
        end = stripped.index(next_title, start + 1)
    except ValueError as e:
        raise ValueError(f"reference section {title!r} .. {next_title!r} not found") from e
    return lines[start + 1 : end]


def rest_endpoints(text: str | None = None) -> list[Endpoint]:
    """Every REST `METHOD /path` line, relative to the REST base, query string stripped.

    Absolute URLs (the OAuth endpoints) lose scheme and host, and `/v1` is dropped;
    `GET https://auth.klearkarma.com/oauth/authorize?` becomes `GET /oauth/authorize`.
    """
    found = []
    lines = (text if text is not None else reference_text()).splitlines()
    for number, line in enumerate(lines, start=1):
        m = METHOD_LINE.match(line)
        if not m:
            continue
        url = urlsplit(m.group(2))
        path = url.path
        if path.startswith("/v1/"):
            path = path[len("/v1") :]
        if path in NOT_REST:
            continue
        query = tuple(name for name, _ in parse_qsl(url.query, keep_blank_values=True))
        found.append(Endpoint(m.group(1), path, query, number))
    return found


def scopes(text: str | None = None) -> list[str]:
    """The scopes of the "Scopes and Permissions" table."""
    rows = section("Scopes and Permissions", "API Overview", text)
    return [m.group(1) for row in rows if (m := SCOPE_ROW.match(row.strip()))]


def error_code_rows(text: str | None = None) -> list[str]:
    """The rows of the "Common Error Codes" table (code and description run together)."""
    rows = section("Common Error Codes", "Rate Limiting", text)
    return [row.strip() for row in rows if ERROR_ROW.match(row.strip())]


def row_has_code(row: str, code: str) -> bool:
    """Whether `row` is `code` followed by its description."""
    return row.startswith(code) and bool(DESCRIPTION_START.match(row[len(code) :]))


def guess_error_code(row: str) -> str:
    """The code of a row, for messages. Where the description starts with an acronym
    (`RATE_LIMIT_EXCEEDEDAPI rate limit exceeded`) the split is ambiguous; take a
    three-letter acronym then. The coverage test itself uses `row_has_code`."""
    for end in range(len(row), 0, -1):
        code, rest = row[:end], row[end:]
        if re.fullmatch(r"[A-Z]+(?:_[A-Z]+)*", code) and re.match(r"^[A-Z][a-z]", rest):
            return code
    m = re.match(r"^([A-Z]+(?:_[A-Z]+)*)[A-Z]{3}\b", row)
    return m.group(1) if m else row.split()[0]


def error_codes(text: str | None = None) -> list[str]:
    return [guess_error_code(row) for row in error_code_rows(text)]


def webhook_events(text: str | None = None) -> list[str]:
    """The event types listed under "Event Types" (`booking.created`, ...)."""
    rows = section("Event Types", "Webhook Payload", text)
    return [m.group(1) for row in rows if (m := EVENT_BULLET.match(row))]


def rate_limit_classes(text: str | None = None) -> dict[str, tuple[int, str]]:
    """Endpoint-specific limits by spec class: `{"search": (100, "minute"), ...}`.

    Raises for a label that RATE_LIMIT_LABELS does not map, so a new limit in the
    reference cannot go unnoticed.
    """
    rows = section("Endpoint-Specific Limits:", "SDK and Libraries", text)
    found = {}
    for row in rows:
        m = LIMIT_BULLET.match(row)
        if not m:
            continue
        label, number, per = m.groups()
        if label not in RATE_LIMIT_LABELS:
            raise ValueError(f"reference rate limit {label!r} has no class in RATE_LIMIT_LABELS")
        found[RATE_LIMIT_LABELS[label]] = (int(number.replace(",", "")), per)
    return found


def rate_limit_tiers(text: str | None = None) -> dict[str, tuple[int | None, int | None]]:
    """Tiers as `{"free": (per_hour, burst), ...}`; None where the reference says Custom."""

    def number(value: str) -> int | None:
        return None if value == "Custom" else int(value.replace(",", ""))

    rows = section("Rate Limit Tiers", "Rate Limit Strategies", text)
    return {
        m.group(1).lower(): (number(m.group(2)), number(m.group(3)))
        for row in rows
        if (m := TIER_ROW.match(row.strip()))
    }


def search_query_parameters(text: str | None = None) -> dict[str, str]:
    """The "Query Parameters" list of Search Practitioners: `{name: reference type}`."""
    rows = section("Query Parameters:", "Response:", text)
    return {m.group(1): m.group(2) for row in rows if (m := QUERY_BULLET.match(row))}
