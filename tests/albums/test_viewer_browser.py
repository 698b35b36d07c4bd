"""The album page and the visitor viewer in a real browser: Debian's Chromium driven by Playwright.

As in tests/web/test_browser.py, Playwright never downloads a browser: it launches
/usr/bin/chromium (the module is skipped where that is missing), here with a fake
camera that is allowed without asking. Albums are trained inline (Celery eager).
Set MUSEION_SCREENSHOTS to a folder to keep screenshots of the album page and viewer.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.test import Client
from PIL import Image

from tests.browser import skip_without_chromium

skip_without_chromium()

from playwright.sync_api import Browser, Page, expect  # noqa: E402

from museion.accounts.models import User  # noqa: E402
from museion.accounts.workspaces import create_workspace  # noqa: E402
from museion.albums.models import Album  # noqa: E402
from tests.albums.conftest import ApiCaller, celery_eager, make_team  # noqa: E402
from tests.browser import DESKTOP, FAKE_CAMERA, PHONE, chromium, close, screenshot  # noqa: E402
from tests.browser import open_page as shared_open_page  # noqa: E402
from tests.conftest import IMAGES  # noqa: E402
from tests.media import render_clip  # noqa: E402

WORKS = {  # class: photo, title, description (with markup that must stay text)
    "owl": ("owl.jpg", "The Owl", 'A tawny owl. <img src=x onerror="window.owned=1">'),
    "parrot": ("parrot.jpg", "The Parrot", "A macaw."),
    "sunflower": ("sunflower.bmp", "Sunflower", "After Van Gogh."),
}
JOB_TIMEOUT_MS = 60_000
# These tests read the server's answers: without WebAssembly the visitors' page asks the server
# (the phone's own recognizer is tested in test_viewer_offline.py).
SERVER_ONLY = "delete window.WebAssembly;\n"
REFUSE_CAMERA = """navigator.mediaDevices.getUserMedia = () =>
    Promise.reject(new DOMException("Permission denied", "NotAllowedError"));"""

pytestmark = pytest.mark.usefixtures("transactional_db")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium(*FAKE_CAMERA) as launched:  # a fake camera that needs no permission prompt
        yield launched


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[str, Path]:
    """A 4 s clip panning over each work's photo, rendered once for the module."""
    folder = tmp_path_factory.mktemp("clips")
    paths = {}
    for name, (picture, _, _) in WORKS.items():
        paths[name] = folder / f"{name}.mp4"
        paths[name].write_bytes(render_clip(Image.open(IMAGES / picture), 4))
    return paths


@pytest.fixture
def eager() -> Iterator[None]:
    with celery_eager():
        yield


def open_page(browser: Browser, live_server, options: dict, init_script: str = "", **context: object) -> Page:
    return shared_open_page(browser, live_server, options, init_script, permissions=["camera"], **context)


@pytest.fixture
def phone(browser: Browser, live_server) -> Iterator[Callable[..., Page]]:
    """Opens a phone page that asks the server; `init_script` runs before the page's own scripts."""
    opened: list[Page] = []

    def open_phone(init_script: str = "") -> Page:
        # No service worker either: its copy of the model and runtime is test_viewer_offline's.
        page = open_page(browser, live_server, PHONE, SERVER_ONLY + init_script, service_workers="block")
        opened.append(page)
        return opened[-1]

    yield open_phone
    for page in opened:
        close(page)


@pytest.fixture
def desktop(browser: Browser, live_server) -> Iterator[Page]:
    page = open_page(browser, live_server, DESKTOP)
    yield page
    close(page)


@dataclass
class Trained:
    album: int
    slug: str


@pytest.fixture
def trained(clips: dict[str, Path], eager: None, media: Path) -> Trained:
    """A published album trained inline from the three clips, as its editor would through the API."""
    team = make_team()
    api = ApiCaller(Client(), team, "editor")
    album = api.post("/albums", {"name": "Birds and flowers", "workspace": team.workspace.pk}).json()
    for name, (_, title, description) in WORKS.items():
        found = api.post(
            f"/albums/{album['id']}/classes", {"name": name, "title": title, "description": description}
        )
        path = f"/albums/{album['id']}/classes/{found.json()['id']}/media"
        assert api.upload(path, "clip.mp4", clips[name].read_bytes()).status_code == 202
    assert api.post(f"/albums/{album['id']}/train").status_code == 202
    assert api.patch(f"/albums/{album['id']}", {"published": True}).json()["published_version"] == 1
    return Trained(album["id"], album["slug"])


