"""Accept-Language (RFC 9110 §12.5.4) for the titles of error documents, in English, Spanish
and French, from gettext catalogs read with Babel (server/locale/<lang>/LC_MESSAGES/errors.po,
loaded once, no compile step). The answer names its language in Content-Language.

Details are sentences composed at run time (they name the parameter, the limit...) and stay
English; titles are the fixed, translatable part.
"""

from __future__ import annotations

import functools
from pathlib import Path

from babel.core import negotiate_locale
from babel.messages.pofile import read_po

DEFAULT = "en"
LOCALES = Path(__file__).parent / "locale"
DOMAIN = "errors"
# An Accept-Language longer than this is not read past (it costs parsing on every error).
MAX_HEADER = 512


@functools.cache
def catalogs() -> dict[str, dict[str, str]]:
    """language -> {English title: translation}, for every catalog shipped."""
    found: dict[str, dict[str, str]] = {DEFAULT: {}}
    for po in sorted(LOCALES.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        with po.open("rb") as f:
            catalog = read_po(f, locale=po.parts[-3], domain=DOMAIN)
        found[po.parts[-3]] = {
            str(m.id): str(m.string) for m in catalog if m.id and isinstance(m.string, str)
        }
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


def translate(title: str, language: str) -> str:
    return catalogs().get(language, {}).get(title) or title
