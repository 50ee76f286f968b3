"""OAuth clients: public ones (PKCE, loopback redirects per RFC 8252) and confidential ones.

Confidential clients are configured in `<data_dir>/clients.json`:

    [{"client_id": "partner-app", "client_secret_sha256": "<hex digest of the secret>",
      "redirect_uris": ["https://partner.example/callback"], "scopes": ["read:profile"]}]
"""

from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import orjson

from kkcore.errors import StartupError
from server.auth.store import digest


@dataclass(frozen=True, slots=True)
class Client:
    """A registered OAuth client."""

    client_id: str
    redirect_uris: tuple[str, ...] = ()
    scopes: frozenset[str] | None = None  # None: any scope the server knows
    secret_sha256: str | None = None  # None: a public client
    loopback: bool = False  # any http loopback redirect URI (RFC 8252 section 7.3)

    @property
    def public(self) -> bool:
        return self.secret_sha256 is None

    def allows_redirect(self, uri: str) -> bool:
        if has_control_characters(uri):  # CR/LF would split the Location header
            return False
        if uri in self.redirect_uris:
            return True
        return self.loopback and is_loopback(uri)

    def check_secret(self, secret: str | None) -> bool:
        if self.secret_sha256 is None:
            return True
        return secret is not None and hmac.compare_digest(digest(secret), self.secret_sha256)


def has_control_characters(text: str) -> bool:
    return any(ord(c) < 0x20 or ord(c) == 0x7F for c in text)


def is_loopback(uri: str) -> bool:
    """An http URI on a loopback interface, any port and path, no fragment (RFC 8252)."""
    try:
        parts = urlsplit(uri)
        port = parts.port  # raises on a malformed port
    except ValueError:
        return False
    if parts.scheme != "http" or parts.fragment or parts.username or port == 0:
        return False
    host = parts.hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ClientRegistry:
    """The clients of one authorization server, by id."""

    def __init__(self) -> None:
        self._clients: dict[str, Client] = {}

    def register(self, client: Client) -> None:
        self._clients[client.client_id] = client

    def get(self, client_id: str | None) -> Client | None:
        return self._clients.get(client_id or "")

    def load(self, path: Path) -> None:
        """Read confidential clients from a JSON file (see the module docstring)."""
        if not path.exists():
            return
        try:
            entries = orjson.loads(path.read_bytes())
            for e in entries:
                self.register(
                    Client(
                        client_id=str(e["client_id"]),
                        redirect_uris=tuple(e.get("redirect_uris") or ()),
                        scopes=frozenset(e["scopes"]) if "scopes" in e else None,
                        secret_sha256=e.get("client_secret_sha256"),
                    )
                )
        except (orjson.JSONDecodeError, KeyError, TypeError) as e:
            raise StartupError(f"{path}: not a valid list of OAuth clients: {e}") from e
