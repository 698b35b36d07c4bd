"""The curators' review page in Debian's Chromium: one key per photo, bulk actions, and a layout that
fits a phone and a desktop. The queue is filled directly (the keeping itself is tested in
test_review.py), so no training is needed here."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from tests.browser import skip_without_chromium

skip_without_chromium()

from playwright.sync_api import Browser, Page, expect  # noqa: E402

from museion.albums.models import Album, MediaItem, ReviewItem  # noqa: E402
from tests.albums.conftest import Team, jpeg, make_album, make_team  # noqa: E402
from tests.browser import DESKTOP, PHONE, chromium, close, screenshot, signed_in  # noqa: E402

OVERFLOW = "document.scrollingElement.scrollWidth - window.innerWidth"

pytestmark = pytest.mark.usefixtures("transactional_db")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@dataclass
class Queue:
    team: Team
    album: Album
    items: list[ReviewItem]  # newest first, as the page shows them

    @property
    def url(self) -> str:
        return f"/albums/{self.album.pk}/review/"


@pytest.fixture
def queue(media: Path) -> Queue:
    """Four visitors' photos waiting, each guessed owl first and parrot second."""
    team = make_team("-review-browser")
    album = make_album(team, "The collection of the Museum of Natural History, second floor")
    Album.objects.filter(pk=album.pk).update(keep_visitor_photos=True)
    owl, parrot = album.classes.get(name="owl"), album.classes.get(name="parrot")
    guesses = [
        {"label": "owl", "class_id": owl.pk, "score": 0.61},
        {"label": "parrot", "class_id": parrot.pk, "score": 0.33},
    ]
    for n, (name, reason) in enumerate([("owl.jpg", "unknown"), ("parrot.jpg", "low_margin")] * 2):
        data = jpeg(name, (320, 240))
        path = default_storage.save(f"albums/{album.pk}/review/{n}.jpg", ContentFile(data))
        ReviewItem.objects.create(
            album=album, file=path, size=len(data), width=320, height=240, guesses=guesses, reason=reason
        )
    return Queue(team, album, list(ReviewItem.objects.filter(album=album)))


def reviewing(browser: Browser, live_server, queue: Queue, options: dict = DESKTOP) -> Page:
    page = signed_in(browser, live_server, queue.team.editor, options)
    assert page.goto(queue.url).status == 200
    return page


def waiting(queue: Queue) -> list[int]:
    return list(ReviewItem.objects.filter(album=queue.album, state="waiting").values_list("pk", flat=True))


def test_one_key_per_photo_assigns_marks_and_discards_and_the_focus_moves_on(
    browser: Browser, live_server, queue: Queue
) -> None:
    page = reviewing(browser, live_server, queue)
    first, second, third, fourth = (f"#item-{item.pk}" for item in queue.items)
    expect(page.locator(first)).to_be_focused()

    page.keyboard.press("2")  # the second guess: parrot
    expect(page.locator(first)).to_have_count(0)
    expect(page.locator(second)).to_be_focused()
    page.keyboard.press("n")
    expect(page.locator(second)).to_have_count(0)
    page.keyboard.press("d")
    expect(page.locator(third)).to_have_count(0)
    expect(page.locator(fourth)).to_be_focused()
    expect(page.locator("#review-total")).to_have_text("1 waiting")

    assigned = MediaItem.objects.get(album_class__album=queue.album)
    assert (assigned.album_class.name, assigned.from_visitors) == ("parrot", True)
    assert ReviewItem.objects.get(pk=queue.items[1].pk).state == "negative"
    assert not ReviewItem.objects.filter(pk=queue.items[2].pk).exists()
    assert waiting(queue) == [queue.items[3].pk]
    close(page)


def test_arrows_move_between_photos_and_space_selects_one(
    browser: Browser, live_server, queue: Queue
) -> None:
    page = reviewing(browser, live_server, queue)
    first, second = (f"#item-{item.pk}" for item in queue.items[:2])
    page.keyboard.press("ArrowRight")
    expect(page.locator(second)).to_be_focused()
    page.keyboard.press(" ")
    expect(page.locator(f"{second} .select")).to_be_checked()
    page.keyboard.press("ArrowLeft")
    expect(page.locator(first)).to_be_focused()
    expect(page.locator(f"{first} .select")).not_to_be_checked()
    assert len(waiting(queue)) == 4  # moving and selecting decide nothing
    close(page)


def test_selected_photos_are_assigned_in_one_go_and_the_rest_stay(
    browser: Browser, live_server, queue: Queue
) -> None:
    page = reviewing(browser, live_server, queue)
    for item in queue.items[:3]:
        page.check(f"#item-{item.pk} .select")
    page.select_option("#bulk-class", label="owl")
    page.click('button[data-bulk="assign"]')
    expect(page.locator(".review-item")).to_have_count(1)
    assert MediaItem.objects.filter(album_class__name="owl", from_visitors=True).count() == 3
    assert waiting(queue) == [queue.items[3].pk]
    close(page)


def test_a_bulk_action_with_nothing_selected_says_so_and_does_nothing(
    browser: Browser, live_server, queue: Queue
) -> None:
    page = reviewing(browser, live_server, queue)
    page.click('button[data-bulk="discard"]')
    expect(page.locator("#review-message")).not_to_be_empty()
    assert len(waiting(queue)) == 4
    close(page)


def test_discarding_the_whole_page_shows_the_empty_queue(browser: Browser, live_server, queue: Queue) -> None:
    page = reviewing(browser, live_server, queue)
    page.check("#select-all")
    page.click('button[data-bulk="discard"]')
    expect(page.locator("#review-empty")).to_be_visible()
    assert not ReviewItem.objects.filter(album=queue.album).exists()
    close(page)


def test_a_viewer_sees_the_guesses_but_no_buttons(browser: Browser, live_server, queue: Queue) -> None:
    page = signed_in(browser, live_server, queue.team.viewer, DESKTOP)
    assert page.goto(queue.url).status == 200
    expect(page.locator(".review-item")).to_have_count(4)
    expect(page.locator(".review-item button")).to_have_count(0)
    expect(page.locator("#bulk")).to_have_count(0)
    page.keyboard.press("d")
    assert len(waiting(queue)) == 4
    close(page)


@pytest.mark.parametrize("screen", ["phone", "desktop"])
def test_the_review_page_fits_the_screen(browser: Browser, live_server, queue: Queue, screen: str) -> None:
    page = reviewing(browser, live_server, queue, PHONE if screen == "phone" else DESKTOP)
    expect(page.locator(".review-item img").first).to_be_visible()
    screenshot(page, f"review-{screen}.png")
    # When each photo came, in the browser's time zone (times.js), not the server's ISO string.
    shown = page.locator(".review-item time").first
    expect(shown).not_to_contain_text("T")
    expect(shown).not_to_contain_text("UTC")
    assert page.evaluate(OVERFLOW) <= 0
    # The guesses and actions wrap inside their photo's tile rather than past it.
    tile = page.locator(".review-item").first.bounding_box()
    for button in page.locator(".review-item").first.locator("button, select").all():
        box = button.bounding_box()
        assert tile["x"] - 1 <= box["x"]
        assert box["x"] + box["width"] <= tile["x"] + tile["width"] + 1
    close(page)
