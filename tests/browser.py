"""What the browser tests share: Debian's Chromium, launched by Playwright, and the screens they use.

Playwright never downloads a browser here: it launches /usr/bin/chromium, and a browser test
module calls `skip_without_chromium()` first, so that it is skipped, saying so, where that is
not installed. Set MUSEION_SCREENSHOTS to a folder to keep the tests' screenshots.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
FAKE_CAMERA = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
SHOTS = os.environ.get("MUSEION_SCREENSHOTS")
PAGE_TIMEOUT_MS = 15_000


def skip_without_chromium() -> None:
    """Skip the calling module where Debian's Chromium is not installed."""
    if not CHROMIUM.exists():
        reason = f"browser tests need Chromium at {CHROMIUM} (apt install chromium)"
        pytest.skip(reason, allow_module_level=True)


@contextmanager
def chromium(*extra_args: str) -> Iterator[Browser]:
    """A headless Chromium for one test module.

    Playwright's sync API keeps an asyncio loop running in this thread, which makes Django refuse
    ORM calls here (database teardown included) unless told otherwise.
    """
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=[*CHROMIUM_ARGS, *extra_args]
            )
            yield launched
            launched.close()
    finally:
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


def open_page(browser: Browser, live_server, options: dict, init_script: str = "", **context: object) -> Page:
    """A page in a context of its own, on the live server; `init_script` runs before the page's scripts."""
    opened = browser.new_context(base_url=live_server.url, **options, **context)
    if init_script:
        opened.add_init_script(init_script)
    page = opened.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    return page


def screenshot(page: Page, name: str) -> None:
    """Kept under MUSEION_SCREENSHOTS when that is set."""
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / name), full_page=True)
