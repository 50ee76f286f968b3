"""`kk diff` from the command line: two files or URLs, a git ref, formats, levels, errors."""

from __future__ import annotations

import copy
import json
import subprocess
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from contracts.diff.sources import LOADER
from kkapp.cli import main
from tests.contracts.diff_cases.docs import STRING, answer, asyncapi, body, frame
from tests.contracts.diff_cases.graphql import SDL
from tests.engine import ROOT

NARROW = body(STRING | {"maxLength": 3})
WIDE = body(STRING | {"maxLength": 9})


def write(path: Path, doc: Any) -> str:
    path.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc), encoding="utf-8")
    return str(path)


def kk(*args: str) -> Result:
    return CliRunner().invoke(main, ["diff", *args])


def test_a_narrowed_request_between_two_files_exits_1(tmp_path: Path) -> None:
    result = kk(write(tmp_path / "a.yaml", WIDE), write(tmp_path / "b.yaml", NARROW))
    assert result.exit_code == 1, result.output
    assert "[breaking] request-max-length-decreased: POST /items request body" in result.output
    assert "FAILED" in result.output


def test_the_same_change_the_other_way_exits_0(tmp_path: Path) -> None:
    result = kk(write(tmp_path / "a.yaml", NARROW), write(tmp_path / "b.yaml", WIDE))
    assert result.exit_code == 0, result.output
    assert "[info] request-max-length-increased" in result.output


def test_raising_the_major_version_allows_breaking_changes(tmp_path: Path) -> None:
    new = NARROW | {"info": {"title": "t", "version": "2.0.0"}}
    result = kk(write(tmp_path / "a.yaml", WIDE), write(tmp_path / "b.yaml", new))
    assert result.exit_code == 0, result.output
    assert "major raised: breaking changes allowed" in result.output


def test_fail_on_dangerous_fails_on_a_new_response_enum_value(tmp_path: Path) -> None:
    old = write(tmp_path / "a.yaml", answer(STRING | {"enum": ["a"]}))
    new = write(tmp_path / "b.yaml", answer(STRING | {"enum": ["a", "b"]}))
    assert kk(old, new).exit_code == 0
    assert kk(old, new, "--fail-on", "dangerous").exit_code == 1
    assert kk(old, new, "--fail-on", "info").exit_code == 1


def test_json_output_lists_each_finding(tmp_path: Path) -> None:
    result = kk(
        write(tmp_path / "a.yaml", WIDE), write(tmp_path / "b.yaml", NARROW), "--format", "json"
    )
    doc = json.loads(result.output)
    assert doc["failed"] is True and doc["counts"]["breaking"] == 1
    [finding] = doc["documents"][0]["findings"]
    assert finding["rule"] == "request-max-length-decreased" and finding["level"] == "breaking"


def test_markdown_output_is_a_pr_comment(tmp_path: Path) -> None:
    result = kk(
        write(tmp_path / "a.yaml", WIDE), write(tmp_path / "b.yaml", NARROW), "--format", "markdown"
    )
    lines = result.output.splitlines()
    assert lines[0] == "### ❌ kk diff: 1 breaking change"
    assert "| 🔴 breaking | `request-max-length-decreased` |" in result.output
    assert "| | Rule | Where | Change |" in lines


def test_junit_output_marks_blocking_findings_as_failures(tmp_path: Path) -> None:
    result = kk(
        write(tmp_path / "a.yaml", WIDE), write(tmp_path / "b.yaml", NARROW), "--format", "junit"
    )
    suite = ET.fromstring(result.output).find("testsuite")
    assert suite is not None and suite.get("failures") == "1"
    failure = suite.find("testcase/failure")
    assert failure is not None and failure.get("type") == "breaking"


