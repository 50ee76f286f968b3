"""What an installed kit needs besides its code: the spec it serves by default, its version,
and a clear word when the optional contract tools are missing."""

from __future__ import annotations

import sys
from importlib.metadata import version

import pytest
from click.testing import CliRunner

from kkapp.cli import main
from server.specfiles import spec_dir, spec_file
from tests.engine import ROOT


def test_the_default_spec_files_are_the_checkouts_spec_directory() -> None:
    for name in ("openapi.yaml", "schema.graphql", "asyncapi.yaml", "sandbox.yaml"):
        assert spec_file(name).read_bytes() == (ROOT / "spec" / name).read_bytes()
    assert spec_dir().resolve() == (ROOT / "spec").resolve()


def test_kk_version_prints_the_installed_distributions_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"kk, version {version('klearkarma-api-kit')}\n"


@pytest.mark.parametrize(
    "missing", [("schemathesis",), ("hypothesis",), ("hypothesis", "schemathesis")]
)
def test_kk_contract_without_the_contract_extra_is_one_line_naming_the_extra(
    monkeypatch: pytest.MonkeyPatch, missing: tuple[str, ...]
) -> None:
    for name in missing:  # imports of it fail as if it were not installed
        monkeypatch.setitem(sys.modules, name, None)
    result = CliRunner().invoke(main, ["contract", "--url", "http://127.0.0.1:9"])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    needs = " and ".join(missing)
    assert result.output.splitlines() == [
        f"Error: kk contract needs {needs}: pip install 'klearkarma-api-kit[contract]'"
    ]
