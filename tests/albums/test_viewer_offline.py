"""The visitors' page recognising on the phone, in Debian's Chromium: the live version's model run
with onnxruntime-web (served by Museion), kept by the service worker, so that after one visit the
page opens and recognises with the network off and nothing leaves it; its answers are the server's.
"""

# ruff: noqa: F401, F811 (the browser and the trained album's fixtures come from test_viewer_browser)
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from museion.albums import services, visitors
from museion.albums.models import Album
from museion.vision.bundle import Bundle
from tests.albums.test_viewer_browser import (
    PHONE,
    REFUSE_CAMERA,
    SERVER_ONLY,
    Trained,
    browser,
    clips,
    eager,
    open_page,
    send_photo,
    trained,
)
from tests.browser import close
from tests.conftest import IMAGES

pytestmark = pytest.mark.usefixtures("transactional_db")
LOAD_MS = 30_000  # the runtime and the model on a busy 2-core machine
PHOTOS = {"owl.jpg": "owl", "parrot.jpg": "parrot", "pets.jpg": None}


def on_the_phone(page: Page) -> None:
    expect(page.locator("#viewer")).to_have_attribute("data-mode", "device", timeout=LOAD_MS)


def recognise(page: Page, path: Path) -> dict:
    """A photo recognised by the page: what the card says and who answered."""
    card = page.locator("#card")
    after = str(int(card.get_attribute("data-answers") or "0") + 1)
    page.set_input_files("#photo", str(path))
    expect(card).to_have_attribute("data-answers", after, timeout=LOAD_MS)
    found = {key: card.get_attribute(f"data-{key}") for key in ("label", "unknown", "similarity", "by")}
    return {**found, "unknown": found["unknown"] == "true", "similarity": float(found["similarity"])}


def test_after_one_visit_the_page_recognises_offline_and_sends_nothing(
    browser, live_server, trained: Trained
) -> None:
    page = open_page(browser, live_server, PHONE, REFUSE_CAMERA)
    try:
        page.goto(f"/v/{trained.slug}/")
        on_the_phone(page)
        assert page.evaluate("navigator.serviceWorker.ready.then((r) => Boolean(r.active))")
        assert page.evaluate("window.crossOriginIsolated")  # so onnxruntime-web may use threads
        page.context.set_offline(True)
        sent: list[str] = []
        failed: list[str] = []
        page.on("request", lambda r: sent.append(r.url))
        page.on("requestfailed", lambda r: failed.append(r.url))
        page.reload()  # airplane mode: the page, the runtime and the model from the phone
        on_the_phone(page)
        owl = recognise(page, IMAGES / "owl.jpg")
        assert (owl["label"], owl["unknown"], owl["by"]) == ("owl", False, "device")
        expect(page.locator("#work-title")).to_have_text("The Owl")
        expect(page.locator("#work-picture")).to_be_visible()
        parrot = recognise(page, IMAGES / "parrot.jpg")
        assert (parrot["label"], parrot["unknown"]) == ("parrot", False)
        expect(page.locator("#work-title")).to_have_text("The Parrot")
        assert recognise(page, IMAGES / "pets.jpg")["unknown"] is True
        expect(page.locator("#unknown")).to_be_visible()
        assert not [url for url in sent if "/predict" in url]
        assert failed == []  # whatever the page asked for, the phone had
    finally:
        close(page)


def test_the_pages_answers_are_the_servers(browser, live_server, trained: Trained) -> None:
    """The page's label is the server's, its unknown verdict and similarity model.onnx's as the server
    computes them (the bundle, from the same photo file). The server's visitor answer adds a
    keypoint check that the page does not run: there the verdict may differ near the threshold."""
    album = Album.objects.select_related("published_version").get(pk=trained.album)
    bundle = Bundle.load(services.bundle_of(album.published_version))
    page = open_page(browser, live_server, PHONE, REFUSE_CAMERA)
    try:
        page.goto(f"/v/{trained.slug}/")
        on_the_phone(page)
        # Online, the server answers even with the model loaded: its keypoint check is surer.
        assert recognise(page, IMAGES / "owl.jpg")["by"] == "server"
        page.context.set_offline(True)
        for photo, label in PHOTOS.items():
            here = recognise(page, IMAGES / photo)
            server = services.predict(album, (IMAGES / photo).read_bytes(), visitors.picture_url)
            (expected,) = bundle.predict([IMAGES / photo], verify=False)
            (similarity,) = bundle.session.run(
                ["similarity"], {"image": bundle.pixels(IMAGES / photo)[None]}
            )[0]
            assert here["unknown"] is expected["unknown"] is (label is None), photo
            assert abs(here["similarity"] - float(similarity.max())) <= 0.02, photo
            if label:
                assert (
                    here["label"] == server["predictions"][0]["label"] == expected["predictions"][0]["label"]
                )
            else:
                assert server["unknown"] is True
    finally:
        close(page)


def test_without_webassembly_the_page_asks_the_server_and_says_nothing_alarming(
    browser, live_server, trained: Trained
) -> None:
    page = open_page(browser, live_server, PHONE, SERVER_ONLY + REFUSE_CAMERA)
    try:
        page.goto(f"/v/{trained.slug}/")
        assert send_photo(page, trained.slug, IMAGES / "owl.jpg")["unknown"] is False
        expect(page.locator("#work-title")).to_have_text("The Owl")
        expect(page.locator("#card")).to_have_attribute("data-by", "server")
        expect(page.locator("#status")).to_have_text("")
        assert page.locator("#viewer").get_attribute("data-mode") != "device"
    finally:
        close(page)
