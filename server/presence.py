"""Security as Prism mocks it: without an identity layer (`kk mock`), an operation whose
security requirement the request does not even try to meet answers its documented 401/403.

Only presence is checked (a bearer token, the API key's header, query parameter or cookie),
never validity: a mock has no keys to check them against. An operation that documents neither
401 nor 403 (nor `4XX`/`default`) is answered as usual, so every answer stays documented.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from kkcore.errors import AuthenticationRequired
from server.documented import response_key

if TYPE_CHECKING:
    from server.config import Runtime
    from server.ports import Call, Operation, Step

Probe = Callable[["Call"], bool]


def _authorization(prefix: str) -> Probe:
    def probe(call: Call) -> bool:
        value = call.headers.get("authorization", "")
        return value.lower().startswith(prefix) and len(value) > len(prefix)

    return probe


def _api_key(where: str, name: str) -> Probe:
    def probe(call: Call) -> bool:
        if where == "header":
            return bool(call.headers.get(name))
        if where == "query":
            query = call.scope.get("query_string", b"").decode("latin-1")
            return name in parse_qs(query, keep_blank_values=True)
        cookie: SimpleCookie = SimpleCookie()
        try:
            cookie.load(call.headers.get("cookie", ""))
        except Exception:  # noqa: BLE001 - a malformed Cookie header carries no key
            return False
        return name in cookie

    return probe


def probe_for(scheme: Mapping[str, Any] | None) -> Probe:
    """How to see that a request presents a credential of `scheme` (an unknown one: always)."""
    scheme = scheme or {}
    kind = scheme.get("type")
    if kind == "http":
        method = str(scheme.get("scheme", "")).lower()
        return _authorization(f"{method} " if method in ("basic", "bearer") else "")
    if kind == "apiKey" and scheme.get("in") in ("header", "query", "cookie"):
        return _api_key(str(scheme["in"]), str(scheme.get("name", "")))
    if kind in ("oauth2", "openIdConnect"):
        return _authorization("bearer ")
    return lambda call: True


def challenge(scheme: Mapping[str, Any] | None) -> str | None:
    """The `WWW-Authenticate` challenge (RFC 9110 §11.6.1) of `scheme`, None for an API key
    (no registered challenge)."""
    scheme = scheme or {}
    kind = scheme.get("type")
    if kind == "http" and str(scheme.get("scheme", "")).lower() == "basic":
        return 'Basic realm="*"'
    if (kind == "http" and scheme.get("scheme")) or kind in ("oauth2", "openIdConnect"):
        return str(scheme.get("scheme") or "Bearer").capitalize()
    return None


def credentials(op: Operation, runtime: Runtime) -> Step | None:
    requirements = op.spec["security"]
    if (
        not runtime.check_credentials
        or runtime.authenticator is not None
        or not requirements
        or any(not r for r in requirements)  # `{}`: anonymous access is one of the options
        or response_key(op.spec["responses"], 401) is None
    ):
        return None
    schemes = runtime.table.get("security_schemes") or {}
    options = [[probe_for(schemes.get(name)) for name in r] for r in requirements]
    names = " or ".join(" + ".join(r) for r in requirements)
    # what a 401 must say (RFC 9110): how to authenticate, as Prism says it
    challenges = {c for r in requirements for n in r if (c := challenge(schemes.get(n)))}
    headers = {"WWW-Authenticate": ", ".join(sorted(challenges))} if challenges else {}

    async def step(call: Call) -> None:
        if not any(all(probe(call) for probe in option) for option in options):
            raise AuthenticationRequired(
                f"This operation needs credentials: {names}", headers=headers
            )

    return step
