"""`kk contract`: fuzz the API (REST, GraphQL, WebSocket) against its spec."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from kkapp.cli.running import build_or_exit, database_name, seed_database
from kkapp.config import AppConfig
from kkapp.factory import Built


@click.command(
    help="Fuzz the API against its spec: REST (schemathesis, every check, stateful "
    "links), GraphQL (queries, mutations and subscriptions) and the WebSocket API. Starts its "
    "own app unless --url is given, with rate limits off.\n\n"
    "\b\nA deployment of `kk serve` (staging), from a shell that has its DATABASE_URL and "
    "data directory:\n"
    "  kk seed --data-dir DIR\n"
    "  TOKEN=$(kk keys token --data-dir DIR --user USER_ID --all-scopes)\n"
    '  kk contract --url https://staging.example --token "$TOKEN"\n'
    "(the server run with --rate-limits off or relaxed, and KK_ISSUER set as when it started)."
)
@click.option(
    "--url", default=None, help="Base URL of a running deployment (e.g. http://127.0.0.1:8000)."
)
@click.option(
    "--mode",
    type=click.Choice(["mock", "sandbox", "serve"]),
    default="sandbox",
    show_default=True,
    help="Which app to start when no --url is given. serve: the production app (`kk serve`: "
    "handlers only, no mocks) on DATABASE_URL, else on a fresh SQLite database in --data-dir; "
    "seeded first as `kk seed` does, with a token minted from its own signing key.",
)
@click.option(
    "--data-dir",
    default=None,
    type=click.Path(file_okay=False),
    help="serve mode: keys, identity store and (without DATABASE_URL) the SQLite database "
    "(default: a new temporary directory).",
)
@click.option(
    "--budget",
    type=click.Choice(["quick", "deep"]),
    default="quick",
    show_default=True,
    help="quick: a few cases per operation (CI); deep: hundreds.",
)
@click.option(
    "--seed", default=0, show_default=True, type=int, help="Reproduce a run with its seed."
)
@click.option(
    "--token",
    default=None,
    help="Bearer token for the API (default: minted for the app it starts).",
)
@click.option(
    "--asyncapi",
    default="spec/asyncapi.yaml",
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="AsyncAPI file of the WebSocket API.",
)
@click.option(
    "--graphql",
    "sdl",
    default="spec/schema.graphql",
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="GraphQL SDL whose subscriptions are fuzzed over graphql-transport-ws.",
)
@click.option(
    "--out",
    default=".kk/contract",
    show_default=True,
    type=click.Path(path_type=Path),
    help="Where JUnit XML, JSON reports, logs and the summary go.",
)
def contract(
    url: str | None,
    mode: str,
    data_dir: str | None,
    budget: str,
    seed: int,
    token: str | None,
    asyncapi: Path,
    sdl: Path,
    out: Path,
) -> None:
    from importlib.util import find_spec

    extra = "klearkarma-api-kit[contract]"
    missing = [name for name in ("hypothesis", "schemathesis") if find_spec(name) is None]
    if missing:  # an extra, not a dependency of the server
        needs = " and ".join(missing)
        raise click.ClickException(f"kk contract needs {needs}: pip install '{extra}'")
    from contracts.runner import run_contract, serve_in_thread

    ws_spec = asyncapi if asyncapi.exists() else None
    graphql_sdl = sdl if sdl.exists() else None
    common: dict[str, Any] = {
        "budget_name": budget,
        "seed": seed,
        "out_dir": out,
        "asyncapi": ws_spec,
        "sdl": graphql_sdl,
    }
    if url is not None:
        report = run_contract(url.rstrip("/"), label="url", token=token, **common)
    else:
        # Limits off: a fuzzer is one client sending thousands of requests a minute.
        label = mode
        if mode == "serve":
            config = _serve_contract_config(seed, data_dir)
            label = "serve-" + ("postgresql" if os.environ.get("DATABASE_URL") else "sqlite")
        else:
            config = AppConfig(mode, seed=seed, access_log=False, rate_limits="off")  # type: ignore[arg-type]
        built = build_or_exit(config)
        with serve_in_thread(built.app) as base:
            report = run_contract(
                base, label=label, mode=mode, token=token or contract_token(built), **common
            )
    click.echo(report.render())
    click.echo(f"reports: {out}/ (JUnit XML, JSON, logs with curl reproductions)")
    if not report.passed:
        sys.exit(1)


def _serve_contract_config(seed: int, data_dir: str | None) -> AppConfig:
    """`kk serve`'s app for a contract run, its database seeded first as `kk seed` does (the
    production app never seeds itself)."""
    import tempfile

    config = AppConfig(
        "strict",
        seed=seed,
        data_dir=data_dir or tempfile.mkdtemp(prefix="kk-contract-serve-"),
        access_log=False,
        rate_limits="off",
        introspection=True,  # schemathesis reads the GraphQL schema from the server
    )
    added = seed_database(config)
    click.echo(
        f"kk contract: serve mode on {database_name(config.data_dir)}, {added} records seeded"
    )
    return config


def contract_token(built: Built) -> str | None:
    """For an app this command started itself: a token of the sandbox test user with every
    declared scope (admin ones included, so object-level checks let the fuzzer reach every
    resource); None where the app has no identity layer (mock mode)."""
    from server.auth.services import AuthServices, declared_scopes

    auth = built.runtime.extras.get("auth")
    if not isinstance(auth, AuthServices):
        return None
    user = built.runtime.table.get("sandbox_user", "contract_user")  # the spec's x-sandbox-user
    return auth.issue_token(user, declared_scopes(built.runtime.table))
