"""The OAuth sign-in page speaks the browser's language (Accept-Language; English, Spanish,
French from the `pages` gettext catalogs) and says which in `lang` and Content-Language."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kkapp.factory import Built
from tests.auth.helpers import PRACTITIONER, authorize_params, client, hidden_fields, pkce, sandbox

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    yield sandbox(str(tmp_path_factory.mktemp("login-languages")))


@pytest.mark.parametrize(
    ("header", "language", "texts"),
    [
        (None, "en", ["Sign in to Klear Karma", "<b>kk-sandbox</b> asks to:", "read your profile"]),
        ("es-ES,es;q=0.9", "es", ["Inicie sesión en Klear Karma", "Contraseña", "leer su perfil"]),
        ("de, fr;q=0.5", "fr", ["Connectez-vous à Klear Karma", "Mot de passe", "lire votre"]),
    ],
)
async def test_the_sign_in_page_follows_accept_language(
    app: Built, header: str | None, language: str, texts: list[str]
) -> None:
    headers = {"Accept-Language": header} if header else {}
    async with client(app.app) as c:
        page = await c.get("/oauth/authorize", params=authorize_params(pkce()[1]), headers=headers)
    assert page.status_code == 200
    assert page.headers["content-language"] == language
    assert f'<html lang="{language}">' in page.text
    assert all(text in page.text for text in texts), page.text


async def test_wrong_credentials_are_told_in_the_pages_language(app: Built) -> None:
    french = {"Accept-Language": "fr"}
    async with client(app.app) as c:
        page = await c.get("/oauth/authorize", params=authorize_params(pkce()[1]), headers=french)
        r = await c.post(
            "/oauth/authorize",
            data={**hidden_fields(page.text), "email": PRACTITIONER, "password": "nope"},
            headers=french,
        )
    assert r.status_code == 200 and "E-mail ou mot de passe incorrect." in r.text
    assert hidden_fields(r.text) == hidden_fields(page.text)
