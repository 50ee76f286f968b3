"""Accept-Language (RFC 9110 §12.5.4) for error documents, in English, Spanish and French,
from gettext catalogs read with Babel (server/locale/<lang>/LC_MESSAGES/*.po, loaded once, no
compile step). The answer names its language in Content-Language (server.languages).

Titles are fixed strings (`errors.po`). Details are sentences composed at run time (they name
the parameter, the limit...): `details.po` holds them as templates with `{named}`
placeholders (python-brace-format), and an English detail that fits a template is answered
in the translation with the same values. A detail no template fits stays English.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from babel.core import negotiate_locale
from babel.messages.pofile import read_po

DEFAULT = "en"
LOCALES = Path(__file__).parent / "locale"
DOMAIN = "errors"
DETAILS = "details"
PAGES = "pages"  # texts of the pages served to people (the OAuth sign-in page)
# Details longer than this are answered as they are (matching costs time on every error).
MAX_DETAIL = 1000
PLACEHOLDER = re.compile(r"\{(\w+)\}")
# An Accept-Language longer than this is not read past (it costs parsing on every error).
MAX_HEADER = 512


@functools.cache
def catalogs(domain: str = DOMAIN) -> dict[str, dict[str, str]]:
    """language -> {English text: translation}, for every catalog shipped of `domain`."""
    found: dict[str, dict[str, str]] = {DEFAULT: {}}
    for po in sorted(LOCALES.glob(f"*/LC_MESSAGES/{domain}.po")):
        with po.open("rb") as f:
            catalog = read_po(f, locale=po.parts[-3], domain=domain)
        found[po.parts[-3]] = {
            str(m.id): str(m.string) for m in catalog if m.id and isinstance(m.string, str)
        }
    return found


Template = tuple[str, re.Pattern[str], str]  # (longest literal part, English pattern, translation)


def compile_template(msgid: str) -> tuple[str, re.Pattern[str]]:
    """`No booking {booking_id}` -> its longest literal part and an anchored pattern."""
    parts = PLACEHOLDER.split(msgid)  # literal, name, literal, name, ...
    pattern = "".join(
        re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts)
    )
    return max(parts[::2], key=len), re.compile(pattern + r"\Z", re.DOTALL)


@functools.cache
def templates() -> dict[str, list[Template]]:
    """language -> detail templates, the most specific (longest literal text) first."""
    found: dict[str, list[Template]] = {}
    for language, entries in catalogs(DETAILS).items():
        ordered = sorted(entries, key=lambda msgid: -len(PLACEHOLDER.sub("", msgid)))
        found[language] = [(*compile_template(m), entries[m]) for m in ordered]
    return found


def preferences(header: str) -> list[str]:
    """The language ranges of an Accept-Language value, best first (q=0 and bad parts dropped;
    equal q keeps the header's order)."""
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(header[:MAX_HEADER].split(",")):
        tag, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = -1.0
        if tag and 0 < q <= 1:
            ranked.append((-q, i, tag.lower()))
    return [tag for _, _, tag in sorted(ranked)]


@functools.lru_cache(maxsize=256)
def negotiate(header: str | None, default: str = DEFAULT) -> str:
    """The shipped language that best fits `header` (`*` and no match give `default`)."""
    if not header:
        return default
    available = list(catalogs())
    wanted = [p for p in preferences(header) if p != "*"]
    # `es-MX` falls back to `es`: Babel matches the full tag, then the primary subtag.
    chosen = negotiate_locale(wanted, available, sep="-") or negotiate_locale(
        [p.split("-")[0] for p in wanted], available, sep="-"
    )
    return chosen or default


def translate(title: str, language: str, domain: str = DOMAIN) -> str:
    """A fixed text (an error title; a page's text with domain `pages`) in `language`."""
    return catalogs(domain).get(language, {}).get(title) or title


@functools.lru_cache(maxsize=1024)
def translate_detail(detail: str, language: str) -> str:
    """The detail in `language` when a template of details.po fits it, else as it is."""
    if language == DEFAULT or len(detail) > MAX_DETAIL:
        return detail
    for literal, pattern, translation in templates().get(language, ()):
        if literal in detail and (found := pattern.match(detail)) is not None:
            return translation.format(**found.groupdict())
    return detail
