"""`kk sandbox`, `kk mock` and `kk serve` share their option sets: each one's flags reach the
app's config and the server's address the same way in every command."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from click.testing import CliRunner

from kkapp.cli import main

SHARED = [
    *("--host", "0.0.0.0", "--port", "9001", "--workers", "3", "--seed", "7"),
    *("--no-validate-responses", "--log-requests", "--rate-limits", "relaxed"),
    *("--cors-origin", "http://a.test", "--cors-origin", "http://b.test"),
]
STORE = [
    *("--chaos", "0.25", "--seed-count", "5", "--max-records", "300"),
    *("--webhook-backoff", "production"),
]


def started(monkeypatch: pytest.MonkeyPatch, args: list[str]) -> tuple[Any, tuple[Any, ...]]:
    seen: list[tuple[Any, tuple[Any, ...]]] = []

    def run(config: Any, *where: Any, **_: Any) -> None:
        seen.append((config, where[:3]))

    # (the package exports the command under the module's name: reach the module itself)
    monkeypatch.setattr(sys.modules[f"kkapp.cli.{args[0]}"], "run", run)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return seen[0]


@pytest.mark.parametrize("command", ["sandbox", "mock", "serve"])
def test_the_serving_options_reach_every_commands_config(
    monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    config, where = started(monkeypatch, [command, *SHARED])
    assert where == ("0.0.0.0", 9001, 3)
    assert (config.seed, config.validate_responses, config.access_log) == (7, False, True)
    assert config.rate_limits == "relaxed"
    assert config.cors_origins == ["http://a.test", "http://b.test"]


@pytest.mark.parametrize("command", ["sandbox", "mock"])
def test_the_store_options_reach_the_mock_engine(
    monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    config, _ = started(monkeypatch, [command, *STORE])
    assert config.options == {
        "chaos": 0.25,
        "seed_count": 5,
        "max_records": 300,
        "webhook_backoff": "production",
    }


@pytest.mark.parametrize("command", ["sandbox", "mock"])
def test_the_store_bound_comes_from_the_environment_too(
    monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    monkeypatch.setenv("KK_MAX_RECORDS", "0")
    config, _ = started(monkeypatch, [command])
    assert config.options["max_records"] == 0
    config, _ = started(monkeypatch, [command, "--max-records", "7"])
    assert config.options["max_records"] == 7


def test_without_store_options_the_engine_gets_the_sandbox_backoff_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config, _ = started(monkeypatch, ["sandbox"])
    assert config.options == {"webhook_backoff": "sandbox"}