def test_asyncapi_and_graphql_files_are_compared_by_kind(tmp_path: Path) -> None:
    ops = {
        "tell": {
            "action": "send",
            "channel": {"$ref": "#/channels/ws"},
            "messages": [{"$ref": "#/channels/ws/messages/e"}],
        }
    }
    old = write(tmp_path / "a.yaml", asyncapi(ops, e=frame(id=STRING, x=STRING)))
    new = write(tmp_path / "b.yaml", asyncapi(ops, e=frame(id=STRING)))
    assert "response-property-removed: tell message e payload /x" in kk(old, new).output
    sdl_old, sdl_new = (
        write(tmp_path / "a.graphql", SDL),
        write(tmp_path / "b.graphql", SDL.replace("kind: Kind", "")),
    )
    result = kk(sdl_old, sdl_new)
    assert result.exit_code == 1 and "graphql-field-removed" in result.output


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    handler = partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_documents_can_be_urls(tmp_path: Path, served: str) -> None:
    write(tmp_path / "a.yaml", WIDE)
    result = kk(f"{served}/a.yaml", write(tmp_path / "b.yaml", NARROW))
    assert result.exit_code == 1, result.output
    missing = kk(f"{served}/nope.yaml", str(tmp_path / "b.yaml"))
    assert missing.exit_code == 2 and "HTTP 404" in missing.output


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("missing.yaml", "b.yaml", "cannot read"),
        ("list.yaml", "b.yaml", "not an OpenAPI, AsyncAPI or GraphQL document"),
        ("swagger.yaml", "b.yaml", "not supported"),
        ("b.yaml", "a.graphql", "cannot compare openapi"),
        ("bad.graphql", "a.graphql", "old GraphQL schema is invalid"),
    ],
)
def test_a_document_that_cannot_be_compared_exits_2_with_a_clear_error(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    write(tmp_path / "b.yaml", NARROW)
    write(tmp_path / "list.yaml", [1, 2])
    write(tmp_path / "swagger.yaml", {"swagger": "2.0"})
    write(tmp_path / "a.graphql", SDL)
    write(tmp_path / "bad.graphql", "type Query { x: Nope }")
    result = kk(str(tmp_path / old), str(tmp_path / new))
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_old_without_new_is_a_usage_error(tmp_path: Path) -> None:
    result = kk(write(tmp_path / "a.yaml", WIDE))
    assert result.exit_code == 2 and "give OLD and NEW" in result.output


def git(cwd: Path, *args: str) -> None:
    identity = ["-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run(["git", *identity, *args], cwd=cwd, check=True, capture_output=True)


def test_kk_diff_compares_each_spec_file_with_a_git_ref(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = tmp_path / "spec"
    spec.mkdir()
    ops = {
        "talk": {
            "action": "receive",
            "channel": {"$ref": "#/channels/ws"},
            "messages": [{"$ref": "#/channels/ws/messages/m"}],
        }
    }
    write(spec / "openapi.yaml", WIDE)
    write(spec / "asyncapi.yaml", asyncapi(ops, m=frame(text=STRING)))
    write(spec / "schema.graphql", SDL)
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "spec")
    git(tmp_path, "commit", "-qm", "spec")
    monkeypatch.chdir(tmp_path)
    assert kk("--base", "HEAD").exit_code == 0
    write(spec / "asyncapi.yaml", asyncapi(ops, m=frame(text=STRING | {"pattern": "^[a-z]+$"})))
    result = kk("--base", "HEAD")
    assert result.exit_code == 1
    assert "[breaking] request-pattern-added: talk message m payload /text" in result.output
    write(spec / "schema.graphql", SDL.replace("kind: Kind", ""))
    write(spec / "openapi.yaml", WIDE | {"info": {"title": "t", "version": "2.0.0"}})
    result = kk("--base", "HEAD")
    # the SDL goes with the OpenAPI version; the AsyncAPI document has its own
    assert "spec/schema.graphql (1.0.0 -> 2.0.0, major raised" in result.output
    assert result.exit_code == 1
    assert kk("--base", "no-such-ref").exit_code == 2


def test_without_a_base_commit_the_default_gate_has_nothing_to_compare(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "spec").mkdir()
    write(tmp_path / "spec" / "openapi.yaml", WIDE)
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "spec")
    git(tmp_path, "commit", "-qm", "first")
    monkeypatch.chdir(tmp_path)
    result = kk()
    assert result.exit_code == 0, result.output
    assert "no commit HEAD~1 to compare with" in result.output


def test_sdl_is_recognised_by_content_and_status_codes_by_value(tmp_path: Path) -> None:
    sdl = "type Query { x: Int }"  # also a valid YAML scalar
    result = kk(
        write(tmp_path / "a.txt", sdl), write(tmp_path / "b.txt", sdl + " type Y { y: Int }")
    )
    assert result.exit_code == 0 and "graphql-type-added" in result.output
    write(tmp_path / "a.yaml", answer(STRING))
    unquoted = yaml.safe_dump(answer(STRING)).replace("'200':", "200:")
    assert 200 in yaml.safe_load(unquoted)["paths"]["/items"]["get"]["responses"]
    result = kk(str(tmp_path / "a.yaml"), write(tmp_path / "b.yaml", unquoted))
    assert result.exit_code == 0 and "0 breaking, 0 dangerous, 0 info" in result.output


def test_the_readme_shows_what_kk_diff_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's PR-comment example, regenerated from the changes it describes."""
    old = yaml.load((ROOT / "spec" / "openapi.yaml").read_text(), Loader=LOADER)
    new = copy.deepcopy(old)
    parts = new["components"]
    parts["parameters"]["PriceMax"]["schema"]["maximum"] = 10000
    booking = parts["schemas"]["BookingCreateRequest"]["properties"]["data"]["properties"]
    booking["attributes"]["properties"]["notes"]["maxLength"] = 500
    new["paths"]["/webhooks/{webhook_id}/deliveries"]["get"]["responses"].pop("404")
    new["paths"]["/webhooks/{webhook_id}"]["delete"].update(deprecated=True)
    new["paths"]["/webhooks/{webhook_id}"]["delete"]["x-sunset"] = "2027-06-30"
    insured = {"name": "accepts_insurance", "in": "query", "schema": {"type": "boolean"}}
    new["paths"]["/practitioners"]["get"]["parameters"].append(insured)
    new["info"]["version"] = "1.3.0"
    write(tmp_path / "openapi-main.yaml", old)
    write(tmp_path / "openapi.yaml", new)
    monkeypatch.chdir(tmp_path)
    shown = (ROOT / "README.md").read_text().split("````markdown\n")[1].split("````")[0]
    assert kk("openapi-main.yaml", "openapi.yaml", "--format", "markdown").output == shown
