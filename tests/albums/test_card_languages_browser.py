"""A visitor's card in their language, in Debian's Chromium at a phone's 390 px: an Arabic card
reads right to left while the page keeps its direction, and "Read aloud" speaks the card in its
language with the browser's speech synthesis (stubbed here, to record what it was asked).

The card is opened as a work's wall card does (`?work=ID`), from the works list: no training
needed, and the same path the phone takes offline."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser import skip_without_chromium

skip_without_chromium()

from playwright.sync_api import Browser, Page, expect  # noqa: E402

from museion.albums.models import Album, AlbumClass  # noqa: E402
from tests.albums.conftest import make_album, make_team  # noqa: E402
from tests.browser import PHONE, chromium, close, screenshot  # noqa: E402
from tests.browser import open_page as shared_open_page  # noqa: E402

ARABIC = {
    "title": "البومة السمراء",
    "description": "بومة سمراء تصطاد في الليل، من مجموعة المتحف منذ عام ١٩٢٠.",
}
CHINESE = {"title": "灰林鸮", "description": "一只在夜间捕猎的灰林鸮。"}
# No camera (the page falls back to taking a photo) and the browser's voices recorded, not spoken.
NO_CAMERA = """navigator.mediaDevices.getUserMedia = () =>
    Promise.reject(new DOMException("Permission denied", "NotAllowedError"));"""
SPEECH = """window.__spoken = [];
class Utterance { constructor(text) { this.text = text; this.lang = ""; } }
Object.defineProperty(window, "SpeechSynthesisUtterance", { value: Utterance, configurable: true });
Object.defineProperty(window, "speechSynthesis", { configurable: true, value: {
  speaking: false, cancel() {}, getVoices() { return []; },
  speak(u) { window.__spoken.push({ text: u.text, lang: u.lang }); },
} });"""
NO_SPEECH = """Object.defineProperty(window, "speechSynthesis", { value: undefined, configurable: true });"""

pytestmark = pytest.mark.usefixtures("transactional_db")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def owl(media) -> AlbumClass:
    """A published album whose owl has Arabic and Chinese cards; its parrot has none."""
    album = make_album(make_team())
    Album.objects.filter(pk=album.pk).update(published=True)
    found = album.classes.get(name="owl")
    found.translations = {"ar": ARABIC, "zh-hans": CHINESE}
    found.save()
    return found


@pytest.fixture
def phone(browser: Browser, live_server) -> Iterator:
    opened: list[Page] = []

    def open_phone(found: AlbumClass, locale: str, script: str = SPEECH, query: str = "") -> Page:
        page = shared_open_page(browser, live_server, {**PHONE, "locale": locale}, NO_CAMERA + script)
        opened.append(page)
        page.goto(f"/v/{found.album.slug}/?work={found.pk}{query}")
        expect(page.locator("#work")).to_be_visible()
        return page

    yield open_phone
    for page in opened:
        close(page)


def geometry(page: Page) -> dict:
    return page.evaluate(
        """() => {
        const card = document.getElementById("work"), title = document.getElementById("work-title");
        const range = document.createRange();
        range.selectNodeContents(title);
        const text = range.getBoundingClientRect(), box = title.getBoundingClientRect();
        const style = getComputedStyle(title);
        return {
          cardDir: getComputedStyle(card).direction, cardLang: card.lang,
          cardDirAttr: card.getAttribute("dir"),
          pageDir: getComputedStyle(document.body).direction,
          headDir: getComputedStyle(document.querySelector(".viewer-head")).direction,
          rightGap: box.right - parseFloat(style.paddingRight) - text.right,
          leftGap: text.left - box.left - parseFloat(style.paddingLeft),
          overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
        };
    }"""
    )


def test_an_arabic_card_renders_right_to_left_at_390_px_without_overflow(phone, owl: AlbumClass) -> None:
    page = phone(owl, "ar-EG")  # navigator.languages: ar-EG, the page finds the album's `ar`
    expect(page.locator("#work-title")).to_have_text(ARABIC["title"])
    expect(page.locator("#work-description")).to_have_text(ARABIC["description"])
    found = geometry(page)
    screenshot(page, "card-ar-phone.png")
    assert (found["cardDir"], found["cardLang"], found["cardDirAttr"]) == ("rtl", "ar", "rtl")
    assert found["pageDir"] == found["headDir"] == "ltr"  # only the card turns
    assert abs(found["rightGap"]) <= 2  # the text starts at the right
    assert found["leftGap"] > 40
    assert found["overflow"] <= 0


def test_a_chinese_card_is_left_to_right_with_its_lang(phone, owl: AlbumClass) -> None:
    page = phone(owl, "zh-CN")
    expect(page.locator("#work-title")).to_have_text(CHINESE["title"])
    found = geometry(page)
    assert (found["cardDir"], found["cardLang"], found["cardDirAttr"]) == ("ltr", "zh-Hans", None)
    assert abs(found["leftGap"]) <= 2


def test_the_pages_lang_wins_over_the_browsers_languages(phone, owl: AlbumClass) -> None:
    page = phone(owl, "zh-CN", query="&lang=ar")
    expect(page.locator("#work-title")).to_have_text(ARABIC["title"])


def test_a_work_without_the_visitors_language_shows_the_default_card(phone, owl: AlbumClass) -> None:
    parrot = owl.album.classes.get(name="parrot")
    page = phone(parrot, "ar")
    expect(page.locator("#work-title")).to_have_text("Parrot")
    assert geometry(page)["cardDir"] == "ltr"
    assert page.locator("#work").get_attribute("lang") == "en"


def test_read_aloud_speaks_title_and_description_in_the_cards_language(phone, owl: AlbumClass) -> None:
    page = phone(owl, "ar")
    button = page.locator("#read-aloud")
    expect(button).to_be_visible()
    button.click()
    spoken = page.evaluate("window.__spoken")
    assert spoken == [{"text": ARABIC["title"], "lang": "ar"}, {"text": ARABIC["description"], "lang": "ar"}]
    expect(button).to_have_text("Stop reading")
    button.click()  # stops; a third press reads again
    expect(button).to_have_text("Read aloud")


def test_read_aloud_uses_the_languages_usual_spelling(phone, owl: AlbumClass) -> None:
    page = phone(owl, "zh-CN")
    page.locator("#read-aloud").click()
    assert {s["lang"] for s in page.evaluate("window.__spoken")} == {"zh-Hans"}


def test_there_is_no_read_aloud_button_without_speech_synthesis(phone, owl: AlbumClass) -> None:
    page = phone(owl, "ar", script=NO_SPEECH)
    expect(page.locator("#read-aloud")).to_be_hidden()
