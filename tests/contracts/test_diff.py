"""The breaking-change gate: each rule fires on a small spec pair; additive changes pass."""

from __future__ import annotations

import copy
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from contracts.gate import compare_documents
from server.cli import main
from tests.engine import FIXTURES

BASE: dict[str, Any] = yaml.safe_load((FIXTURES / "minimal31" / "openapi.yaml").read_text())
SDL = "type Query { item(id: ID!): Item }\ntype Item { id: ID!, name: String! }\n"


def item_schema(doc: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = doc["components"]["schemas"]["Item"]
    return schema


def op(doc: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    found: dict[str, Any] = doc["paths"][path][method]
    return found


Mutation = Callable[[dict[str, Any]], None]

BREAKING: dict[str, Mutation] = {
    "removed-operation": lambda d: d["paths"]["/items/{item_id}"].pop("delete"),
    "removed-response": lambda d: op(d, "/items", "post")["responses"].pop("201"),
    "removed-response-property": lambda d: item_schema(d)["properties"].pop("name"),
    "new-required-request-property": lambda d: d["components"]["schemas"]["NewItem"][
        "required"
    ].append("price"),
    "new-required-parameter": lambda d: op(d, "/items", "get")["parameters"][0].update(
        required=True
    ),
    "narrowed-type": lambda d: d["components"]["schemas"]["NewItem"]["properties"]["price"].update(
        type="integer"
    ),
    "narrowed-enum": lambda d: d["components"]["schemas"]["Kind"]["enum"].remove("toy"),
    "stricter-scope": lambda d: op(d, "/items", "post")["security"][0]["bearer"].append(
        "admin:items"
    ),
    "changed-auth": lambda d: op(d, "/items/{item_id}", "get").update(
        security=[{"bearer": ["read:items"]}]
    ),
}


@pytest.mark.parametrize("rule", sorted(BREAKING))
def test_each_breaking_rule_is_caught(rule: str) -> None:
    new = copy.deepcopy(BASE)
    BREAKING[rule](new)
    report = compare_documents(BASE, new, None, None, "base")
    assert report.failed
    assert rule in {c.rule for c in report.breaking}, report.render()


def test_a_removed_oauth_scope_is_caught() -> None:
    old = copy.deepcopy(BASE)
    old["components"]["securitySchemes"]["oauth"] = {
        "type": "oauth2",
        "flows": {"clientCredentials": {"tokenUrl": "/t", "scopes": {"a:x": "x", "b:y": "y"}}},
    }
    new = copy.deepcopy(old)
    del new["components"]["securitySchemes"]["oauth"]["flows"]["clientCredentials"]["scopes"]["b:y"]
    assert [c.rule for c in compare_documents(old, new, None, None, "b").breaking] == [
        "removed-scope"
    ]


def test_a_purely_additive_change_passes() -> None:
    new = copy.deepcopy(BASE)
    new["paths"]["/items/{item_id}"]["patch"] = copy.deepcopy(
        op(new, "/items/{item_id}", "get")
    ) | {"operationId": "patchItem"}
    item_schema(new)["properties"]["color"] = {"type": "string"}
    op(new, "/items", "get")["parameters"].append(
        {"name": "color", "in": "query", "schema": {"type": "string"}}
    )
    new["components"]["schemas"]["NewItem"]["properties"]["kind"] = {"type": ["string", "null"]}
    op(new, "/items", "post")["responses"]["409"] = {"description": "Conflict"}
    report = compare_documents(BASE, new, SDL, SDL + "type Extra { x: Int }\n", "base")
    assert not report.breaking, report.render()
    assert "added-operation" in {c.rule for c in report.changes}


def test_raising_the_major_version_allows_breaking_changes() -> None:
    new = copy.deepcopy(BASE)
    BREAKING["removed-operation"](new)
    new["info"]["version"] = "2.0.0"
    report = compare_documents(BASE, new, None, None, "base")
    assert report.breaking and not report.failed
    assert "allowed: the major version was raised" in report.render()


def test_graphql_breaking_and_dangerous_changes_are_reported() -> None:
    new_sdl = "type Query { item(id: ID!): Item }\ntype Item { id: ID! }\n"
    report = compare_documents(BASE, BASE, SDL, new_sdl, "base")
    assert [c.rule for c in report.breaking] == ["graphql-field_removed"]


def test_kk_diff_reads_the_base_from_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def run(*args: str) -> None:
        subprocess.run(args, cwd=tmp_path, check=True, capture_output=True)

    spec = tmp_path / "spec"
    spec.mkdir()
    (spec / "openapi.yaml").write_text(yaml.safe_dump(BASE))
    run("git", "init", "-q", "-b", "main")
    run(
        "git",
        "-c",
        "user.email=t@t",
        "-c",
        "user.name=t",
        "commit",
        "-qam",
        "base",
        "--allow-empty",
    )
    run("git", "add", "spec")
    run("git", "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "spec")
    new = copy.deepcopy(BASE)
    BREAKING["removed-response"](new)
    (spec / "openapi.yaml").write_text(yaml.safe_dump(new))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["diff", "--base", "HEAD"])
    assert result.exit_code == 1
    assert "[BREAKING] removed-response: POST /api/items 201" in result.output
    (spec / "openapi.yaml").write_text(yaml.safe_dump(BASE))
    assert CliRunner().invoke(main, ["diff", "--base", "HEAD"]).exit_code == 0
