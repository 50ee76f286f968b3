"""Klear Karma's OAuth 2.0 endpoints: sign-in page, tokens, revocation, JWKS, metadata.

The grant logic is the kit's (server.auth.oauth); this module adds what is Klear Karma's own:
the login page, the scopes each kind of user may hold, and the sandbox's test users, public
client `kk-sandbox`, published test API key and test OAuth credentials.
"""

from __future__ import annotations

from html import escape
from typing import Any

from generated import models
from handlers.domain.caller import ADMIN_SCOPES as BYPASS_SCOPES
from server.auth.api_keys import ApiKey
from server.auth.clients import Client
from server.auth.errors import PAGE_HEADERS, AuthorizeError
from server.auth.oauth import AuthorizationRequest, s256
from server.auth.services import AuthServices, auth_of
from server.auth.store import Grant
from server.auth.users import User
from server.binding import OperationGroup
from server.i18n import DEFAULT, PAGES, negotiate, translate
from server.responses import Reply

oauth = OperationGroup("oauth", core=True)

USER_SCOPES = frozenset(
    {
        "read:profile",
        "write:profile",
        "read:bookings",
        "write:bookings",
        "read:practitioners",
        "read:messages",
        "write:messages",
        "read:health_records",
        "write:health_records",
    }
)
PRACTITIONER_SCOPES = USER_SCOPES | {"write:practitioners"}
# An administrator account: every practitioner scope and the bypass (handlers.domain.caller).
ADMIN_SCOPES = PRACTITIONER_SCOPES | BYPASS_SCOPES
SCOPE_TEXT = {
    "read:profile": "read your profile",
    "write:profile": "update your profile",
    "read:bookings": "see your bookings",
    "write:bookings": "create and change bookings",
    "read:practitioners": "browse the practitioner directory",
    "write:practitioners": "update your practitioner profile",
    "read:messages": "read your messages",
    "write:messages": "send messages",
    "read:health_records": "see health records shared with you",
    "write:health_records": "update your health records",
    "admin:users": "manage all users",
    "admin:platform": "administer the platform",
}
ENDPOINTS = {
    "authorization": "/oauth/authorize",
    "token": "/oauth/token",
    "revocation": "/oauth/revoke",
    "jwks": "/.well-known/jwks.json",
}

# argon2id of the sandbox password `TestPassword123!` (the reference's test accounts).
SANDBOX_PASSWORD_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$CHTtGo3OuK+EsEVzqp8vjg"
    "$vNZ78/7qQMeczR6Qxkm1uS6N2xQH+MLvpCgy37ZNMnk"
)
SANDBOX_USERS = (
    User(
        id="test_user_123",
        email="test.user@klearkarma.com",
        password_hash=SANDBOX_PASSWORD_HASH,
        scopes=USER_SCOPES,
        user_type="patient",
    ),
    User(
        id="test_prac_123",
        email="test.practitioner@klearkarma.com",
        password_hash=SANDBOX_PASSWORD_HASH,
        scopes=PRACTITIONER_SCOPES,
        user_type="practitioner",
        claims={"practitioner_id": "test_prac_123"},
    ),
)
SANDBOX_CLIENT = Client("kk-sandbox", loopback=True)
# Published on purpose, like a payment provider's test keys: it exists only in `kk sandbox`.
SANDBOX_API_KEY = "kk_test_sandbox_key_for_local_development_only"
SANDBOX_API_KEY_RECORD = ApiKey(
    id="key_sandbox",
    name="sandbox test key (acts as test_user_123)",
    prefix="kk_test_sand",
    scopes=USER_SCOPES,
    tier="basic",
    subject="test_user_123",
    created_at=0.0,
)

# The token endpoint's request examples in the spec redeem these, so "Try it out" works: a
# code (RFC 6749's example code, RFC 7636's example verifier) and a refresh token, issued for
# test_user_123 to kk-sandbox. Published like the key above; they exist only in `kk sandbox`,
# work any number of times and start a new session (own `sid`) each time.
SANDBOX_CODE = "SplxlOBeZQQYbYS6WxSbIA"
SANDBOX_CODE_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
SANDBOX_REDIRECT_URI = "http://127.0.0.1:8765/callback"
SANDBOX_REFRESH_TOKEN = "kkr_test_sandbox_refresh_token_for_local_development_only"
SANDBOX_GRANT = Grant(
    client_id=SANDBOX_CLIENT.client_id,
    subject=SANDBOX_USERS[0].id,
    scope=" ".join(sorted(USER_SCOPES)),
    claims=SANDBOX_USERS[0].token_claims(),
    family="",  # each redemption gets its own
    redirect_uri=SANDBOX_REDIRECT_URI,
    challenge=s256(SANDBOX_CODE_VERIFIER),
    expires_at=float("inf"),
)


