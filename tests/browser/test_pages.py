"""What a developer's browser shows on a fresh `kk sandbox`: /docs renders every operation of
the spec, GraphiQL runs a query, the sign-in page signs in and redirects with a code."""

from __future__ import annotations

import base64
import hashlib
import json
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from generated.api_table import TABLE
from handlers.rest.oauth import SANDBOX_API_KEY
from tests.browser.conftest import SHOTS, Sandbox

pytestmark = pytest.mark.browser
WAIT = 30  # seconds for a page to render on a busy 2-core machine


def test_docs_render_every_operation_of_the_spec(
    sandbox: Sandbox, browser: webdriver.Chrome
) -> None:
    browser.get(sandbox.url + "/docs")
    expected = set(TABLE["operations"])

    def rendered() -> set[str]:
        # Swagger UI names each block operations-<tag>-<operationId>; one round trip
        ids = browser.execute_script(
            "return [...document.querySelectorAll('.opblock-tag-section .opblock')]"
            ".map(block => block.id)"
        )
        return {i.split("-", 2)[2] for i in ids if i.count("-") >= 2}

    try:
        WebDriverWait(browser, WAIT).until(lambda _: rendered() >= expected)
    finally:
        browser.save_screenshot(str(SHOTS / "docs.png"))
    assert rendered() == expected
    text = browser.find_element(By.TAG_NAME, "body").text
    assert "Unable to render this definition" not in text
    assert browser.find_element(By.CSS_SELECTOR, ".info .title").text.startswith(TABLE["title"])
    assert browser.find_elements(By.CSS_SELECTOR, "button.authorize")


def test_graphiql_runs_a_query_with_the_token_docs_was_authorized_with(
    sandbox: Sandbox, browser: webdriver.Chrome
) -> None:
    browser.get(sandbox.url + "/healthz")  # same origin: where Swagger UI's Authorize keeps it
    saved = {"bearerAuth": {"name": "bearerAuth", "value": SANDBOX_API_KEY}}
    browser.execute_script("localStorage.setItem('authorized', arguments[0])", json.dumps(saved))
    browser.get(sandbox.url + "/graphql")
    WebDriverWait(browser, WAIT).until(
        lambda b: b.find_elements(By.CSS_SELECTOR, ".graphiql-query-editor .CodeMirror")
    )
    browser.find_element(By.CSS_SELECTOR, ".graphiql-execute-button").click()

    def result() -> str:
        panes = browser.find_elements(By.CSS_SELECTOR, ".result-window")
        return panes[0].text if panes else ""

    try:
        WebDriverWait(browser, WAIT).until(lambda _: '"edges"' in result())
    finally:
        browser.save_screenshot(str(SHOTS / "graphiql.png"))
    assert '"errors"' not in result() and '"id": "prac_' in result()


def test_a_graphiql_subscription_hears_a_booking_made_over_rest(
    sandbox: Sandbox, browser: webdriver.Chrome
) -> None:
    """GraphiQL's fetcher speaks graphql-transport-ws on /graphql, with /docs' token."""
    browser.get(sandbox.url + "/healthz")
    saved = {"bearerAuth": {"name": "bearerAuth", "value": SANDBOX_API_KEY}}
    browser.execute_script("localStorage.setItem('authorized', arguments[0])", json.dumps(saved))
    browser.get(sandbox.url + "/graphql")
    editor = ".graphiql-query-editor .CodeMirror"
    WebDriverWait(browser, WAIT).until(lambda b: b.find_elements(By.CSS_SELECTOR, editor))
    subscription = (
        'subscription WatchBookings { bookingUpdates(userId: "test_user_123") { id status } }'
    )
    browser.execute_script(
        "document.querySelector(arguments[0]).CodeMirror.setValue(arguments[1])",
        editor,
        subscription,
    )
    # GraphiQL takes the edit in (debounced) when the tab is named after the operation
    tab = ".graphiql-tab-active .graphiql-tab-button"
    WebDriverWait(browser, WAIT).until(
        lambda b: b.find_element(By.CSS_SELECTOR, tab).text == "WatchBookings"
    )
    browser.find_element(By.CSS_SELECTOR, ".graphiql-execute-button").click()
    stop = ".graphiql-execute-button[aria-label^='Stop']"  # subscribed: the button stops it
    try:
        WebDriverWait(browser, WAIT).until(lambda b: b.find_elements(By.CSS_SELECTOR, stop))
    finally:
        browser.save_screenshot(str(SHOTS / "graphiql-subscribed.png"))
    booking = {
        "data": {
            "type": "booking",
            "attributes": {
                "practitioner_id": "test_prac_123",
                "scheduled_at": "2024-01-05T16:00:00Z",
                "duration": 30,
                "session_type": "phone_call",
            },
        }
    }
    auth = {"Authorization": f"Bearer {SANDBOX_API_KEY}"}
    made = httpx.post(sandbox.url + "/v1/bookings", json=booking, headers=auth, timeout=30)
    assert made.status_code == 201, made.text
    booking_id = made.json()["data"]["id"]

    def result() -> str:
        panes = browser.find_elements(By.CSS_SELECTOR, ".result-window")
        return panes[0].text if panes else ""

    try:
        WebDriverWait(browser, WAIT).until(lambda _: booking_id in result())
    finally:
        browser.save_screenshot(str(SHOTS / "graphiql-subscription.png"))
    assert '"bookingUpdates"' in result() and '"errors"' not in result()


def test_the_sign_in_page_signs_in_and_redirects_with_a_code(
    sandbox: Sandbox, browser: webdriver.Chrome
) -> None:
    verifier = base64.urlsafe_b64encode(b"browser-test-verifier-" * 3).rstrip(b"=").decode()
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    callback = sandbox.url + "/healthz"  # any loopback URI is a valid redirect (RFC 8252)
    query = {
        "response_type": "code",
        "client_id": "kk-sandbox",
        "redirect_uri": callback,
        "scope": "read:profile read:bookings",
        "state": "browser-state",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    browser.get(f"{sandbox.url}/oauth/authorize?{urlencode(query)}")
    browser.find_element(By.ID, "email").clear()
    browser.find_element(By.ID, "email").send_keys("test.user@klearkarma.com")
    browser.find_element(By.ID, "password").send_keys("TestPassword123!")
    browser.save_screenshot(str(SHOTS / "sign-in.png"))
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    WebDriverWait(browser, WAIT).until(lambda b: b.current_url.startswith(callback))
    params = parse_qs(urlsplit(browser.current_url).query)
    assert params["state"] == ["browser-state"]
    tokens = httpx.post(
        sandbox.url + "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "client_id": "kk-sandbox",
            "code": params["code"][0],
            "redirect_uri": callback,
            "code_verifier": verifier,
        },
    )
    assert tokens.status_code == 200, tokens.text
    assert tokens.json()["scope"] == "read:profile read:bookings"
