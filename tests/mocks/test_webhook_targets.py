"""The sandbox delivers webhooks to this machine only, unless hosts are allowed explicitly."""

from __future__ import annotations

import pytest

from mocks.webhooks import WebhookSettings


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9000/hooks",
        "http://localhost/x",
        "http://[::1]:8080/",
        "https://127.8.9.10/h",
    ],
)
def test_loopback_targets_are_delivered_by_default(url: str) -> None:
    assert WebhookSettings().allows(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://your-app.com/webhooks/klearkarma",
        "http://10.0.0.5/h",
        "http://192.168.1.2/",
        "https://4p.fj7gp.com",
    ],
)
def test_other_targets_are_not_delivered_by_default(url: str) -> None:
    assert not WebhookSettings().allows(url)


def test_allowed_hosts_open_named_targets_and_star_opens_all() -> None:
    assert WebhookSettings(allowed_hosts=("your-app.com",)).allows("https://your-app.com/webhooks")
    assert not WebhookSettings(allowed_hosts=("your-app.com",)).allows("https://other.com/")
    assert WebhookSettings(allowed_hosts=("*",)).allows("https://other.com/")


def test_the_allow_list_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KK_WEBHOOK_HOSTS", "hooks.example.org, other.example.org")
    settings = WebhookSettings.from_options({}, {})
    assert settings.allowed_hosts == ("hooks.example.org", "other.example.org")
