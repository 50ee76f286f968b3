"""Where a webhook may be delivered, decided on the addresses actually connected to (SSRF).

A target URL's host is resolved once per attempt, every resolved address is checked with
`ipaddress`, and the request then goes to the checked address itself (the URL's host kept
in `Host` and, for HTTPS, in SNI and certificate checks), so a DNS answer that changes
between the check and the connection (rebinding) cannot redirect it. Redirects are never
followed and proxies from the environment are not used.

The rules, in order:

1. `http`/`https` only, with a host.
2. The sandbox's allowance (`loopback=True`, `kk sandbox` and `kk mock`): `localhost` or an
   IP literal whose addresses are all loopback (`127.0.0.1`, `[::1]`) is a local receiver
   and is delivered to; other unnamed hosts are refused without a DNS query.
3. Otherwise the host must be named by `KK_WEBHOOK_HOSTS` (`*` names every host), and
   every address it resolves to must be public: loopback, private, shared (CGNAT),
   link-local (169.254.169.254 included), multicast, unspecified (0.0.0.0), reserved and
   documentation ranges are refused, as are IPv6 forms that embed one (IPv4-mapped
   `::ffff:127.0.0.1`, NAT64, 6to4, Teredo). Decimal, octal and short IPv4 forms
   (`2130706433`, `0177.0.0.1`, `127.1`) are what the resolver makes of them, so they are
   checked as the address they mean. `KK_WEBHOOK_NETWORKS` (CIDRs) opts named private
   networks in explicitly.

A refused target is never connected to, so the delivery log cannot tell a closed port from
an open one (no port-scanning oracle); the log says `refused` and nothing more.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit, urlunsplit

if TYPE_CHECKING:
    import httpx

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Ranges `is_global` lets through that no webhook receiver lives in.
NOT_RECEIVERS = tuple(
    ipaddress.ip_network(n) for n in ("224.0.0.0/4", "ff00::/8", "100.64.0.0/10", "0.0.0.0/8")
)


class Refused(Exception):
    """The target is not delivered to; the message says why without naming addresses."""


class Unreachable(Exception):
    """The host could not be resolved: an ordinary failed attempt (retried)."""


def redact(url: str) -> str:
    """`url` without the credentials of its userinfo (`https://***@host/...`)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc="***@" + parts.netloc.rsplit("@", 1)[1]))


def embedded(ip: Address) -> list[Address]:
    """The address and any IPv4 address an IPv6 form carries inside it."""
    found: list[Address] = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            found.append(ip.ipv4_mapped)
        if ip.sixtofour is not None:
            found.append(ip.sixtofour)
        if ip.teredo is not None:
            found.extend(ip.teredo)
        if ip in NAT64:
            found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def is_public(ip: Address) -> bool:
    """True for an address a webhook receiver on the internet may have."""
    for one in embedded(ip):
        if (
            not one.is_global
            or one.is_multicast
            or one.is_unspecified
            or one.is_reserved
            or one.is_loopback
            or one.is_link_local
            or one.is_private
            or any(one in net for net in NOT_RECEIVERS if net.version == one.version)
        ):
            return False
    return True


def is_loopback(ip: Address) -> bool:
    """This machine: a loopback address, also written IPv4-mapped (`::ffff:127.0.0.1`)."""
    mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
    return ip.is_loopback or (mapped is not None and mapped.is_loopback)


def local_name(host: str) -> bool:
    """A name the sandbox's allowance may apply to: `localhost` or an IP literal (resolved
    without DNS); anything else must be named in KK_WEBHOOK_HOSTS."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


async def resolve(host: str, port: int) -> list[Address]:
    """Every address `host` resolves to (once, in the resolver's order, without repeats)."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as e:
        raise Unreachable("the host could not be resolved") from e
    seen: dict[Address, None] = {}
    for *_, sockaddr in infos:
        seen.setdefault(ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0]), None)
    if not seen:
        raise Unreachable("the host could not be resolved")
    return list(seen)


