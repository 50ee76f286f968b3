"""Build the app a serving command asked for and run it under uvicorn."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from kkapp.config import AppConfig, export_config, served_issuer
from kkapp.factory import Built, build
from kkapp.heap import frozen_after_startup, thresholds_for
from kkapp.serving import Network, uvicorn_options
from kkcore.errors import StartupError
from server.docs import served_pages


def build_or_exit(config: AppConfig) -> Built:
    """The app for `config`, or a one-line error (no traceback) naming what is wrong."""
    try:
        return build(config)
    except StartupError as e:
        raise click.ClickException(str(e)) from e


def _announce(config: AppConfig, built: Built, host: str, port: int) -> None:
    unbound = [s for s, o in ((o.source, o) for o in built.parts.operations.values()) if s == "501"]
    click.echo(
        f"kk {config.mode}: {len(built.parts.operations)} operations on http://{host}:{port} "
        f"({', '.join(served_pages(built.parts.routes, docs=built.runtime.docs))})"
        + (
            f"; {len(unbound)} without a handler answer 501"
            if unbound and config.mode == "strict"
            else ""
        )
    )
    if built.runtime.cors_origins:
        click.echo(f"  browser origins allowed: {', '.join(built.runtime.cors_origins)}")
    for note in built.runtime.extras.get("notes", []):
        click.echo(f"  {note}")


def run(
    config: AppConfig,
    host: str,
    port: int,
    workers: int,
    network: Network,
    watch: bool = False,
    metrics_port: int | None = None,
) -> None:
    """Serve `config`'s app on host:port (watching the spec, or in `workers` processes)."""
    import uvicorn

    config.docs, config.trusted_proxies = network.docs, network.trusted_proxies
    metrics_on = config.metrics if config.metrics is not None else config.mode != "strict"
    if workers > 1 and (metrics_on or metrics_port):
        from server.metrics import prepare_multiprocess

        prepare_multiprocess(Path(config.data_dir))

    if config.mode != "mock" and not config.issuer:
        config.issuer = served_issuer(host, port)  # tokens and metadata name this server
    built = build_or_exit(config)
    _announce(config, built, host, port)
    if metrics_port:
        from server.metrics import serve_separately

        serve_separately(host, metrics_port)
        click.echo(f"  metrics: http://{host}:{metrics_port}/metrics")
    common: dict[str, Any] = {
        "host": host,
        "port": port,
        "loop": "uvloop",
        "http": "httptools",
        "access_log": False,
        "log_level": "warning",
        "timeout_graceful_shutdown": 5,
        "proxy_headers": False,
        "server_header": False,
        **uvicorn_options(network),
    }
    if watch:
        from kkapp.watch import run_watching

        run_watching(config, common)
    elif workers > 1:
        export_config(config)
        uvicorn.run("kkapp.factory:app_from_env", factory=True, workers=workers, **common)
    else:
        uvicorn.run(frozen_after_startup(built.app, thresholds_for(config.mode)), **common)


def database_name(data_dir: str) -> str:
    """Where the handlers' data lives, without credentials."""
    raw = os.environ.get("DATABASE_URL", "").strip()
    if not raw:
        return f"SQLite {Path(data_dir) / 'klearkarma.db'}"
    from sqlalchemy.engine import make_url

    try:
        return "DATABASE_URL " + make_url(raw).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL fails at build with its own message
        return "DATABASE_URL"


def seed_database(config: AppConfig) -> int:
    """Run the bound handlers' seed hooks on the storage of `config`'s app; records added."""
    import asyncio

    built = build_or_exit(config)
    if not built.parts.seeds:
        raise click.ClickException("nothing to seed: no bound handler group loads fixture data")

    async def seed_all() -> int:
        try:
            return sum([await load() for load in built.parts.seeds])
        finally:
            for stop in built.parts.shutdown:
                result = stop()
                if asyncio.iscoroutine(result):
                    await result

    return asyncio.run(seed_all())
