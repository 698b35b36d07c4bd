"""What the browser tests share: Debian's Chromium, launched by Playwright, and the screens they use.

Playwright never downloads a browser here: it launches /usr/bin/chromium, and a browser test
module calls `skip_without_chromium()` first, so that it is skipped, saying so, where that is
not installed. Set MUSEION_SCREENSHOTS to a folder to keep the tests' screenshots.
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.signals import request_finished, request_started
from playwright.sync_api import Browser, BrowserContext, Page, Request, sync_playwright

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
SETTLE_S = 15  # the slowest request a page makes: a recognition on a busy 2-core machine
# The requests each context has sent and not yet seen answered (see `close`).
_IN_FLIGHT: weakref.WeakKeyDictionary[BrowserContext, set[Request]] = weakref.WeakKeyDictionary()
# The live server's threads that are answering a request now. The browser's own view misses the
# requests of a page's service worker (which fetches the model and the runtime as it installs),
# and a request it saw answered is still running on the server until its response is closed.
# A thread that died before its response was closed counts as done.
_SERVING: dict[int, threading.Thread] = {}


def _serving(**kwargs: object) -> None:
    # The test client answers in the test's own thread, and is done when the test goes on.
    if threading.current_thread() is not threading.main_thread():
        _SERVING[threading.get_ident()] = threading.current_thread()


def _served(**kwargs: object) -> None:
    _SERVING.pop(threading.get_ident(), None)


def _still_serving() -> bool:
    return any(thread.is_alive() for thread in list(_SERVING.values()))


request_started.connect(_serving, weak=False, dispatch_uid="tests.browser.serving")
request_finished.connect(_served, weak=False, dispatch_uid="tests.browser.served")


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
    in_flight: set[Request] = set()
    # Plain functions: Playwright marks its handlers, which a set's bound method refuses.
    opened.on("request", lambda request: in_flight.add(request))
    opened.on("requestfinished", lambda request: in_flight.discard(request))
    opened.on("requestfailed", lambda request: in_flight.discard(request))
    _IN_FLIGHT[opened] = in_flight
    if init_script:
        opened.add_init_script(init_script)
    page = opened.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    return page


def close(page: Page) -> None:
    """Close the page's context once the requests it sent are answered, and the server is done.

    A live-server thread still answering a request the page made (a card's picture, a
    recognition, the service worker's copy of the model) while the test database is emptied
    either fails the flush or answers a 500 about a file already removed: the test's teardown
    then fails for no fault of the product.
    """
    in_flight = _IN_FLIGHT.get(page.context, set())
    deadline = time.monotonic() + SETTLE_S
    if not page.is_closed():
        page.wait_for_timeout(100)  # Playwright tells of requests only while it is called
    while in_flight and time.monotonic() < deadline and not page.is_closed():
        page.wait_for_timeout(50)
    page.context.close()
    # A live-server thread whose client went away ends with a broken pipe: soon, but not at once.
    deadline = time.monotonic() + SETTLE_S
    while _still_serving() and time.monotonic() < deadline:
        time.sleep(0.05)


def signed_in(browser: Browser, live_server, user, options: dict) -> Page:
    """A page in a context of its own, signed in as `user` (a session made by Django's test client)."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    page = open_page(browser, live_server, options)
    session = {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}
    page.context.add_cookies([session])
    return page


def screenshot(page: Page, name: str) -> None:
    """Kept under MUSEION_SCREENSHOTS when that is set."""
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / name), full_page=True)
