"""Fixtures of the browser tests: Debian's chromium driven by Playwright, a live server.

Chromium is the machine's own (/usr/bin/chromium, installed by .ci/run when missing);
Playwright never downloads a browser. Each test gets a fresh phone-sized context
(390 x 844), and fails if the page logged any console error or threw.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Locator,
    Page,
    Playwright,
    ViewportSize,
    sync_playwright,
)
from sqlalchemy import Engine

from tests.webclient.live import Live, live_system

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PHONE = ViewportSize(width=390, height=844)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: `apt-get install -y chromium` (.ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
    yield browser
    browser.close()


@pytest.fixture
def live(
    engine: Engine, redis_client: redis.Redis, var_dir: Path, database_url: str, redis_url: str
) -> Iterator[Live]:
    with live_system(engine, redis_client, var_dir, database_url, redis_url) as system:
        yield system


class Phone:
    """A page on a phone-sized screen that records console errors and takes screenshots."""

    def __init__(self, context: BrowserContext, base_url: str) -> None:
        self.context = context
        self.base_url = base_url
        self.page: Page = context.new_page()
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))

    def _console(self, message: object) -> None:
        if getattr(message, "type", "") == "error":
            self.errors.append(f"console: {getattr(message, 'text', '')}")

    def open(self, fragment: str = "") -> Page:
        self.page.goto(f"{self.base_url}/{fragment}")
        self.page.wait_for_selector("main[data-screen]")
        return self.page

    def described_by(self, selector: str) -> Locator:
        """The hint tied to a control by aria-describedby."""
        hint = self.page.locator(selector).get_attribute("aria-describedby")
        assert hint, f"{selector} has no aria-describedby"
        return self.page.locator(f"#{hint}")

    def screen(self, name: str) -> None:
        """Wait until `name` is the screen shown (its view has rendered)."""
        self.page.wait_for_selector(f"main[data-screen={name}] .screen-title")

    def shot(self, name: str, *, full_page: bool = False) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def sign_in(self, token: str) -> None:
        self.open()
        self.page.fill("input[name=token]", token)
        self.page.click("form:has(input[name=token]) button[type=submit]")
        self.screen("code")


@pytest.fixture
def phone(browser: Browser, live: Live) -> Iterator[Phone]:
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, locale="zh-CN", accept_downloads=True
    )
    handset = Phone(context, live.base_url)
    yield handset
    context.close()
    assert handset.errors == [], "the page logged errors:\n" + "\n".join(handset.errors)
