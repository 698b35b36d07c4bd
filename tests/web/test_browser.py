"""The pages in a real browser: Debian's Chromium, driven by Playwright, against the live server.

Playwright never downloads a browser here: it launches /usr/bin/chromium, and
the module is skipped, saying so, where that is not installed. Set
MUSEION_SCREENSHOTS to a folder to keep screenshots of the predict page.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from tests.browser import skip_without_chromium

skip_without_chromium()

from playwright.sync_api import Browser, Page, expect  # noqa: E402

from tests.browser import DESKTOP, PHONE, chromium, close, open_page, screenshot  # noqa: E402
from tests.web.conftest import PASSWORD  # noqa: E402

PREDICT_TIMEOUT_MS = 60_000
# The page asks with ?lang= (the labels in its language): a query string may follow.
PREDICT_API = re.compile(r"/api/v1/predict(\?|$)")
HEAT_MAP_API = re.compile(r"/api/v1/predict/heatmap(\?|$)")

pytestmark = pytest.mark.usefixtures("transactional_db")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser, live_server) -> Iterator[Page]:
    page = open_page(browser, live_server, DESKTOP)
    yield page
    close(page)


@pytest.fixture
def phone(browser: Browser, live_server) -> Iterator[Page]:
    page = open_page(browser, live_server, PHONE)
    yield page
    close(page)


def sign_up(page: Page) -> str:
    email = f"browser-{uuid.uuid4().hex[:8]}@example.org"
    page.goto("/signup/")
    page.fill("#id_email", email)
    page.fill("#id_password", PASSWORD)
    page.click("main form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/predict/$"))
    return email


def upload(page: Page, path: Path | str) -> dict:
    """Choose `path` in the file input; the API's answer."""
    with page.expect_response(PREDICT_API, timeout=PREDICT_TIMEOUT_MS) as answer:
        page.set_input_files("#file", str(path))
    return answer.value.json()


def test_a_photo_chosen_before_the_scripts_ran_is_still_sent(page: Page, images: Path) -> None:
    # A slow phone line: the page is shown and a photo chosen before predict.js has run.
    held: list = []
    page.route("**/static/museion/predict.js", lambda route: held.append(route))
    page.goto("/predict/", wait_until="commit")  # deferred scripts run before DOMContentLoaded
    page.wait_for_selector("#file", state="attached")
    page.set_input_files("#file", str(images / "parrot.jpg"))
    page.wait_for_function("() => document.querySelector('#file').files.length === 1")
    with page.expect_response(PREDICT_API, timeout=PREDICT_TIMEOUT_MS) as answer:
        while not held:
            page.wait_for_timeout(50)
        held[0].continue_()
    assert answer.value.json()["predictions"][0]["label"] == "macaw"


def test_predict_stores_history(page: Page, images: Path) -> None:
    email = sign_up(page)
    expect(page.locator("header")).to_contain_text(email)
    upload(page, images / "parrot.jpg")
    expect(page.locator("#answer .bars li")).to_have_count(5)
    expect(page.locator("#answer")).to_contain_text("macaw")
    expect(page.locator("#answer")).to_contain_text("%")
    expect(page.locator("#photo")).to_be_visible()
    expect(page.locator("#progress")).to_be_hidden()
    expect(page.locator("#message")).to_be_empty()
    screenshot(page, "predict.png")

    page.goto("/history/")
    expect(page.locator("tbody tr", has_text="macaw")).to_have_count(1)


def test_the_labels_are_in_the_language_the_interface_was_switched_to(page: Page, images: Path) -> None:
    page.goto("/predict/")  # the browser asks for English
    page.select_option("#language-choice", "de")
    page.click("#language-switch button")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    answer = upload(page, images / "parrot.jpg")
    assert (answer["lang"], answer["predictions"][0]["label"]) == ("de", "Ara")
    expect(page.locator("#answer .bars li").first).to_contain_text("Ara")
    screenshot(page, "predict-de.png")


def test_footer_says_online(page: Page) -> None:
    page.goto("/")
    expect(page.locator("#status")).to_have_text("online")
    expect(page.locator("#status")).to_have_class(re.compile(r"\bonline\b"))