def send_photo(page: Page, slug: str, path: Path) -> dict:
    with page.expect_response(f"**/api/v1/v/{slug}/predict") as answer:
        page.set_input_files("#photo", str(path))
    return answer.value.json()


# ---- the visitor viewer ----------------------------------------------------------------


def test_without_the_camera_a_photo_of_the_owl_shows_its_card(phone, trained: Trained) -> None:
    phone = phone(REFUSE_CAMERA)
    phone.goto(f"/v/{trained.slug}/")
    expect(phone.locator("#fallback-reason")).to_contain_text("not allowed")
    expect(phone.locator("#camera")).to_be_hidden()
    assert send_photo(phone, trained.slug, IMAGES / "owl.jpg")["unknown"] is False
    expect(phone.locator("#work-title")).to_have_text("The Owl")
    # The description's markup is text on the page, never elements.
    expect(phone.locator("#work-description")).to_have_text(WORKS["owl"][2])
    assert phone.locator("#work-description img").count() == 0
    assert phone.evaluate("window.owned") is None
    expect(phone.locator("#shot-image")).to_be_visible()  # the photo the answer is for
    expect(phone.locator("#work-picture")).to_be_visible()  # the work's own picture, to compare
    assert not_overflowing(phone)
    screenshot(phone, "viewer-phone.png")

    assert send_photo(phone, trained.slug, IMAGES / "pets.jpg")["unknown"] is True
    expect(phone.locator("#unknown")).to_be_visible()
    expect(phone.locator("#unknown h2")).to_have_text("Not one of this collection's works")
    expect(phone.locator("#unknown")).to_contain_text("step closer")
    expect(phone.locator("#work")).to_be_hidden()
    expect(phone.locator("#card")).to_have_attribute("data-answers", "2")
    screenshot(phone, "viewer-phone-unknown.png")


def test_a_second_unrelated_photo_visibly_answers_again(phone, trained: Trained, tmp_path: Path) -> None:
    phone = phone(REFUSE_CAMERA)
    phone.goto(f"/v/{trained.slug}/")
    other = tmp_path / "street.jpg"
    Image.open(IMAGES / "pets.jpg").convert("RGB").rotate(90, expand=True).save(other)
    assert send_photo(phone, trained.slug, IMAGES / "pets.jpg")["unknown"] is True
    expect(phone.locator("#unknown")).to_be_visible()
    first = phone.get_attribute("#shot-image", "src")
    assert send_photo(phone, trained.slug, other)["unknown"] is True
    expect(phone.locator("#card")).to_have_attribute("data-answers", "2")
    expect(phone.locator("#unknown")).to_be_visible()
    assert phone.get_attribute("#shot-image", "src") != first  # the new photo is the one shown


def test_a_visitor_chooses_the_work_from_the_list_of_its_pictures(phone, trained: Trained) -> None:
    phone = phone(REFUSE_CAMERA)
    phone.goto(f"/v/{trained.slug}/")
    phone.click("#choose-open")
    choices = phone.locator("#works .work-choice")
    expect(choices).to_have_count(3)
    expect(choices.locator("img")).to_have_count(3)
    phone.wait_for_function(
        "[...document.querySelectorAll('#works img')].every((i) => i.complete && i.naturalWidth > 0)"
    )
    assert not_overflowing(phone)
    screenshot(phone, "viewer-phone-list.png")
    phone.locator(".work-choice", has_text="The Parrot").click()
    expect(phone.locator("#work-title")).to_have_text("The Parrot")
    expect(phone.locator("#work-description")).to_have_text("A macaw.")
    expect(phone.locator("#resume")).to_be_visible()


def test_a_works_wall_card_link_opens_on_its_card(phone, trained: Trained) -> None:
    parrot = Album.objects.get(pk=trained.album).classes.get(name="parrot")
    phone = phone()
    phone.goto(f"/v/{trained.slug}/?work={parrot.pk}")
    expect(phone.locator("#work-title")).to_have_text("The Parrot")
    expect(phone.locator("#camera")).to_be_visible()
    phone.wait_for_timeout(1500)  # the camera runs, but the chosen card stays
    expect(phone.locator("#work-title")).to_have_text("The Parrot")
    phone.click("#resume")
    expect(phone.locator("#resume")).to_be_hidden()
    phone.evaluate("window.dispatchEvent(new PageTransitionEvent('pagehide'))")
    phone.wait_for_timeout(700)