@dataclass(frozen=True)
class Pinned:
    """A request to make: the URL with the checked address as host, and what keeps the
    original host name in force (the `Host` header, TLS server name)."""

    url: str
    host_header: str
    sni: str | None


@dataclass(frozen=True)
class TargetPolicy:
    allowed_hosts: tuple[str, ...] = ()
    allowed_networks: tuple[Network, ...] = ()
    loopback: bool = True

    def names(self, host: str) -> bool:
        return "*" in self.allowed_hosts or host in self.allowed_hosts

    def opted_in(self, ip: Address) -> bool:
        nets = self.allowed_networks
        return any(one in net for one in embedded(ip) for net in nets if net.version == one.version)

    async def pin(self, url: str) -> Pinned:
        """Resolve and check `url`'s host; the request to make, or Refused/Unreachable."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().rstrip(".")
        if parts.scheme not in ("http", "https") or not host:
            raise Refused("only http and https URLs with a host are delivered to")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as e:
            raise Refused("the URL's port is invalid") from e
        named = self.names(host)
        not_named = Refused(
            "the host is not an allowed webhook host (KK_WEBHOOK_HOSTS)"
            + ("; the sandbox delivers to this machine only" if self.loopback else "")
        )
        if not named and not (self.loopback and local_name(host)):
            raise not_named  # not even resolved: no DNS query for a host that cannot qualify
        try:
            addresses = await resolve(host, port)
        except Unreachable:
            if not named:  # could not be a local receiver either
                raise not_named from None
            raise
        local = self.loopback and all(is_loopback(ip) for ip in addresses)
        if not local:
            if not named:
                raise not_named
            if not all(is_public(ip) or self.opted_in(ip) for ip in addresses):
                raise Refused("the host resolves to a non-public address (KK_WEBHOOK_NETWORKS)")
        chosen = addresses[0]
        literal = f"[{chosen}]" if chosen.version == 6 else str(chosen)
        netloc = literal + (f":{parts.port}" if parts.port else "")
        host_header = parts.netloc.rsplit("@", 1)[-1]
        pinned = urlunsplit(parts._replace(netloc=netloc))
        return Pinned(pinned, host_header, host if parts.scheme == "https" else None)


def networks(raw: Iterable[str]) -> tuple[Network, ...]:
    """CIDRs from `KK_WEBHOOK_NETWORKS`; a bad one stops the server with its name."""
    found = []
    for item in raw:
        try:
            found.append(ipaddress.ip_network(item, strict=False))
        except ValueError as e:
            raise ValueError(f"KK_WEBHOOK_NETWORKS: {item!r} is not a network") from e
    return tuple(found)


async def post(
    client: httpx.AsyncClient,
    policy: TargetPolicy | None,
    url: str,
    payload: bytes,
    headers: dict[str, str],
    method: str = "POST",
) -> httpx.Response:
    """POST (or `method`) `payload` to `url` through the checked address (`policy` None: an
    in-process transport, no network involved)."""
    import httpx

    url, userinfo = credentials(url)
    auth = httpx.BasicAuth(*userinfo) if userinfo else httpx.USE_CLIENT_DEFAULT
    if policy is None:
        return await client.request(method, url, content=payload, headers=headers, auth=auth)
    target = await policy.pin(url)
    extensions = {"sni_hostname": target.sni} if target.sni else None
    return await client.request(
        method,
        target.url,
        content=payload,
        headers={**headers, "Host": target.host_header},
        extensions=extensions,
        auth=auth,
    )


def credentials(url: str) -> tuple[str, tuple[str, str] | None]:
    """The URL without its userinfo, and that userinfo as Basic auth: sent to the receiver,
    never part of a URL that a log line (httpx logs every request's) could print."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None
    bare = urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))
    return bare, (unquote(parts.username or ""), unquote(parts.password or ""))
