"""What the browser tests share: the Chromium check, pages that record their requests, sign-in, screenshots."""

import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
SCREENSHOTS = Path(tempfile.gettempdir()) / "portal-screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def require_chromium() -> None:
    """Skip the calling module without Debian's Chromium, unless REQUIRE_BROWSER=1 (CI): then fail."""
    if CHROMIUM.exists():
        return
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"REQUIRE_BROWSER=1 but {CHROMIUM} does not exist.", pytrace=False)
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)


def new_page(browser, **context_options):
    """A fresh context and page that record every request (and which ones htmx made)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, **context_options)
    page = context.new_page()
    page.requested_urls = []
    page.htmx_urls = []

    def record(request):
        page.requested_urls.append(request.url)
        if request.headers.get("hx-request") == "true":
            page.htmx_urls.append(request.url)

    page.on("request", record)
    return context, page


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in(page, live_server, user) -> None:
    from playwright.sync_api import expect

    from tests.factories import PASSWORD

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hello, {user.first_name}")


def assert_only_local_requests(page) -> None:
    hosts = {urlsplit(url).hostname for url in page.requested_urls if not url.startswith(("data:", "blob:"))}
    assert hosts <= LOCAL_HOSTS, f"requests left the machine: {sorted(hosts - LOCAL_HOSTS)}"
    assert page.requested_urls, "no requests were recorded"
