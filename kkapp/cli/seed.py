"""`kk seed`: load the sandbox's data into the database `kk serve` uses."""

from __future__ import annotations

import click

from kkapp.cli.running import database_name, seed_database
from kkapp.config import AppConfig


@click.command(
    help="Load the sandbox's data (the spec's examples, spec/sandbox.yaml's test users, "
    "practitioners, services...) into the database `kk serve` uses: DATABASE_URL, else "
    "<data-dir>/klearkarma.db; migrates it first. Idempotent (existing rows are kept). For "
    "staging and contract runs (`kk contract --url`): production never seeds by itself."
)
@click.option("--data-dir", default=".kk", show_default=True, help="The server's data directory.")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of generated records.")
@click.option(
    "--seed-count",
    type=click.IntRange(0, 10_000),
    default=None,
    help="Generated records per seeded collection (default: spec/sandbox.yaml's counts).",
)
def seed(data_dir: str, seed: int, seed_count: int | None) -> None:
    options = {"seed_count": seed_count} if seed_count is not None else {}
    config = AppConfig("strict", seed=seed, data_dir=data_dir, options=options)
    added = seed_database(config)
    click.echo(f"kk seed: {added} records added to {database_name(data_dir)}")
