"""`kk export postman`: a Postman v2.1 collection of every operation, run with newman against
a live sandbox with zero failed assertions (and failing when an answer breaks the spec)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kkcore.loader import load_document
from kkcore.table import build_table
from generated.api_table import TABLE
from kkapp.cli import main
from tests.sdks.conftest import ROOT, Sandbox
from tests.sdks.login import sign_in
from tests.sdks.node import BIN, run, sandbox_env

POSTMAN = ROOT / "sdks" / "postman"
COLLECTION = POSTMAN / "klear-karma-api.postman_collection.json"
ENVIRONMENT = POSTMAN / "klear-karma-api.sandbox.postman_environment.json"


def export(spec_dir: Path, out: Path) -> tuple[Path, Path]:
    result = CliRunner().invoke(
        main, ["export", "postman", "--spec-dir", str(spec_dir), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    return out, out.with_name(ENVIRONMENT.name)


def newman(
    collection: Path | str,
    sandbox: Sandbox,
    report: Path,
    *extra: str,
    environment: Path | str = ENVIRONMENT,
) -> dict[str, Any]:
    """Run newman; its JSON report's `run` (newman's own exit status is checked by callers).
    Files point it at the sandbox; URLs are the sandbox's own /postman/*, which name it."""
    at_sandbox = ["--env-var", f"baseUrl={sandbox.url}/v1", "--env-var", f"authUrl={sandbox.url}"]
    args = [
        str(BIN / "newman"),
        "run",
        str(collection),
        "--environment",
        str(environment),
        *(at_sandbox if isinstance(environment, Path) else []),
        "--env-var",
        f"access_token={sandbox.api_key}",
        "--reporters",
        "json",
        "--reporter-json-export",
        str(report),
        "--suppress-exit-code",
        *extra,
    ]
    run(args, sandbox_env(sandbox), timeout=180)
    result: dict[str, Any] = json.loads(report.read_text())["run"]
    return result


def items(collection: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for folder in collection["item"] for item in folder["item"]]


def test_kk_export_postman_writes_the_generated_collection_and_environment(
    tmp_path: Path,
) -> None:
    collection, environment = export(ROOT / "spec", tmp_path / "c.json")
    assert collection.read_text() == COLLECTION.read_text()
    assert environment.read_text() == ENVIRONMENT.read_text()


def test_the_collection_has_every_operation_and_pkce_auth_for_the_sandbox_client() -> None:
    collection = json.loads(COLLECTION.read_text())
    assert collection["info"]["schema"].endswith("/v2.1.0/collection.json")
    table = build_table(load_document(ROOT / "spec" / "openapi.yaml"))
    found = {
        i["request"]["description"].split("operationId `")[1].split("`")[0]
        for i in items(collection)
    }
    assert found == set(table["operations"])
    auth = {p["key"]: p["value"] for p in collection["auth"]["oauth2"]}
    assert auth["grant_type"] == "authorization_code_with_pkce"
    assert auth["challengeAlgorithm"] == "S256"
    assert auth["authUrl"] == "{{authUrl}}/oauth/authorize"
    assert auth["accessTokenUrl"] == "{{authUrl}}/oauth/token"
    assert (auth["clientId"], auth["accessToken"]) == ("{{clientId}}", "{{access_token}}")
    env = {v["key"]: v["value"] for v in json.loads(ENVIRONMENT.read_text())["values"]}
    assert env["clientId"] == "kk-sandbox"
    assert env["redirectUri"].startswith("http://127.0.0.1:")
    assert env["baseUrl"] == "http://127.0.0.1:8000/v1" and env["user_id"] == "test_user_123"
    create = next(i for i in items(collection) if i["name"] == "Create a booking")
    body = json.loads(create["request"]["body"]["raw"])
    # The example written for the sandbox (its test practitioner), not the reference's.
    assert body["data"]["attributes"]["practitioner_id"] == "test_prac_123"
    public = next(i for i in items(collection) if i["name"] == "Get the token signing keys")
    assert public["request"]["auth"] == {"type": "noauth"}


def test_the_environments_scopes_are_granted_to_the_sandboxs_test_user(
    fresh_sandbox: Sandbox,
) -> None:
    from klearkarma import KlearKarmaClient

    env = {v["key"]: v["value"] for v in json.loads(ENVIRONMENT.read_text())["values"]}
    with KlearKarmaClient(base_url=fresh_sandbox.url, client_id=env["clientId"]) as client:
        request = client.oauth.authorization_request(env["redirectUri"], env["scope"].split())
        code, _ = sign_in(request.url)
        assert client.oauth.exchange_code(code, request).scope == env["scope"]


@pytest.mark.slow  # Node
def test_newman_runs_the_collection_the_sandbox_serves_with_zero_failed_assertions(
    fresh_sandbox: Sandbox, tmp_path: Path
) -> None:
    """As the reference's download: /postman/collection.json and /postman/environment.json."""
    served = fresh_sandbox.url + "/postman/"
    report = newman(
        served + "collection.json",
        fresh_sandbox,
        tmp_path / "report.json",
        environment=served + "environment.json",
    )
    stats = report["stats"]
    assert report["failures"] == [], json.dumps(report["failures"], indent=1)[:4000]
    assert stats["assertions"]["failed"] == 0 and stats["testScripts"]["failed"] == 0
    # one request per operation of the spec, every one of them run
    operations = len(TABLE["operations"])
    assert stats["requests"]["total"] == stats["items"]["total"] == operations
    assert stats["assertions"]["total"] >= 100
    codes = {e["item"]["name"]: e["response"]["code"] for e in report["executions"]}
    # The chain of values the scripts carry works: booking -> payment -> refund, and the
    # PKCE sign-in through the login form -> code -> tokens. The environment's token is the
    # patient's, who pays but may not refund (the practitioner or an admin does: 403).
    assert codes["Create a booking"] == 201 and codes["Cancel a booking"] == 200
    assert (codes["Create a payment intent"], codes["Confirm a payment"]) == (201, 200)
    assert codes["Refund a payment"] == 403
    assert codes["Sign in and approve"] == 302
    assert codes["Exchange a code or refresh token for tokens"] == 200
    assert sum(200 <= c < 400 for c in codes.values()) >= 28, codes


@pytest.mark.slow  # Node
def test_newman_fails_an_answer_that_breaks_the_spec(
    fresh_sandbox: Sandbox, tmp_path: Path
) -> None:
    """The contract script is no formality: a schema the answers do not meet fails them."""
    collection = json.loads(COLLECTION.read_text())
    script = collection["event"][0]["script"]["exec"]
    at = next(i for i, line in enumerate(script) if line.startswith("const DEFS = "))
    defs = json.loads(script[at].removeprefix("const DEFS = ").removesuffix(";"))
    defs["UserAttributes"]["required"].append("shoe_size")
    script[at] = f"const DEFS = {json.dumps(defs)};"
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(collection))
    report = newman(broken, fresh_sandbox, tmp_path / "report.json", "--folder", "users")
    failed = {f["error"]["test"] for f in report["failures"]}
    assert "getUser: the body matches the spec's schema" in failed, failed
    assert "getUser: answers a documented status (200)" not in failed
