"""`kk mock`: mock every operation of any OpenAPI 3.0/3.1 document."""

from __future__ import annotations

import click

from kkapp.cli.options import mock_options, serving_options, store_options
from kkapp.cli.running import run
from kkapp.config import AppConfig
from kkapp.serving import Network, network_options


@click.command(
    help="Mock every operation of an OpenAPI 3.0/3.1 document (default: spec/openapi.yaml)."
)
@serving_options
@mock_options
@click.option(
    "--spec",
    help="OpenAPI 3.0/3.1 document to mock: a file or an http(s) URL; its `$ref`s may point "
    "to other files or URLs. Swagger 2.0 is converted on load when swagger2openapi is "
    "installed (npm install --prefix .kk/swagger2openapi swagger2openapi@7.0.8).",
)
@click.option(
    "--graphql", type=click.Path(exists=True, dir_okay=False), help="GraphQL SDL to mock."
)
@network_options
@click.option(
    "--no-auth",
    is_flag=True,
    help="Answer without looking for credentials (by default a request without the "
    "credentials an operation declares gets its documented 401/403, as with Prism).",
)
@click.option("--watch", is_flag=True, help="Reload (and regenerate) when the spec file changes.")
def mock(
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
    spec: str | None,
    graphql: str | None,
    network: Network,
    no_auth: bool,
    watch: bool,
) -> None:
    from kkapp.watch import check_spec_source

    config = AppConfig(
        "mock",
        spec=check_spec_source(spec),
        graphql=graphql,
        seed=seed,
        validate_responses=validate_responses,
        access_log=log_requests,
        rate_limits=rate_limits,
        cors_origins=list(cors_origin),
        options=store_options(state, chaos, seed_count, webhook_backoff),
        check_credentials=not no_auth,
    )
    run(config, host, port, workers, network, watch=watch)
