"""Accept-Language picks the language of error titles and details (English, Spanish, French,
from the gettext catalogs under server/locale) and the answer says which in Content-Language."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kkapp.config import AppConfig
from kkapp.factory import build
from server.i18n import (
    DETAILS,
    PAGES,
    PLACEHOLDER,
    catalogs,
    compile_template,
    negotiate,
    preferences,
    translate_detail,
)
from tests.engine import FIXTURES, client

pytestmark = pytest.mark.anyio
PETSTORE = str(FIXTURES / "petstore31" / "openapi.yaml")


@pytest.mark.parametrize(
    ("header", "language", "title"),
    [
        (None, "en", "Validation Error"),
        ("es-MX,es;q=0.9", "es", "Error de validación"),
        ("de-CH, fr;q=0.8, en;q=0.5", "fr", "Erreur de validation"),
        ("fr;q=0, es;q=0.2", "es", "Error de validación"),
        ("de", "en", "Validation Error"),
    ],
)
async def test_error_titles_follow_accept_language(
    header: str | None, language: str, title: str
) -> None:
    app = build(AppConfig("mock", spec=PETSTORE, data_dir="/nonexistent")).app
    headers = {"Accept-Language": header} if header else {}
    async with client(app) as c:
        r = await c.get("/v1/pets", params={"limit": "many"}, headers=headers)
    assert r.status_code == 400
    assert r.headers["content-language"] == language
    assert {e["title"] for e in r.json()["errors"]} == {title}
    assert r.json()["errors"][0]["code"] == "VALIDATION_ERROR"  # codes never change


def test_every_catalog_translates_the_same_titles() -> None:
    found = catalogs()
    assert set(found) == {"en", "es", "fr"}
    assert set(found["es"]) == set(found["fr"]) and len(found["es"]) >= 15
    assert all(found["es"].values()) and all(found["fr"].values())


@given(st.text(max_size=600))
def test_any_accept_language_value_gives_a_shipped_language(header: str) -> None:
    assert negotiate(header) in {"en", "es", "fr"}
    assert all(tag == tag.lower() for tag in preferences(header))


def test_every_detail_template_is_translated_with_the_same_placeholders() -> None:
    found = catalogs(DETAILS)
    assert set(found["es"]) == set(found["fr"]) and len(found["es"]) >= 40
    for language in ("es", "fr"):
        for msgid, text in found[language].items():
            assert text and set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(msgid))


VALUES = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_'\"", min_size=1, max_size=20)


@given(data=st.data(), language=st.sampled_from(["es", "fr"]))
@settings(deadline=None)  # the first example reads and compiles the catalogs
def test_a_detail_fitting_a_template_is_answered_in_its_translation(
    data: st.DataObject, language: str
) -> None:
    entries = catalogs(DETAILS)[language]
    msgid = data.draw(st.sampled_from(sorted(entries)))
    values = {name: data.draw(VALUES) for name in PLACEHOLDER.findall(msgid)}
    english = msgid.format(**values)
    assert translate_detail(english, language) == entries[msgid].format(**values)
    assert translate_detail(english, "en") == english


@given(st.text(max_size=300))
@settings(deadline=None)
def test_a_detail_no_template_fits_stays_as_it_is(detail: str) -> None:
    translated = translate_detail(detail, "es")
    assert translated == detail or any(
        compile_template(m)[1].match(detail) for m in catalogs(DETAILS)["es"]
    )


def test_every_page_text_is_translated_in_every_catalog() -> None:
    found = catalogs(PAGES)
    assert set(found["es"]) == set(found["fr"]) and len(found["es"]) >= 19
    assert all(found["es"].values()) and all(found["fr"].values())