def test_large_photo_is_shrunk_and_turned_upright(page: Page, tmp_path: Path) -> None:
    # Stored 2400x1200 with EXIF orientation 6 (turn 90° clockwise): upright it is 1200x2400.
    path = tmp_path / "sideways.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.new("RGB", (2400, 1200), (40, 120, 200)).save(path, "JPEG", exif=exif)
    page.goto("/predict/")
    answer = upload(page, path)
    assert (answer["width"], answer["height"]) == (800, 1600)
    expect(page.locator("#answer .bars li")).to_have_count(5)


def test_server_error_is_shown_as_a_sentence(page: Page, tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not a photo at all\n")
    page.goto("/predict/")
    page.set_input_files("#file", str(path))
    expect(page.locator("#message")).to_have_text(re.compile(r"^The file is not an image"))
    expect(page.locator("#answer")).to_be_empty()
    expect(page.locator("#progress")).to_be_hidden()


def test_detector_draws_labelled_boxes(page: Page, images: Path) -> None:
    page.goto("/predict/")
    upload(page, images / "kite_and_cold.jpg")
    expect(page.locator("#answer .bars li")).to_have_count(5)
    # Another model predicts again on the same photo.
    with page.expect_response(PREDICT_API, timeout=PREDICT_TIMEOUT_MS) as info:
        page.select_option("#model", "coco-yolox-nano")
    answer = info.value.json()
    assert answer["task"] == "detect"
    assert answer["detections"]
    # Asked down to the slider's lowest setting; shown from its default, 30%.
    assert min(d["score"] for d in answer["detections"]) >= 0.1
    found = page.locator("#answer .found li")
    expect(found).to_have_count(sum(d["score"] >= 0.3 for d in answer["detections"]))
    expect(page.locator("#answer")).to_contain_text(answer["detections"][0]["label"])
    assert painted_pixels(page, "#photo-boxes") > 0
    screenshot(page, "predict-detect.png")


def test_drop_a_photo_on_the_dropzone(page: Page, images: Path) -> None:
    page.goto("/predict/")
    data = base64.b64encode((images / "parrot.jpg").read_bytes()).decode()
    transfer = page.evaluate_handle(
        """b64 => { const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0)), t = new DataTransfer();
             t.items.add(new File([bytes], "parrot.jpg", {type: "image/jpeg"}));
             return t; }""",
        data,
    )
    with page.expect_response(PREDICT_API, timeout=PREDICT_TIMEOUT_MS):
        page.dispatch_event("#dropzone", "drop", {"dataTransfer": transfer})
    expect(page.locator("#answer")).to_contain_text("macaw")


def test_occlude_and_predict_again_on_a_phone(phone: Page, images: Path) -> None:
    phone.goto("/predict/")
    first = upload(phone, images / "parrot.jpg")
    expect(phone.locator("#answer")).to_contain_text("macaw")
    phone.click("#occlude")
    paint = phone.locator("#paint")
    expect(paint).to_be_visible()
    scribble(phone, settled_box(phone, "#paint"))
    with phone.expect_response(PREDICT_API, timeout=PREDICT_TIMEOUT_MS) as again:
        phone.click("#again")
    second = again.value.json()
    expect(phone.locator("#occluded-answer .bars li")).to_have_count(5)
    # Both answers stay on the page, and the occluded photo really was painted on.
    expect(phone.locator("#answer")).to_contain_text("macaw")
    assert score_of(second, "macaw") < score_of(first, "macaw")
    assert no_horizontal_scroll(phone)
    screenshot(phone, "predict-phone.png")


def scribble(page: Page, box: dict) -> None:
    """Paint thick strokes across the middle of the picture."""
    page.fill("#brush", "80")
    for row in range(2, 9):
        y = box["y"] + box["height"] * row / 10
        page.mouse.move(box["x"] + 2, y)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] - 2, y, steps=8)
        page.mouse.up()


