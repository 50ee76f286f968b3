"""A real access token from a running `kk sandbox`: the OAuth 2.0 + PKCE flow a frontend runs."""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlsplit

import httpx

CLIENT_ID = "kk-sandbox"
REDIRECT_URI = "http://127.0.0.1:9/callback"
EMAIL = "test.user@klearkarma.com"
PASSWORD = "TestPassword123!"


def sandbox_token(base_url: str, scope: str = "read:practitioners read:profile") -> str:
    """Sign in as the sandbox test user; raises RuntimeError when the sandbox has no OAuth."""
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    params = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "scope": scope,
        "state": "bench",
    }
    with httpx.Client(base_url=base_url, timeout=10) as client:
        login = client.post(
            "/oauth/authorize", data={**params, "email": EMAIL, "password": PASSWORD}
        )
        location = login.headers.get("location", "")
        code = parse_qs(urlsplit(location).query).get("code")
        if login.status_code != 302 or not code:
            raise RuntimeError(f"POST /oauth/authorize answered {login.status_code}, no code")
        answer = client.post(
            "/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": code[0],
                "redirect_uri": REDIRECT_URI,
                "client_id": CLIENT_ID,
                "code_verifier": verifier,
            },
        )
        if answer.status_code != 200:
            raise RuntimeError(f"POST /oauth/token answered {answer.status_code}")
        token: str = answer.json()["access_token"]
        return token