def not_overflowing(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_on_a_page_that_is_not_https_the_viewer_says_so_and_offers_a_photo(phone, owner: User) -> None:
    phone = phone("Object.defineProperty(window, 'isSecureContext', { value: false });")
    album = Album.objects.create(workspace=create_workspace(owner, "Museum"), name="Hall", published=True)
    phone.goto(f"/v/{album.slug}/")
    expect(phone.locator("#fallback-reason")).to_contain_text("HTTPS")
    expect(phone.locator("label[for=photo]")).to_be_visible()
    assert phone.get_attribute("#photo", "capture") == "environment"


def test_the_live_camera_sends_frames_one_request_at_a_time(phone, trained: Trained) -> None:
    phone = phone()
    seen = {"sent": 0, "done": 0, "open": 0, "most": 0}

    def sent(request) -> None:
        if request.url.endswith("/predict"):
            seen["sent"] += 1
            seen["open"] += 1
            seen["most"] = max(seen["most"], seen["open"])

    def ended(request) -> None:
        if request.url.endswith("/predict"):
            seen["open"] -= 1
            seen["done"] += 1

    phone.on("request", sent)
    phone.on("requestfinished", ended)
    phone.on("requestfailed", ended)
    phone.goto(f"/v/{trained.slug}/")
    expect(phone.locator("#camera")).to_be_visible()
    expect(phone.locator("#fallback")).to_be_hidden()
    deadline = time.monotonic() + 30
    while seen["done"] < 3 and time.monotonic() < deadline:
        phone.wait_for_timeout(100)
    assert phone.evaluate("document.getElementById('preview').videoWidth") > 0
    # Stop the camera loop and let its last request end, so none is left running on the server.
    phone.evaluate("window.dispatchEvent(new PageTransitionEvent('pagehide'))")
    phone.wait_for_timeout(700)
    assert seen["open"] == 0, seen
    assert seen["done"] >= 3, seen
    assert seen["most"] == 1, seen
    expect(phone.locator("#status")).to_be_empty()  # every answer was read


# ---- the album page ----------------------------------------------------------------------


def sign_in(page: Page, user: User, live_server) -> None:
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def add_class(page: Page, name: str) -> None:
    if not page.locator("#class-form").is_visible():
        page.click("details.new-class summary")
    page.fill("#class-form [name=name]", name)
    page.fill("#class-form [name=title]", WORKS[name][1])
    page.click("#class-form button[type=submit]")
    expect(page.locator(f".class-card[data-name={name}]")).to_be_visible()


def test_files_chosen_before_the_album_pages_script_ran_are_uploaded(
    desktop: Page, live_server, media: Path
) -> None:
    # A slow line: the album page is shown and files chosen before album.js has run.
    owner = User.objects.create_user("curator@example.org")
    sign_in(desktop, owner, live_server)
    desktop.goto("/albums/")
    desktop.fill("#album-form [name=name]", "Garden")
    desktop.click("#album-form button[type=submit]")
    add_class(desktop, "owl")
    held: list = []
    desktop.route("**/static/museion/album.js", lambda route: held.append(route))
    desktop.reload(wait_until="commit")  # deferred scripts run before DOMContentLoaded
    card = desktop.locator(".class-card[data-name=owl]")
    card.locator("input[type=file]").set_input_files(str(IMAGES / "owl.jpg"))
    while not held:
        desktop.wait_for_timeout(50)
    held[0].continue_()
    row = card.locator(".upload-row", has_text="owl.jpg").locator(".file-status")
    expect(row).to_have_text(re.compile("^Added 1 photo"), timeout=JOB_TIMEOUT_MS)


def upload_clip(page: Page, name: str, clip: Path, *others: Path) -> None:
    card = page.locator(f".class-card[data-name={name}]")
    card.locator("input[type=file]").set_input_files([*map(str, others), str(clip)])
    received = card.locator(".upload-row", has_text=clip.name).locator(".file-status")
    expect(received).to_have_text(re.compile("^(Received|Done)"), timeout=JOB_TIMEOUT_MS)
    job = page.locator(".job", has_text=f"Frames of {clip.name}")
    expect(job.locator(".job-status")).to_have_text("Done", timeout=JOB_TIMEOUT_MS)
    expect(job.locator(".job-stage")).to_have_text(re.compile(r"^[1-9]\d* frames? kept$"))
    # The file's own line in the upload list follows its job to the end.
    expect(received).to_have_text(re.compile(r"^Done: [1-9]\d* frames? kept$"))
    # The class's count follows once the job is done.
    expect(card.locator(".counts")).to_have_text(re.compile(r"0 photos · [1-9]\d* frames?"))


def test_the_album_page_builds_a_model_from_clips(
    desktop: Page, live_server, clips: dict[str, Path], eager: None, media: Path
) -> None:
    owner = User.objects.create_user("curator@example.org")
    sign_in(desktop, owner, live_server)
    desktop.goto("/albums/")
    desktop.fill("#album-form [name=name]", "Garden")
    desktop.click("#album-form button[type=submit]")
    expect(desktop.locator("h1")).to_have_text("Garden")
    notes = clips["owl"].with_name("notes.txt")
    notes.write_text("not a picture\n")
    add_class(desktop, "owl")
    upload_clip(desktop, "owl", clips["owl"], notes)  # two files at once: one refused, with its reason
    expect(desktop.locator(".upload-row.refused", has_text="notes.txt")).to_contain_text(
        "Refused: send a photo"
    )
    add_class(desktop, "parrot")
    upload_clip(desktop, "parrot", clips["parrot"])

    desktop.click("#train")
    training = desktop.locator(".job", has_text="Training")
    expect(training.locator(".job-status")).to_have_text("Done", timeout=JOB_TIMEOUT_MS)
    expect(training.locator(".job-stage")).to_have_text(re.compile(r"^Version 1 · accuracy \d+\.\d%$"))
    version = desktop.locator("#versions tr[data-version='1']")
    expect(version.locator(".accuracy")).to_have_text(re.compile(r"^\d+\.\d%$"))
    expect(version).to_contain_text("live")
    expect(desktop.locator("#metrics-v1 table.confusion")).to_be_visible()
    with desktop.expect_response("**/predict", timeout=JOB_TIMEOUT_MS):
        desktop.set_input_files("#try-file", str(IMAGES / "owl.jpg"))
    expect(desktop.locator("#try-answer .work-title")).to_have_text("The Owl")
    screenshot(desktop, "album-page.png")

    desktop.click(".class-card[data-name=owl] h3 a")
    expect(desktop.locator(".media-group h3")).to_contain_text("Frames of owl.mp4")
    expect(desktop.locator(".media-grid img").first).to_be_visible()
    screenshot(desktop, "class-page.png")
    desktop.wait_for_load_state("networkidle")  # no request left running when the database is emptied


# ---- the class page and the wall cards -------------------------------------------------


@pytest.fixture
def curator_album(media: Path) -> tuple[User, Album]:
    team = make_team("c")
    api = ApiCaller(Client(), team, "editor")
    album = api.post("/albums", {"name": "Garden", "workspace": team.workspace.pk}).json()
    for name in ("owl", "parrot"):
        api.post(f"/albums/{album['id']}/classes", {"name": name, "title": WORKS[name][1]})
    api.patch(f"/albums/{album['id']}", {"published": True})
    return team.editor, Album.objects.get(pk=album["id"])


def test_the_class_page_uploads_turns_and_moves_pictures(
    browser: Browser, live_server, curator_album: tuple[User, Album], tmp_path: Path
) -> None:
    editor, album = curator_album
    owl = album.classes.get(name="owl")
    page = open_page(browser, live_server, PHONE)
    sign_in(page, editor, live_server)
    page.goto(f"/albums/{album.pk}/classes/{owl.pk}/")
    wide = tmp_path / "wide.jpg"
    Image.open(IMAGES / "owl.jpg").convert("RGB").resize((320, 200)).save(wide)
    page.set_input_files("#add-media input[type=file]", [str(wide), str(IMAGES / "parrot.jpg")])
    expect(page.locator(".upload-row .file-status", has_text="Added 1 photo")).to_have_count(2)
    expect(page.locator("#media .media-grid li")).to_have_count(2)
    assert not_overflowing(page)
    screenshot(page, "class-phone.png")

    first = page.locator("#media .media-grid li").first
    with page.expect_navigation():
        first.locator("button.rotate").click()
    turned = album.classes.get(name="owl").media.get(name="wide.jpg")
    assert (turned.width, turned.height) == (200, 320)

    page.check("#pick-all")
    expect(page.locator("#picked")).to_have_text("2 selected")
    expect(page.locator("#bulk-move")).to_be_disabled()  # no class chosen yet
    page.select_option("#bulk-to", label="parrot")
    with page.expect_navigation():
        page.click("#bulk-move")
    assert album.classes.get(name="parrot").media.count() == 2
    expect(page.locator("#media .media-grid li")).to_have_count(0)
    close(page)


def test_a_wall_card_prints_on_one_a5_page_with_a_qr_code_phones_read(
    browser: Browser, live_server, curator_album: tuple[User, Album]
) -> None:
    import cv2
    import numpy as np

    editor, album = curator_album
    parrot = album.classes.get(name="parrot")
    for options, name in ((PHONE, "wall-card-phone.png"), (DESKTOP, "wall-card-desktop.png")):
        page = open_page(browser, live_server, options)
        sign_in(page, editor, live_server)
        page.goto(f"/albums/{album.pk}/classes/{parrot.pk}/card/")
        expect(page.locator("h1")).to_have_text("The Parrot")
        assert not_overflowing(page)
        screenshot(page, name)
        shot = page.locator(".wall-qr").screenshot()
        decoded, _, _ = cv2.QRCodeDetector().detectAndDecode(cv2.imdecode(np.frombuffer(shot, np.uint8), 1))
        assert decoded == f"{live_server.url}/v/{album.slug}/?work={parrot.pk}"
        close(page)
    page = open_page(browser, live_server, DESKTOP)
    sign_in(page, editor, live_server)
    page.goto(f"/albums/{album.pk}/card/")
    pdf = page.pdf(prefer_css_page_size=True)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1  # one sheet
    assert re.search(rb"/MediaBox\s*\[0 0 4(19\.\d+|20) 59(4\.\d+|5)\]", pdf)  # A5: 420 x 595 points
    close(page)


# ---- a curator's walk from a candidate version to a visitor's answer ------------------------


@pytest.fixture
def candidate(clips: dict[str, Path], eager: None, media: Path) -> tuple[User, ApiCaller, dict]:
    """An album trained twice through the API: v1 went live by itself, v2 waits as a candidate."""
    team = make_team("w")
    api = ApiCaller(Client(), team, "editor")
    album = api.post("/albums", {"name": "Walk", "workspace": team.workspace.pk}).json()
    for name, (_, title, description) in WORKS.items():
        found = api.post(
            f"/albums/{album['id']}/classes", {"name": name, "title": title, "description": description}
        )
        path = f"/albums/{album['id']}/classes/{found.json()['id']}/media"
        assert api.upload(path, "clip.mp4", clips[name].read_bytes()).status_code == 202
    for _ in range(2):
        assert api.post(f"/albums/{album['id']}/train").status_code == 202
    return team.users["editor"], api, album


def test_a_curator_publishes_a_candidate_and_visitors_read_the_text_edited_since(
    desktop: Page, phone, candidate: tuple[User, ApiCaller, dict], live_server
) -> None:
    editor, api, album = candidate
    sign_in(desktop, editor, live_server)
    desktop.goto(f"/albums/{album['id']}/")
    v2 = desktop.locator("#versions tr[data-version='2']")
    expect(v2.locator(".status")).to_contain_text("candidate")
    expect(desktop.locator("#versions tr[data-version='1'] .status")).to_contain_text("live")
    # The operating point in plain words, not figures hidden in metrics.json.
    expect(desktop.locator("#operating-point-v2")).to_contain_text("refused")
    v2.locator("button", has_text="Publish").click()
    expect(desktop.locator("#versions tr[data-version='2'] .status")).to_contain_text("live")
    desktop.check("#settings-form [name=published]")
    desktop.click("#settings-form button[type=submit]")
    expect(desktop.locator("#settings-form [name=published]")).to_be_checked()
    screenshot(desktop, "walk-album.png")
    desktop.context.grant_permissions(["clipboard-read", "clipboard-write"])
    desktop.click("#copy-link")
    expect(desktop.locator("#copy-status")).to_have_text("Copied.")
    assert desktop.evaluate("navigator.clipboard.readText()").endswith(f"/v/{album['slug']}/")

    visitor = phone(REFUSE_CAMERA)
    visitor.goto(f"/v/{album['slug']}/")
    assert send_photo(visitor, album["slug"], IMAGES / "owl.jpg")["unknown"] is False
    expect(visitor.locator("#work-title")).to_have_text("The Owl")
    assert send_photo(visitor, album["slug"], IMAGES / "pets.jpg")["unknown"] is True
    expect(visitor.locator("#unknown")).to_contain_text("Not one of this collection's works")
    expect(visitor.locator("#work")).to_be_hidden()

    owl = next(c for c in api.get(f"/albums/{album['id']}/classes").json() if c["name"] == "owl")
    renamed = api.patch(f"/albums/{album['id']}/classes/{owl['id']}", {"title": "The Tawny Owl"})
    assert renamed.status_code == 200
    assert send_photo(visitor, album["slug"], IMAGES / "owl.jpg")["unknown"] is False
    expect(visitor.locator("#work-title")).to_have_text("The Tawny Owl")  # no training in between
    assert visitor.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(visitor, "walk-visitor.png")
    desktop.wait_for_load_state("networkidle")
