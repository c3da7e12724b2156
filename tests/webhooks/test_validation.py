"""Which endpoint URLs the portal accepts: https and public addresses in production, local receivers in dev."""

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from webhooks.validation import is_public_address, validate_endpoint_url, validate_events

production = override_settings(WEBHOOKS_REQUIRE_HTTPS=True, WEBHOOKS_ALLOW_PRIVATE_ADDRESSES=False)
development = override_settings(WEBHOOKS_REQUIRE_HTTPS=False, WEBHOOKS_ALLOW_PRIVATE_ADDRESSES=True)


@production
@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://partner.example.org/hooks", "https://"),
        ("ftp://partner.example.org/hooks", "Enter a full http"),
        ("partner.example.org/hooks", "Enter a full http"),
        ("https://user:secret@partner.example.org/hooks", "credentials"),
        ("https://token@partner.example.org/hooks", "credentials"),
        ("https://partner.example.org/hooks#frag", "fragment"),
        ("https://127.0.0.1/hooks", "private, loopback"),
        ("https://10.1.2.3/hooks", "private, loopback"),
        ("https://192.168.0.10:8443/hooks", "private, loopback"),
        ("https://169.254.169.254/latest/meta-data", "private, loopback"),
        ("https://100.64.0.1/hooks", "private, loopback"),
        ("https://[::1]/hooks", "private, loopback"),
        ("https://[fd00::1]/hooks", "private, loopback"),
        ("https://[::ffff:10.0.0.1]/hooks", "private, loopback"),
        ("https://0.0.0.0/hooks", "private, loopback"),
        ("https://localhost/hooks", "local one"),
        ("https://api.localhost/hooks", "local one"),
        ("https://printer.local/hooks", "local one"),
        ("https://metadata.google.internal/hooks", "local one"),
    ],
)
def test_url__refused_in_production(url, message):
    with pytest.raises(ValidationError, match=message):
        validate_endpoint_url(url)


@production
@pytest.mark.parametrize(
    "url",
    ["https://partner.example.org/hooks", "https://93.184.215.14:8443/x?tenant=4", "https://[2606:4700::1111]/hooks"],
)
def test_url__public_https_accepted_in_production(url):
    assert validate_endpoint_url(f"  {url} ") == url


@development
@pytest.mark.parametrize("url", ["http://127.0.0.1:8765/hooks/", "http://localhost:9000/", "https://10.0.0.5/x"])
def test_url__local_receivers_accepted_in_development(url):
    assert validate_endpoint_url(url) == url


@development
def test_url__credentials_refused_even_in_development():
    with pytest.raises(ValidationError, match="credentials"):
        validate_endpoint_url("http://a:b@127.0.0.1:8000/")


def test_settings__tests_run_in_development_mode():
    from django.conf import settings

    assert settings.WEBHOOKS_REQUIRE_HTTPS is False and settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES is True


def test_settings__production_requires_https_and_public_addresses(monkeypatch):
    import importlib
    import sys

    monkeypatch.setenv("SECRET_KEY", "x" * 60)
    monkeypatch.setenv("ALLOWED_HOSTS", "portal.example.org")
    monkeypatch.delenv("WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", raising=False)
    sys.modules.pop("coordination.settings.production", None)
    production_settings = importlib.import_module("coordination.settings.production")
    assert production_settings.WEBHOOKS_REQUIRE_HTTPS is True
    assert production_settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES is False
    sys.modules.pop("coordination.settings.production", None)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("8.8.8.8", True),
        ("127.0.0.1", False),
        ("172.16.0.1", False),
        ("fe80::1%eth0", False),
        ("224.0.0.1", False),
        ("::ffff:127.0.0.1", False),
        ("not-an-ip", False),
    ],
)
def test_is_public_address(address, public):
    assert is_public_address(address) is public


def test_events__known_types_only():
    validate_events([])
    validate_events(["referral.sent", "consent.revoked"])
    with pytest.raises(ValidationError, match="Unknown event type"):
        validate_events(["referral.sent", "referral.deleted"])
    with pytest.raises(ValidationError, match="list"):
        validate_events("referral.sent")
