"""DESIGN's dependency rules are import-linter contracts (pyproject.toml); they must hold."""

from __future__ import annotations

import tomllib

from importlinter.cli import lint_imports

from tests.engine import ROOT

CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
    "importlinter"
]


def test_the_import_linter_contracts_are_kept() -> None:
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True) == 0


def test_the_layers_put_the_cli_on_top_and_the_core_at_the_bottom() -> None:
    (layers,) = [c["layers"] for c in CONFIG["contracts"] if c["type"] == "layers"]
    assert (
        layers.index("kkapp") < layers.index("server") < layers.index("kkcore") == len(layers) - 1
    )
    assert layers[0] == "bench"


def test_every_package_of_ours_is_checked_for_cycles() -> None:
    (acyclic,) = [c for c in CONFIG["contracts"] if c["type"] == "acyclic_siblings"]
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "sdks"}
    assert packages <= set(acyclic["ancestors"]) == set(CONFIG["root_packages"])
