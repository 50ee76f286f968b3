"""`kk routes`: every operation, its scopes, rate class and who answers it."""

from __future__ import annotations

import click

from kkapp.cli.running import build_or_exit
from kkapp.config import AppConfig


@click.command(
    help="List every operation: method, path, scopes, rate-limit class, who answers it and "
    "its deprecation (sunset date, successor)."
)
@click.option(
    "--mode",
    type=click.Choice(["strict", "sandbox", "mock"]),
    default="sandbox",
    show_default=True,
    help="Which server to describe.",
)
@click.option("--spec", default=None, help="An OpenAPI file to describe instead of spec/.")
def routes(mode: str, spec: str | None) -> None:
    from server.deprecation import describe

    built = build_or_exit(AppConfig(mode, spec=spec))  # type: ignore[arg-type]
    rows = []
    for op_id, op in built.parts.operations.items():
        scopes = sorted({s for req in op.spec["security"] for v in req.values() for s in v})
        answer = {"mock": "mock", "501": "501 (unbound)"}.get(op.source, op.source)
        rows.append(
            (
                op.spec["method"],
                op.spec["path"],
                op_id,
                " ".join(scopes) or "-",
                op.spec["rate_limit"],
                answer,
                describe(op.spec),
            )
        )
    rows.insert(
        0, ("METHOD", "PATH", "OPERATION", "SCOPES", "RATE CLASS", "ANSWERED BY", "DEPRECATION")
    )
    widths = [max(len(r[i]) for r in rows) for i in range(6)]
    for r in rows:
        click.echo(("  ".join(r[i].ljust(widths[i]) for i in range(6)) + "  " + r[6]).rstrip())