def settled_box(page: Page, selector: str) -> dict:
    """The element's box once the page has stopped (smooth-)scrolling to it."""
    page.locator(selector).scroll_into_view_if_needed()
    page.wait_for_function(
        """s => new Promise(done => { let last = null, same = 0;
             const tick = () => { const top = document.querySelector(s).getBoundingClientRect().top;
               same = top === last ? same + 1 : 0; last = top;
               same >= 5 ? done(true) : requestAnimationFrame(tick); };
             tick(); })""",
        arg=selector,
    )
    return page.locator(selector).bounding_box()


def score_of(answer: dict, label: str) -> float:
    return next((p["score"] for p in answer["predictions"] if p["label"] == label), 0.0)


def painted_pixels(page: Page, selector: str) -> int:
    return page.eval_on_selector(
        selector,
        """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                  let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; }""",
    )


def no_horizontal_scroll(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


# ---- the history stays one entry a photo; detector tags; occlusion's change; the heat map ----


def history_count(page: Page) -> int:
    return page.evaluate("fetch('/api/v1/predictions').then(r => r.json()).then(b => b.total)")


def test_another_model_on_the_same_photo_is_a_preview_until_saved(page: Page, images: Path) -> None:
    sign_up(page)
    first = upload(page, images / "pets.jpg")
    assert first["id"] is not None
    expect(page.locator("#save-row")).to_be_hidden()
    with page.expect_response(PREDICT_API, timeout=PREDICT_TIMEOUT_MS) as preview:
        page.select_option("#model", "coco-yolox-nano")
    assert preview.value.json()["id"] is None  # store=false
    expect(page.locator("#answer .found li").first).to_be_visible()
    expect(page.locator("#save-row")).to_be_visible()
    assert history_count(page) == 1
    with page.expect_response(PREDICT_API, timeout=PREDICT_TIMEOUT_MS) as saved:
        page.click("#save")
    assert saved.value.json()["id"] is not None
    expect(page.locator("#save")).to_have_text("Saved")
    expect(page.locator("#save-note a")).to_have_attribute("href", f"/history/{saved.value.json()['id']}/")
    assert history_count(page) == 2


def test_the_threshold_slider_filters_boxes_without_asking_again(page: Page, images: Path) -> None:
    page.goto("/predict/")
    page.select_option("#model", "coco-yolox-nano")
    answer = upload(page, images / "pets.jpg")
    expect(page.locator("#threshold-tools")).to_be_visible()
    scores = [d["score"] for d in answer["detections"]]
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/predict" in r.url else None)
    for least in (10, 50, 90):
        page.fill("#threshold", str(least))
        expect(page.locator("#answer .found li")).to_have_count(sum(s >= least / 100 for s in scores))
        expect(page.locator("#threshold-value")).to_have_text(f"{least}%")
    assert requests == []
    page.select_option("#model", "imagenet-mobilenetv2")
    expect(page.locator("#threshold-tools")).to_be_hidden()


PLACE_TAGS = """([boxes, width, height]) => { const ctx = document.createElement("canvas").getContext("2d");
    ctx.font = "600 13px system-ui, sans-serif";
    const d = boxes.map(([label, box], i) => ({ label, box, index: i, score: 0.9 - i / 100 }));
    return window.MuseionBoxes.placeTags(ctx, d, 1, 1, width, height); }"""


def apart(a: dict, b: dict) -> bool:
    beside = a["x"] + a["w"] <= b["x"] or b["x"] + b["w"] <= a["x"]
    return beside or a["y"] + a["h"] <= b["y"] or b["y"] + b["h"] <= a["y"]


def test_tags_of_crowded_small_boxes_never_overlap_or_leave_the_picture(page: Page) -> None:
    page.goto("/predict/")
    crowd = [[f"a rather long label number {i}", [10 + (i % 6) * 24, 30 + (i // 6) * 24, 30 + (i % 6) * 24,
              50 + (i // 6) * 24]] for i in range(24)]  # fmt: skip
    tags = page.evaluate(PLACE_TAGS, [crowd, 260, 130])
    assert len(tags) >= 4
    for i, a in enumerate(tags):
        assert a["x"] >= 0
        assert a["x"] + a["w"] <= 260
        assert a["y"] >= 0
        assert a["y"] + a["h"] <= 130
        assert a["w"] <= 140
        assert a["text"].endswith("…")
        assert all(apart(a, b) for b in tags[i + 1 :])


def test_a_tag_longer_than_its_small_box_is_shortened_and_neighbours_both_get_one(page: Page) -> None:
    page.goto("/predict/")
    long_label = "Staffordshire bullterrier, and a great deal more"
    (alone,) = page.evaluate(PLACE_TAGS, [[[long_label, [100, 100, 120, 120]]], 390, 300])
    assert alone["text"].endswith("…")
    assert alone["w"] <= 140
    side_by_side = [["dog", [100, 100, 130, 130]], ["cat", [132, 100, 162, 130]]]
    two = page.evaluate(PLACE_TAGS, [side_by_side, 390, 300])
    assert [t["text"] for t in two] == ["dog 90.0%", "cat 89.0%"]
    assert apart(*two)


def test_occlusion_shows_the_change_in_confidence_and_a_heat_map(phone: Page, images: Path) -> None:
    sign_up(phone)
    upload(phone, images / "parrot.jpg")
    phone.click("#occlude")
    scribble(phone, settled_box(phone, "#paint"))
    with phone.expect_response(PREDICT_API, timeout=PREDICT_TIMEOUT_MS) as again:
        phone.click("#again")
    assert again.value.json()["id"] is None  # a painted copy is never kept
    change = phone.locator("#occluded-answer .change")
    expect(change).to_contain_text(re.compile(r"macaw: [\d.]+% → [\d.<]+% \(−[\d.]+ pts\)"))
    expect(phone.locator("#occluded-answer .bars .delta").first).to_be_visible()

    phone.check("#heat-mode")
    expect(phone.locator("#paint")).to_be_hidden()
    with phone.expect_response(HEAT_MAP_API, timeout=PREDICT_TIMEOUT_MS) as made:
        phone.click("#heat-run")
    heat = made.value.json()
    assert (heat["label"], heat["grid"]) == ("macaw", 7)
    expect(phone.locator("#heat-caption")).to_contain_text("macaw")  # at 100% anywhere: "in every part"
    phone.wait_for_function("() => document.querySelector('#heat-canvas').width > 0")
    assert painted_pixels(phone, "#heat-canvas") > 0
    assert no_horizontal_scroll(phone)
    assert history_count(phone) == 1  # neither the painted copy nor the heat map
    screenshot(phone, "predict-heatmap-phone.png")


def test_a_heat_map_needs_a_classifier(page: Page, images: Path) -> None:
    page.goto("/predict/")
    upload(page, images / "parrot.jpg")
    page.click("#occlude")
    with page.expect_response(PREDICT_API, timeout=PREDICT_TIMEOUT_MS):
        page.select_option("#model", "coco-yolox-nano")
    page.check("#heat-mode")
    expect(page.locator("#heat-run")).to_be_disabled()
    expect(page.locator("#heat-caption")).to_contain_text("needs a classifier")


def test_a_new_api_token_is_copied_with_its_button(page: Page) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_up(page)
    page.goto("/account/tokens/")
    page.fill("#id_name", "laptop")
    page.click("main form button[type=submit]")
    secret = page.locator("#new-token").inner_text().strip()
    assert secret.startswith("msn_")
    page.click("#copy-token")
    expect(page.locator("#copy-token-status")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == secret


def test_a_copy_button_clicked_before_its_script_ran_copies_once_it_has(page: Page) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_up(page)
    page.goto("/account/tokens/")
    page.fill("#id_name", "laptop")
    held: list = []
    page.route("**/static/museion/copy.js", lambda route: held.append(route))  # a slow line
    page.click("main form button[type=submit]", no_wait_after=True)
    while not held:
        page.wait_for_timeout(50)
    copy = page.locator("#copy-token")
    expect(copy).to_be_disabled()  # not a button that does nothing
    page.wait_for_timeout(300)
    held[0].continue_()
    copy.click()  # waits until the script has made it work
    expect(page.locator("#copy-token-status")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == page.locator("#new-token").inner_text().strip()
