"""The main pages on a phone (390x844) and a desktop (1280x800), in Debian's Chromium: none is wider
than the screen, and on a phone the nav folds behind a menu button.

The pages are filled as a curator would have them: an album with a long name, a class with a
photo, a trained version with its metrics, predictions in the history, an API token. The
screenshots are kept under MUSEION_SCREENSHOTS when it is set, else in the test's tmp folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from tests.browser import skip_without_chromium

skip_without_chromium()

from playwright.sync_api import Browser, Page, expect  # noqa: E402

from museion.accounts.models import ApiToken, User  # noqa: E402
from museion.albums.media import save_picture  # noqa: E402
from museion.albums.models import Album, ModelVersion  # noqa: E402
from museion.recognition import services  # noqa: E402
from museion.vision.catalog import DEFAULT_CLASSIFIER, DEFAULT_DETECTOR  # noqa: E402
from tests.albums.conftest import jpeg, make_album, make_team  # noqa: E402
from tests.browser import chromium, close  # noqa: E402
from tests.conftest import IMAGES  # noqa: E402

SIZES = {
    "phone": {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
              "has_touch": True},
    "desktop": {"viewport": {"width": 1280, "height": 800}},
}  # fmt: skip
METRICS = {
    "accuracy": 0.875, "validated": 8, "classes": ["owl", "parrot"],
    "per_class": {"owl": {"precision": 0.8, "recall": 1.0, "support": 4},
                  "parrot": {"precision": 1.0, "recall": 0.75, "support": 4}},
    "confusion": [[4, 0], [1, 3]], "misclassified": [],
}  # fmt: skip
OVERFLOW = "document.scrollingElement.scrollWidth - window.innerWidth"

pytestmark = pytest.mark.usefixtures("transactional_db")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@dataclass
class Curator:
    user: User
    urls: dict[str, str]


@pytest.fixture
def curator(media: Path) -> Curator:
    team = make_team()
    album = make_album(team, "The collection of the Museum of Natural History, second floor")
    Album.objects.filter(pk=album.pk).update(published=True)
    owl = album.classes.get(name="owl")
    save_picture(owl, "owl.jpg", jpeg("owl.jpg", (64, 48)), 64, 48)
    ModelVersion.objects.create(
        album=album, number=1, backbone="test", classes=[{"name": "owl"}, {"name": "parrot"}],
        head=b"", bundle=f"albums/{album.pk}/models/1.zip", metrics=METRICS,
    )  # fmt: skip
    photo = (IMAGES / "parrot.jpg").read_bytes()
    stored = [
        services.store(team.owner, services.predict(photo, services.servable_model(name)), photo)
        for name in (DEFAULT_CLASSIFIER, DEFAULT_DETECTOR)
    ]
    ApiToken.issue(team.owner, "laptop in the conservation studio")
    urls = {
        "home": "/", "predict": "/predict/", "history": "/history/",
        "history-filtered": f"/history/?model={DEFAULT_DETECTOR}", "prediction": f"/history/{stored[0].pk}/",
        "detection": f"/history/{stored[1].pk}/", "albums": "/albums/", "album": f"/albums/{album.pk}/",
        "class": f"/albums/{album.pk}/classes/{owl.pk}/", "tokens": reverse("tokens"),
        "workspaces": "/workspaces/", "workspace": f"/workspaces/{team.workspace.pk}/",
    }  # fmt: skip
    return Curator(team.owner, urls)


def signed_in(browser: Browser, live_server, user: User, size: str) -> Page:
    context = browser.new_context(base_url=live_server.url, **SIZES[size])
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"].value
    context.add_cookies([{"name": "sessionid", "value": cookie, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def shots_folder(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("MUSEION_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.parametrize("size", SIZES)
def test_no_main_page_is_wider_than_the_screen(
    browser: Browser, live_server, curator: Curator, size: str, tmp_path: Path
) -> None:
    page = signed_in(browser, live_server, curator.user, size)
    folder = shots_folder(tmp_path)
    too_wide = {}
    for name, url in curator.urls.items():
        assert page.goto(url).status == 200, url
        page.screenshot(path=str(folder / f"{name}-{size}.png"), full_page=True)
        if (extra := page.evaluate(OVERFLOW)) > 0:
            too_wide[name] = extra
    close(page)
    assert too_wide == {}


def test_on_a_phone_the_nav_opens_from_its_menu_button(
    browser: Browser, live_server, curator: Curator
) -> None:
    page = signed_in(browser, live_server, curator.user, "phone")
    page.goto("/albums/")
    history = page.locator("#site-nav a", has_text="History")
    expect(history).to_be_hidden()
    page.click("#menu-button")
    expect(page.locator("#menu-button")).to_have_attribute("aria-expanded", "true")
    history.click()
    expect(page).to_have_url(f"{live_server.url}/history/")
    close(page)


def test_on_a_desktop_the_nav_shows_without_a_menu_button(
    browser: Browser, live_server, curator: Curator
) -> None:
    page = signed_in(browser, live_server, curator.user, "desktop")
    page.goto("/albums/")
    expect(page.locator("#menu-button")).to_be_hidden()
    expect(page.locator("#site-nav a", has_text="History")).to_be_visible()
    close(page)


def test_a_phones_table_shows_each_row_as_a_card_labelled_by_its_columns(
    browser: Browser, live_server, curator: Curator
) -> None:
    page = signed_in(browser, live_server, curator.user, "phone")
    page.goto("/albums/")
    cell = page.locator("#albums tbody td").first
    expect(cell).to_have_attribute("data-label", "Album")
    assert page.evaluate("getComputedStyle(document.querySelector('#albums tbody tr')).display") == "block"
    close(page)


@pytest.mark.parametrize("language", ["zh-hans", "fr", "de"])
def test_no_page_is_wider_than_a_phone_in_any_shipped_language(
    browser: Browser, live_server, curator: Curator, language: str, tmp_path: Path
) -> None:
    """German's long words and Chinese's unbroken lines on a 390 px screen, the visitors' page too."""
    page = signed_in(browser, live_server, curator.user, "phone")
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    album = Album.objects.get(name__startswith="The collection")
    urls = {**curator.urls, "viewer": f"/v/{album.slug}/", "wall-card": f"/albums/{album.pk}/card/"}
    folder = shots_folder(tmp_path)
    too_wide, langs = {}, set()
    for name, url in urls.items():
        assert page.goto(url).status == 200, url
        langs.add(page.evaluate("document.documentElement.lang"))
        page.screenshot(path=str(folder / f"{name}-phone-{language}.png"), full_page=True)
        if (extra := page.evaluate(OVERFLOW)) > 0:
            too_wide[name] = extra
    close(page)
    assert (too_wide, langs) == ({}, {language})
