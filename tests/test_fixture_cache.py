"""The test helpers' cache of validated fixture specs (tests/engine.py) is keyed by content:
an edited spec is loaded and validated again, and no caller sees another's changes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kkcore.errors import SpecError
from tests import engine


@pytest.fixture
def fixtures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(engine.FIXTURES / "minimal31", tmp_path / "minimal31")
    monkeypatch.setattr(engine, "FIXTURES", tmp_path)
    return tmp_path / "minimal31"


def test_an_edited_fixture_spec_is_loaded_again(fixtures: Path) -> None:
    before = engine.fixture_document("minimal31")
    spec = fixtures / "openapi.yaml"
    spec.write_text(spec.read_text().replace(before["info"]["title"], "Edited title", 1))
    assert engine.fixture_document("minimal31")["info"]["title"] == "Edited title"


def test_an_edit_that_breaks_the_spec_is_validated_not_served_from_the_cache(
    fixtures: Path,
) -> None:
    engine.fixture_document("minimal31")
    spec = fixtures / "openapi.yaml"
    spec.write_text(spec.read_text().replace("  version: 1.0.0\n", "", 1))  # info needs one
    with pytest.raises(SpecError):
        engine.fixture_document("minimal31")


def test_each_caller_gets_its_own_copy(fixtures: Path) -> None:
    first = engine.fixture_document("minimal31")
    first["paths"].clear()
    assert engine.fixture_document("minimal31")["paths"]
    assert engine.fixture_table("minimal31")["operations"]
