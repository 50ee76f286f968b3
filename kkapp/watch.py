"""`kk mock --watch`: serve, and rebuild the app (the spec loaded and compiled anew) whenever
the spec's directory changes; and the check of a `--spec` source."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from kkapp.config import AppConfig

SPEC_FILES = ["*.yaml", "*.yml", "*.json"]


def check_spec_source(spec: str | None) -> str | None:
    """A `--spec` is an http(s) URL or an existing file."""
    from kkcore.loader import is_url

    if spec is None or is_url(spec):
        return spec
    if not Path(spec).is_file():
        raise click.BadParameter(
            f"{spec!r} is neither a file nor an http(s) URL", param_hint="--spec"
        )
    return spec


def run_watching(config: AppConfig, common: dict[str, Any]) -> None:
    """uvicorn's reloader (watchfiles) restarts the worker, which rebuilds the app from the
    spec; a spec that no longer loads is reported and the next change is awaited."""
    import uvicorn

    from kkapp.config import export_config
    from kkcore.loader import is_url
    from server.specfiles import spec_dir

    if config.spec is not None and is_url(config.spec):
        raise click.UsageError("--watch needs a spec file, not a URL")
    if config.spec is None:
        watched = spec_dir()
    else:
        watched = Path(config.spec).resolve().parent
        config.spec = str(Path(config.spec).resolve())
    export_config(config)
    uvicorn.run(
        "kkapp.factory:app_from_env",
        factory=True,
        reload=True,
        reload_dirs=[str(watched)],
        reload_includes=SPEC_FILES,
        **common,
    )
