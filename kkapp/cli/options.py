"""Option sets shared by the serving commands, as tables applied in order."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import Any

import click

from kkapp.config import AppConfig
from kkcore.types import Mode

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def stacked(options: Sequence[Decorator]) -> Decorator:
    """One decorator adding `options` so that `--help` lists them in table order."""

    def apply(fn: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            fn = option(fn)
        return fn

    return apply


def gathered(into: str, names: Sequence[str], make: Callable[..., Any]) -> Decorator:
    """The command gets `into=make(**values)` in place of the options `names`, so the commands
    sharing an option set do not each repeat its parameters and their mapping to the config."""

    def apply(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)  # (keeps the options applied before, in __click_params__)
        def command(**kwargs: Any) -> Any:
            kwargs[into] = make(**{name: kwargs.pop(name) for name in names})
            return fn(**kwargs)

        return command

    return apply


@dataclass(frozen=True)
class Serving:
    """The `serving_options` a command was given."""

    host: str
    port: int
    workers: int
    seed: int
    validate_responses: bool | None
    log_requests: bool | None
    rate_limits: str | None
    cors_origin: tuple[str, ...]

    def config(self, mode: Mode, **more: Any) -> AppConfig:
        """The app's config in `mode` with these options and `more` fields."""
        return AppConfig(
            mode,
            seed=self.seed,
            validate_responses=self.validate_responses,
            access_log=self.log_requests,
            rate_limits=self.rate_limits,
            cors_origins=list(self.cors_origin),
            **more,
        )


# The serving commands' options, handed to the command as `serving: Serving`.
serving_options = stacked(
    [
        click.option(
            "--host", default="127.0.0.1", show_default=True, help="Interface to listen on."
        ),
        click.option("--port", default=8000, show_default=True, type=int, help="TCP port."),
        click.option("--workers", default=1, show_default=True, type=int, help="Worker processes."),
        click.option(
            "--seed", default=0, show_default=True, type=int, help="Seed of all mock data."
        ),
        click.option(
            "--validate-responses/--no-validate-responses",
            default=None,
            help="Check every answer against the spec (default: on in sandbox/mock, off in serve).",
        ),
        click.option(
            "--log-requests/--no-log-requests",
            default=None,
            help="One JSON log line per request (default: on for serve, off for sandbox/mock).",
        ),
        click.option(
            "--rate-limits",
            type=click.Choice(["on", "relaxed", "off"]),
            default=None,
            help="The spec's limits, the same x100, or none (default: on; off for mock).",
        ),
        click.option(
            "--cors-origin",
            "cors_origin",
            multiple=True,
            metavar="ORIGIN",
            help="Let browser apps from ORIGIN call the API (repeatable), e.g. a phone on the "
            "LAN, http://192.168.1.20:5173, or a cloud IDE; besides the loopback origins "
            "sandbox and mock allow. KK_CORS_ORIGINS (comma-separated) adds more.",
        ),
        gathered("serving", [f.name for f in fields(Serving)], Serving),
    ]
)


def store_options(
    state: str | None,
    chaos: float,
    seed_count: int | None,
    max_records: int | None = None,
    webhook_backoff: str = "sandbox",
) -> dict[str, Any]:
    """The mock engine's options from the `mock_options` a command was given."""
    options: dict[str, Any] = {"chaos": chaos} if chaos else {}
    options["webhook_backoff"] = webhook_backoff
    if state:
        options["state"] = state
    if seed_count is not None:
        options["seed_count"] = seed_count
    if max_records is not None:
        options["max_records"] = max_records
    return options


# The sandbox store's options, shared by `kk sandbox` and `kk mock`, handed to the command as
# `store`: the mock engine's options (`store_options`).
mock_options = stacked(
    [
        click.option(
            "--state",
            type=click.Path(dir_okay=False),
            default=None,
            help="Keep the sandbox's data in this file: it survives restarts (written "
            "atomically after every change). `POST /__sandbox/reset` goes back to the seed.",
        ),
        click.option(
            "--chaos",
            type=click.FloatRange(0, 1),
            default=0.0,
            show_default=True,
            help="Share of requests answered 500 or 503 (only where the operation declares "
            "them), for resilience testing.",
        ),
        click.option(
            "--seed-count",
            type=click.IntRange(0, 10_000),
            default=None,
            help="Generated records per seeded collection, e.g. practitioners (default: "
            "the counts of spec/sandbox.yaml, 50 practitioners; 20 per collection without it).",
        ),
        click.option(
            "--max-records",
            type=click.IntRange(min=0),
            default=None,
            envvar="KK_MAX_RECORDS",
            show_envvar=True,
            help="Created records kept per collection: one more evicts the oldest created one "
            "(seeded records stay); 0 for no bound (default: 10000). Keeps a long-running "
            "mock's memory flat.",
        ),
        click.option(
            "--webhook-backoff",
            type=click.Choice(["sandbox", "production"]),
            default="sandbox",
            show_default=True,
            help="When failed webhook deliveries are retried: within seconds (1, 2, 4, 8 s), or "
            "on the production schedule (1 min, 5 min, 30 min, 2 h), as `kk serve` does.",
        ),
        gathered(
            "store",
            ["state", "chaos", "seed_count", "max_records", "webhook_backoff"],
            store_options,
        ),
    ]
)
