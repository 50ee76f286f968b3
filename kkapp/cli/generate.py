"""`kk generate` (generated/ and the SDKs from spec/) and `kk export postman`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kkcore.errors import StartupError


@click.command(
    help="Write generated/ and the generated parts of the SDKs and the Postman collection "
    "(sdks/) from spec/ (or, with --check, fail if any of it is stale)."
)
@click.option(
    "--check", is_flag=True, help="Exit 1 and print the diff if generated/ or sdks/ is stale."
)
@click.option("--spec-dir", default="spec", show_default=True, type=click.Path(path_type=Path))
@click.option("--out", default="generated", show_default=True, type=click.Path(path_type=Path))
@click.option(
    "--sdk-dir",
    default=None,
    type=click.Path(path_type=Path),
    help="Where the SDKs live (default: sdks/ next to the spec directory).",
)
def generate(check: bool, spec_dir: Path, out: Path, sdk_dir: Path | None) -> None:
    from codegen import sdk_output
    from codegen.generate import SpecFiles, drift, render, write
    from kkcore.loader import load_document

    sdks = sdk_dir if sdk_dir is not None else spec_dir.parent / "sdks"
    try:
        files = SpecFiles.in_dir(spec_dir)
        doc = load_document(files.openapi)  # validated once, for generated/ and sdks/
        expected = render(files, Path.cwd(), doc)
        expected_sdks = sdk_output.render_sdks(files, Path.cwd(), doc)
    except StartupError as e:
        raise click.ClickException(str(e)) from e
    if check:
        diffs = drift(expected, out) + sdk_output.drift(expected_sdks, sdks)
        if diffs:
            click.echo("".join(diffs))
            click.echo(f"{out}/ or {sdks}/ is stale: run `kk generate`", err=True)
            sys.exit(1)
        click.echo(
            f"{out}/ and {sdks}/ are up to date ({len(expected) + len(expected_sdks)} files)"
        )
        return
    changed = write(expected, out) + [f"{sdks}/{p}" for p in sdk_output.write(expected_sdks, sdks)]
    click.echo(f"wrote {', '.join(changed)}" if changed else f"{out}/ was already up to date")


@click.group(help="Export the API for other tools.")
def export() -> None:
    pass


@export.command(
    name="postman",
    help="Write a Postman v2.1 collection of every operation (examples as bodies, OAuth 2.0 "
    "PKCE auth, contract tests) and an environment for the local sandbox.",
)
@click.option("--spec-dir", default="spec", show_default=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The collection file (default: <api>.postman_collection.json here).",
)
@click.option(
    "--environment",
    "env_out",
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The sandbox environment file (default: next to the collection).",
)
def export_postman(spec_dir: Path, out: Path | None, env_out: Path | None) -> None:
    from codegen.sdk_output import render_postman_files

    try:
        files = render_postman_files(spec_dir / "openapi.yaml")
    except StartupError as e:
        raise click.ClickException(str(e)) from e
    (collection_name, collection), (env_name, environment) = files.items()
    out = out or Path(collection_name)
    env_out = env_out or out.with_name(env_name)
    out.write_text(collection, encoding="utf-8")
    env_out.write_text(environment, encoding="utf-8")
    click.echo(f"wrote {out} and {env_out}")
