"""`kk sandbox`: the whole API for frontend work, handlers and mocks together."""

from __future__ import annotations

import click

from kkapp.cli.options import mock_options, serving_options, store_options
from kkapp.cli.running import run
from kkapp.config import AppConfig
from kkapp.serving import Network, network_options


@click.command(
    help="Serve the whole Klear Karma API for frontend work: handlers where bound, "
    "mocks for the rest, seeded sandbox data, localhost CORS."
)
@serving_options
@mock_options
@click.option(
    "--data-dir", default=".kk", show_default=True, help="Where sandbox state and keys live."
)
@click.option(
    "--handlers/--no-handlers",
    default=True,
    show_default=True,
    help="Answer with the bound handlers (a real database); --no-handlers mocks every "
    "operation but sign-in, from the seed (Prism-style).",
)
@network_options
def sandbox(
    host: str,
    port: int,
    workers: int,
    seed: int,
    validate_responses: bool | None,
    log_requests: bool | None,
    rate_limits: str | None,
    cors_origin: tuple[str, ...],
    state: str | None,
    chaos: float,
    seed_count: int | None,
    webhook_backoff: str,
    data_dir: str,
    handlers: bool,
    network: Network,
) -> None:
    config = AppConfig(
        "sandbox",
        handlers=handlers,
        seed=seed,
        validate_responses=validate_responses,
        access_log=log_requests,
        data_dir=data_dir,
        rate_limits=rate_limits,
        cors_origins=list(cors_origin),
        options=store_options(state, chaos, seed_count, webhook_backoff),
    )
    run(config, host, port, workers, network)
