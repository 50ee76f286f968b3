"""Where a webhook may go (server.webhook_targets): resolved addresses, not host strings."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from server import webhook_targets
from server.webhook_targets import (
    Refused,
    TargetPolicy,
    Unreachable,
    is_public,
    networks,
    post,
    redact,
)
from server.webhooks import WebhookSettings

pytestmark = pytest.mark.anyio
SANDBOX = TargetPolicy(allowed_hosts=(), loopback=True)
SERVE_ANY = TargetPolicy(allowed_hosts=("*",), loopback=False)
PRIVATE = [
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "100.64.0.0/10",
    "224.0.0.0/4",
    "0.0.0.0/8",
    "240.0.0.0/4",
    "fc00::/7",
    "fe80::/10",
]


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, list[str]]]:
    """A resolver answering from a table (and counting how often it was asked)."""
    table: dict[str, list[str]] = {}

    async def resolve(host: str, port: int) -> list[Any]:
        table.setdefault("__asked__", []).append(host)
        if host not in table:
            raise Unreachable("the host could not be resolved")
        return [ipaddress.ip_address(a) for a in table[host]]

    monkeypatch.setattr(webhook_targets, "resolve", resolve)
    yield table


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9000/hooks",
        "http://localhost/x",
        "http://[::1]:8080/",
        "http://[::ffff:127.0.0.1]/",
    ],
)
async def test_the_sandbox_delivers_to_receivers_on_this_machine(url: str) -> None:
    pinned = await SANDBOX.pin(url)
    assert webhook_targets.is_loopback(ipaddress.ip_address(httpx.URL(pinned.url).host))


@pytest.mark.parametrize(
    "url", ["http://10.0.0.5/h", "http://192.168.1.2/", "http://0.0.0.0/", "http://127.1/"]
)
async def test_the_sandbox_refuses_other_targets_unless_named(url: str) -> None:
    with pytest.raises(Refused, match="KK_WEBHOOK_HOSTS"):
        await SANDBOX.pin(url)


async def test_an_unnamed_host_is_refused_unasked_and_a_named_unresolvable_one_is_unreachable(
    dns: dict[str, list[str]],
) -> None:
    with pytest.raises(Refused):
        await SANDBOX.pin("https://hooks.invalid/x")
    assert "__asked__" not in dns  # no DNS query for a fuzzer's random host
    with pytest.raises(Unreachable):
        await TargetPolicy(("hooks.invalid",), loopback=False).pin("https://hooks.invalid/x")


async def test_outside_the_sandbox_an_unnamed_host_is_not_even_resolved(
    dns: dict[str, list[str]],
) -> None:
    dns["hooks.example.org"] = ["93.184.216.34"]
    with pytest.raises(Refused):
        await TargetPolicy(("other.example.org",), loopback=False).pin("https://hooks.example.org/")
    assert "__asked__" not in dns


async def test_a_host_with_one_private_address_among_public_ones_is_refused(
    dns: dict[str, list[str]],
) -> None:
    dns["mixed.example.org"] = ["93.184.216.34", "10.1.2.3"]
    with pytest.raises(Refused, match="non-public"):
        await SERVE_ANY.pin("https://mixed.example.org/hook")


async def test_named_networks_opt_private_receivers_in(dns: dict[str, list[str]]) -> None:
    dns["lan.example"] = ["192.168.1.20"]
    policy = TargetPolicy(("*",), networks(["192.168.1.0/24"]), loopback=False)
    assert (await policy.pin("http://lan.example:8080/h")).url == "http://192.168.1.20:8080/h"
    with pytest.raises(ValueError, match="KK_WEBHOOK_NETWORKS"):
        networks(["not-a-network"])


async def test_the_request_goes_to_the_checked_address_so_rebinding_cannot_move_it(
    dns: dict[str, list[str]],
) -> None:
    dns["rebind.example"] = ["93.184.216.34"]
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        dns["rebind.example"] = ["127.0.0.1"]  # the attacker's DNS changes its answer now
        seen.append(request)
        return httpx.Response(204)

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
        await post(client, SERVE_ANY, "https://u:pw@rebind.example/h?x=1", b"{}", {})
    [request] = seen
    assert request.url.host == "93.184.216.34" and request.url.path == "/h"
    assert request.headers["host"] == "rebind.example"
    assert request.extensions["sni_hostname"] == "rebind.example"
    assert request.headers["authorization"].startswith("Basic ") and "u:pw" not in str(request.url)
    assert dns["__asked__"] == ["rebind.example"]  # resolved once, then connected to


@given(
    st.sampled_from(PRIVATE).flatmap(
        lambda net: st.integers(0, ipaddress.ip_network(net).num_addresses - 1).map(
            lambda i, net=net: ipaddress.ip_network(net)[i]
        )
    )
)
def test_no_address_of_a_non_public_range_counts_as_public_in_any_form(ip: Any) -> None:
    assert not is_public(ip)
    if ip.version == 4:  # the same address IPv4-mapped, NAT64 and 6to4
        assert not is_public(ipaddress.IPv6Address(f"::ffff:{ip}"))
        assert not is_public(
            ipaddress.IPv6Address(int(ipaddress.IPv6Address("64:ff9b::")) | int(ip))
        )
        assert not is_public(ipaddress.IPv6Address((0x2002 << 112) | (int(ip) << 80)))


def test_public_addresses_are_public() -> None:
    assert is_public(ipaddress.ip_address("93.184.216.34"))
    assert is_public(ipaddress.ip_address("2606:4700::6810:84e5"))


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:pass@hooks.example.org/x", "https://***@hooks.example.org/x"),
        ("https://token@hooks.example.org:8443/x", "https://***@hooks.example.org:8443/x"),
        ("https://hooks.example.org/x?a=b", "https://hooks.example.org/x?a=b"),
    ],
)
def test_urls_are_shown_without_their_credentials(url: str, shown: str) -> None:
    assert redact(url) == shown


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/", "file:///etc/passwd", "http:///x"])
async def test_only_http_urls_with_a_host_are_delivered_to(url: str) -> None:
    with pytest.raises(Refused, match="only http"):
        await SANDBOX.pin(url)


async def test_an_attempt_records_refusals_failures_and_answers_without_raising() -> None:
    settings = WebhookSettings(allowed_hosts=(), loopback=False, timeout=0.5)
    async with settings.client() as client:
        refused = await settings.send(client, "wh_1", "http://127.0.0.1:9/x", b"{}", {})
    assert (refused.status, refused.response_status, refused.duration_ms) == ("refused", None, 0)

    def teapot(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    for transport, status, error in [
        (httpx.MockTransport(lambda r: httpx.Response(418)), "failed", "answered 418"),
        (httpx.MockTransport(lambda r: httpx.Response(200)), "succeeded", None),
        (httpx.MockTransport(teapot), "failed", "ConnectError"),
    ]:
        local = WebhookSettings(transport=transport)
        async with local.client() as client:
            outcome = await local.send(client, "wh_1", "http://a:b@x.test/h", b"{}", {})
        assert outcome.status == status
        assert (error is None) == (outcome.error is None)
        assert error is None or error in str(outcome.error)
