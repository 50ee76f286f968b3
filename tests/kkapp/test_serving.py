"""The network options table: every flag and its environment variable reach `Network`."""

from __future__ import annotations

from typing import Any

import click
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from kkapp.serving import BOUNDS, Network, network_options
from server.httpbounds import HttpLimits


def received(args: list[str], env: dict[str, str] | None = None) -> Network:
    got: list[Network] = []

    @click.command()
    @network_options
    def command(network: Network) -> None:
        got.append(network)

    result = CliRunner().invoke(command, args, env=env)
    assert result.exit_code == 0, result.output
    return got[0]


def test_without_options_the_network_has_the_defaults() -> None:
    assert received([]) == Network()


values = st.fixed_dictionaries(
    {
        "limit_concurrency": st.integers(0, 10_000),
        "timeout_keep_alive": st.integers(1, 600),
        "ws_max_size": st.integers(1024, 1 << 24),
        "max_headers": st.integers(1, 1000),
        "max_header_bytes": st.integers(1024, 1 << 20),
        "header_timeout": st.floats(0, 600, allow_nan=False),
    }
)


def expected(given: dict[str, Any], **extra: Any) -> Network:
    http = HttpLimits(given["max_headers"], given["max_header_bytes"], given["header_timeout"])
    rest = {k: v for k, v in given.items() if k not in ("max_headers", "max_header_bytes")}
    del rest["header_timeout"]
    return Network(**rest, **extra, http=http)


@settings(max_examples=25, deadline=None)
@given(values)
def test_every_bound_given_as_a_flag_reaches_the_network(given: dict[str, Any]) -> None:
    args = ["--trusted-proxies", "10.0.0.1", "--no-docs"]
    for bound in BOUNDS:
        args += [bound.flag, str(given[bound.flag[2:].replace("-", "_")])]
    assert received(args) == expected(given, trusted_proxies="10.0.0.1", docs=False)


@settings(max_examples=25, deadline=None)
@given(values)
def test_every_bound_given_in_the_environment_reaches_the_network(given: dict[str, Any]) -> None:
    env = {bound.envvar: str(given[bound.flag[2:].replace("-", "_")]) for bound in BOUNDS}
    assert received([], env=env) == expected(given)


def test_a_bound_out_of_its_range_is_a_usage_error_naming_the_flag() -> None:
    @click.command()
    @network_options
    def command(network: Network) -> None:
        pass

    result = CliRunner().invoke(command, ["--ws-max-size", "10"])
    assert result.exit_code == 2
    assert "--ws-max-size" in result.output