@oauth.on_setup
def configure(runtime: Any) -> None:
    """Default scope and, in the sandbox, the test users, client and API key."""
    auth = runtime.extras.get("auth")
    if not isinstance(auth, AuthServices):
        return
    auth.oauth.default_scopes = ("read:profile",)
    if runtime.mode != "sandbox":
        return
    auth.users.add(*SANDBOX_USERS)
    auth.clients.register(SANDBOX_CLIENT)
    auth.api_keys.add_static(SANDBOX_API_KEY, SANDBOX_API_KEY_RECORD)
    auth.oauth.add_test_code(SANDBOX_CODE, SANDBOX_GRANT)
    auth.oauth.add_test_refresh(SANDBOX_REFRESH_TOKEN, SANDBOX_GRANT)
    runtime.extras.setdefault("notes", []).extend(
        [
            "sign in as test.user@klearkarma.com or test.practitioner@klearkarma.com, "
            "password TestPassword123! (OAuth client kk-sandbox, PKCE S256)",
            f"test API key (acts as test_user_123): {SANDBOX_API_KEY}",
            f"test OAuth code {SANDBOX_CODE} and refresh token {SANDBOX_REFRESH_TOKEN} "
            "(test_user_123, kk-sandbox; see the README)",
        ]
    )


def login_page(
    request: AuthorizationRequest,
    params: dict[str, Any],
    error: str | None = None,
    language: str = DEFAULT,
) -> Reply:
    """The sign-in page, in `language` (pages.po catalogs)."""

    def t(text: str) -> str:
        return escape(translate(text, language, PAGES))

    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{escape(str(params[name]))}">'
        for name in (
            "response_type",
            "client_id",
            "redirect_uri",
            "scope",
            "state",
            "code_challenge",
            "code_challenge_method",
        )
        if params.get(name) is not None
    )
    asks = "".join(f"<li>{t(SCOPE_TEXT.get(s, s))}</li>" for s in request.scopes)
    email = escape(str(params.get("email", "")))
    page = (
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{t('Sign in - Klear Karma')}</title><style>"
        "body{font-family:system-ui,sans-serif;max-width:26rem;margin:3rem auto;padding:0 1rem}"
        "label{display:block;margin:.8rem 0 .2rem}input{width:100%;padding:.5rem;"
        "box-sizing:border-box}button{margin-top:1rem;padding:.6rem 1rem}"
        ".error{color:#b00020}</style></head><body>"
        f"<h1>{t('Sign in to Klear Karma')}</h1>"
        + (f'<p class="error" role="alert">{t(error)}</p>' if error else "")
        + "<p>"
        + t("{client} asks to:").format(client=f"<b>{escape(request.client.client_id)}</b>")
        + f"</p><ul>{asks}</ul>"
        '<form method="post" action="/oauth/authorize">'
        f'<label for="email">{t("Email")}</label>'
        f'<input id="email" name="email" type="email" value="{email}" required '
        'autocomplete="username">'
        f'<label for="password">{t("Password")}</label>'
        '<input id="password" name="password" type="password" required '
        'autocomplete="current-password">'
        f'{hidden}<button type="submit">{t("Sign in and allow")}</button></form></body></html>'
    )
    return Reply(200, page, {**PAGE_HEADERS, "Content-Language": language}, "text/html")


def page_language(request: Any) -> str:
    """Accept-Language's (nobody is signed in yet to have a preference)."""
    return negotiate(request.headers.get("accept-language"))


@oauth.operation("authorize")
async def authorize(request: models.AuthorizeRequest) -> Reply:
    """The sign-in page of an authorization request (or its RFC 6749 error)."""
    try:
        checked = auth_of(request.services).oauth.check(request.params)
    except AuthorizeError as e:
        return e.reply()
    return login_page(checked, dict(request.params), language=page_language(request))


@oauth.operation("authorizeSubmit")
async def authorize_submit(request: models.AuthorizeSubmitRequest) -> Reply:
    """Sign in: 302 to the client with a code, the page again after wrong credentials, 429
    while the account is locked after repeated failures (server.auth.backoff)."""
    auth = auth_of(request.services)
    form = request.body
    try:
        checked = auth.oauth.check(form)
        await auth.backoff.check(form["email"])  # 429 while this account is locked
        user = await auth.users.authenticate(form["email"], form["password"])
        if user is None:
            await auth.backoff.failed(form["email"])
            return login_page(
                checked, dict(form), "Wrong email or password.", page_language(request)
            )
        await auth.backoff.succeeded(form["email"])
        location = await auth.oauth.approve(checked, user)
    except AuthorizeError as e:
        return e.reply()
    return Reply(302, None, {"Location": location, "Cache-Control": "no-store"})


@oauth.operation("createToken")
async def create_token(request: models.CreateTokenRequest) -> Reply:
    """Redeem a code or rotate a refresh token."""
    auth = auth_of(request.services)
    tokens = await auth.oauth.token(request.body, request.headers.get("authorization"))
    return Reply(200, tokens, {"Cache-Control": "no-store", "Pragma": "no-cache"})


@oauth.operation("revokeToken")
async def revoke_token(request: models.RevokeTokenRequest) -> Reply:
    """RFC 7009: 200 whether or not the token was valid."""
    auth = auth_of(request.services)
    await auth.oauth.revoke(request.body, request.headers.get("authorization"))
    return Reply(200, None, {"Cache-Control": "no-store"})


@oauth.operation("getJwks")
async def get_jwks(request: models.GetJwksRequest) -> Reply:
    """The public keys (current and previous) that verify access tokens."""
    jwks = auth_of(request.services).keys.jwks()
    return Reply(200, jwks, {"Cache-Control": "public, max-age=300"})


@oauth.operation("getAuthorizationServerMetadata")
async def get_metadata(request: models.GetAuthorizationServerMetadataRequest) -> Reply:
    """RFC 8414 metadata."""
    return Reply(200, auth_of(request.services).oauth.metadata(ENDPOINTS))
