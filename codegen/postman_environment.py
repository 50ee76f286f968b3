"""How Postman signs in and where it points: the collection's auth and the sandbox environment."""

from __future__ import annotations

from typing import Any

from codegen.postman_values import as_text, example_value, stable_uuid
from codegen.sdk import Sdk
from kkcore.loader import resolve
from kkcore.types import ApiTable

SANDBOX_REDIRECT = "http://127.0.0.1:8765/callback"


def collection_auth(sdk: Sdk, table: ApiTable) -> dict[str, Any]:
    """OAuth 2.0 authorization code with PKCE when the spec has the flow, else a bearer token."""
    flow = sdk.oauth
    if not flow:
        return {
            "type": "bearer",
            "bearer": [{"key": "token", "value": "{{access_token}}", "type": "string"}],
        }
    pairs = {
        "grant_type": "authorization_code_with_pkce",
        "challengeAlgorithm": "S256",
        "authUrl": "{{authUrl}}" + str(flow.get("authorizationUrl", "")),
        "accessTokenUrl": "{{authUrl}}" + str(flow.get("tokenUrl", "")),
        "refreshTokenUrl": "{{authUrl}}" + str(flow.get("refreshUrl") or flow.get("tokenUrl", "")),
        "clientId": "{{clientId}}",
        "redirect_uri": "{{redirectUri}}",
        "useBrowser": False,
        "scope": "{{scope}}",
        "client_authentication": "body",
        "tokenName": table["title"],
        "accessToken": "{{access_token}}",
        "addTokenTo": "header",
        "headerPrefix": "Bearer",
    }
    return {
        "type": "oauth2",
        "oauth2": [
            {"key": k, "value": v, "type": "boolean" if isinstance(v, bool) else "string"}
            for k, v in pairs.items()
        ],
    }


def sandbox_environment(sdk: Sdk, table: ApiTable, doc: dict[str, Any]) -> dict[str, Any]:
    """The environment of a local `kk sandbox`: its URLs, client, everyday scopes, and an example
    value for every path parameter."""
    base = table["base_path"]
    values: dict[str, Any] = {
        "baseUrl": f"http://127.0.0.1:8000{base}",
        "authUrl": "http://127.0.0.1:8000",
        "clientId": _sandbox_client(doc),
        "redirectUri": SANDBOX_REDIRECT,
        "scope": " ".join(_everyday_scopes(sdk.oauth.get("scopes") or {})),
        "access_token": "",
    }
    for op in table["operations"].values():
        for p in op["parameters"]:
            if p["location"] == "path" and p["name"] not in values:
                values[p["name"]] = as_text(example_value(p["schema"], table["defs"], True))
    return {
        "id": stable_uuid("environment", "sandbox"),
        "name": f"{table['title']} — local sandbox (kk sandbox)",
        "values": [
            {
                "key": k,
                "value": v,
                "type": "secret" if k == "access_token" else "default",
                "enabled": True,
            }
            for k, v in values.items()
        ],
        "_postman_variable_scope": "environment",
    }


def _everyday_scopes(scopes: dict[str, str]) -> list[str]:
    """The scopes a sandbox sign-in asks for: all but administrative ones (`admin:...`) and
    ones their description restricts to some users ("... (practitioners only)"), which a
    test patient cannot be granted. The environment's `scope` can be edited in Postman."""
    return [
        name
        for name, text in scopes.items()
        if not name.startswith("admin:") and "only" not in str(text).lower()
    ]


def _sandbox_client(doc: dict[str, Any]) -> str:
    """The client id the spec's authorize examples use (`kk-sandbox`), if any."""
    params = ((doc.get("components") or {}).get("parameters") or {}).values()
    for p in params:
        p = resolve(doc, p)
        if p.get("name") == "client_id":
            for ex in (p.get("schema") or {}).get("examples") or []:
                return str(ex)
    return "YOUR_CLIENT_ID"
