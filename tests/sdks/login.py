"""Signing in through the sandbox's login form, as a browser would."""

from __future__ import annotations

import httpx

from tests.auth.helpers import PASSWORD, USER, hidden_fields, query_of


def sign_in(url: str, email: str = USER) -> tuple[str, str]:
    """Open an authorization URL, submit the form: the redirect's (code, state)."""
    with httpx.Client() as browser:
        page = browser.get(url)
        assert page.status_code == 200, page.text
        form = {**hidden_fields(page.text), "email": email, "password": PASSWORD}
        r = browser.post(str(page.url.copy_with(query=None)), data=form)
    assert r.status_code == 302, r.text
    query = query_of(r.headers["location"])
    return query["code"], query["state"]
