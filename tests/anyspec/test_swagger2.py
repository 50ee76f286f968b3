"""Swagger 2.0 documents are converted to OpenAPI 3.0 on load with swagger2openapi (npm,
installed once, then offline), and refused with the commands that fix it when it is not
installed (kkcore.swagger2)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

import kkcore.swagger2
from bench.anyspec import ROOT, ensure_examples, schemathesis, verdict
from kkcore.errors import SpecError
from kkcore.loader import load_document, load_spec
from kkcore.table import build_table
from tests.anyspec.test_oas_examples import mock_server  # noqa: F401 (a fixture)

SWAGGER = Path(__file__).resolve().parent.parent / "fixtures" / "anyspec" / "swagger.yaml"


@pytest.fixture(scope="session")
def installed() -> str:
    """swagger2openapi, pinned, installed into the checkout's .kk once (as README says)."""
    exe = ROOT / kkcore.swagger2.LOCAL / "node_modules" / ".bin" / "swagger2openapi"
    if not exe.exists():
        prefix = ROOT / kkcore.swagger2.LOCAL
        command = ["npm", "install", "--prefix", str(prefix), "--no-audit", "--no-fund"]
        subprocess.run([*command, kkcore.swagger2.PACKAGE], check=True, timeout=600)
    return str(exe)


def test_without_the_converter_swagger_2_is_refused_with_the_commands_that_fix_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(kkcore.swagger2, "converter", lambda: None)
    with pytest.raises(SpecError) as e:
        load_document(SWAGGER)
    assert "is Swagger 2.0" in str(e.value)
    assert kkcore.swagger2.INSTALL in str(e.value)
    assert f"npx {kkcore.swagger2.PACKAGE} --patch {SWAGGER}" in str(e.value)


def test_a_converter_that_fails_is_a_spec_error_not_a_crash(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    broken = tmp_path / "swagger2openapi"
    broken.write_text("#!/bin/sh\necho 'Unsupported swagger/OpenAPI version: 1.2' >&2\nexit 1\n")
    broken.chmod(0o755)
    monkeypatch.setenv("KK_SWAGGER2OPENAPI", str(broken))
    with pytest.raises(SpecError, match="could not convert it: Unsupported swagger"):
        load_document(SWAGGER)


@pytest.mark.slow
def test_a_swagger_2_document_is_served_as_the_openapi_3_document_it_converts_to(
    installed: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KK_SWAGGER2OPENAPI", installed)
    doc, several = load_spec(SWAGGER)
    assert doc["openapi"].startswith("3.0") and several  # served as converted
    table = build_table(doc)
    assert table["base_path"] == "/api"
    item = table["operations"]["addItem"]["request_body"]["content"]["application/json"]
    assert item["schema"] == {"$ref": "#/$defs/Item"}
    tags = next(p for p in table["operations"]["getItem"]["parameters"] if p["name"] == "tags")
    assert (tags["style"], tags["explode"]) == ("pipeDelimited", False)  # collectionFormat: pipes


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_swagger_2_petstore_passes_schemathesis_under_kk_mock(
    installed: str,
    mock_server: Callable[[Path], str],  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Probed with the document kk serves (/openapi.json, the conversion): given the 2.0
    file itself, Schemathesis wants a Content-Type on answers that document no body (its
    reading of 2.0's operation-wide `produces`), which no client of an empty body needs."""
    monkeypatch.setenv("KK_SWAGGER2OPENAPI", installed)  # inherited by `kk mock`
    origin = mock_server(ensure_examples() / "2.0" / "yaml" / "petstore.yaml")
    run = schemathesis(origin + "/openapi.json", origin, tmp_path)
    assert verdict(run) == "pass", run.stdout[-6000:]
