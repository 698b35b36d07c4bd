"""A bundle's own viewer (viewer/index.html) in Debian's Chromium: the zip unzipped into a folder
served by a plain static server (`python -m http.server`), onnxruntime-web's three files put in
viewer/ort/ as the bundle's README says, photos recognised in the page as `Bundle.predict` (the
global stage, model.onnx alone) answers them.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import skip_without_chromium

skip_without_chromium()

from PIL import Image  # noqa: E402
from playwright.sync_api import Page, expect  # noqa: E402

from museion.vision.bundle import RECOGNIZER_JS, Bundle  # noqa: E402
from museion.vision.train import TrainOptions, export, read_dataset, train  # noqa: E402
from tests.browser import DESKTOP, chromium  # noqa: E402
from tests.conftest import IMAGES  # noqa: E402
from tests.media import make_dataset  # noqa: E402

RUNTIME = RECOGNIZER_JS.parent / "ort"
RUNTIME_FILES = ("ort.wasm.min.js", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")
CLASSES = ["parrot.jpg", "owl.jpg", "sunflower.bmp"]
PHOTOS = {"owl.jpg": "owl", "parrot.jpg": "parrot", "hot_dog.jpg": None}
OWL_TRANSLATIONS = {
    "fr": {"title": "Chouette", "description": "Une chouette hulotte."},
    "ar": {"title": "البومة"},
}
LOAD_MS = 60_000  # the runtime and the model on a busy 2-core machine

if not all((RUNTIME / name).exists() for name in RUNTIME_FILES):
    pytest.skip("onnxruntime-web is not installed (make webruntime)", allow_module_level=True)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_dataset(tmp_path_factory.mktemp("ds"), IMAGES, CLASSES, seconds=3)
    info = json.loads((root / "owl" / "info.json").read_text())
    (root / "owl" / "info.json").write_text(json.dumps({**info, "translations": OWL_TRANSLATIONS}))
    data = read_dataset(root, fps=2)
    head, metrics = train(data, TrainOptions(views=3), [Image.open(IMAGES / "pets.jpg")])
    path = tmp_path_factory.mktemp("out") / "bundle.zip"
    export(path, head, data, metrics, "imagenet-mobilenetv2")
    return path


@pytest.fixture(scope="module")
def served(bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The unzipped bundle, the runtime in viewer/ort/, on a static server: its base URL."""
    folder = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(folder)
    (folder / "viewer" / "ort").mkdir()
    for name in RUNTIME_FILES:
        shutil.copy(RUNTIME / name, folder / "viewer" / "ort" / name)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(10)


@pytest.fixture(scope="module")
def page(served: str) -> Iterator[Page]:
    with chromium() as browser:
        context = browser.new_context(base_url=served, **DESKTOP)
        opened = context.new_page()
        yield opened
        context.close()


def recognise(page: Page, photo: Path) -> dict:
    result = page.locator("#result")
    after = str(int(result.get_attribute("data-answers") or "0") + 1)
    page.set_input_files("#photo", str(photo))
    expect(result).to_have_attribute("data-answers", after, timeout=LOAD_MS)
    return {
        "label": result.get_attribute("data-label"),
        "unknown": result.get_attribute("data-unknown") == "true",
        "similarity": float(result.get_attribute("data-similarity") or "nan"),
    }


def test_the_bundles_viewer_recognises_two_works_and_refuses_another_photo_as_the_bundle(
    page: Page, bundle: Path
) -> None:
    page.goto("/viewer/index.html")
    expect(page.locator("#photo")).to_be_enabled(timeout=LOAD_MS)
    loaded = Bundle.load(bundle)
    for photo, label in PHOTOS.items():
        here = recognise(page, IMAGES / photo)
        (expected,) = loaded.predict([IMAGES / photo], verify=False)
        (similarity,) = loaded.session.run(["similarity"], {"image": loaded.pixels(IMAGES / photo)[None]})[0]
        assert here["unknown"] is expected["unknown"] is (label is None), photo
        assert abs(here["similarity"] - float(similarity.max())) <= 0.02, photo
        if label:
            assert here["label"] == expected["predictions"][0]["label"] == label
            expect(page.locator("#title")).to_have_text(label.capitalize())
        else:
            expect(page.locator("#title")).to_have_text("Not one of this collection's works")


@pytest.mark.parametrize(
    ("lang", "title", "description", "direction"),
    [
        ("fr-CA", "Chouette", "Une chouette hulotte.", "ltr"),
        ("ar", "البومة", "A photo of owl.", "rtl"),  # no Arabic description: the card's own
        ("de", "Owl", "A photo of owl.", "ltr"),  # a language the card is not written in
    ],
)
def test_the_bundles_viewer_shows_the_card_in_the_visitors_language(
    page: Page, lang: str, title: str, description: str, direction: str
) -> None:
    page.goto(f"/viewer/index.html?lang={lang}")
    expect(page.locator("#photo")).to_be_enabled(timeout=LOAD_MS)
    assert recognise(page, IMAGES / "owl.jpg")["label"] == "owl"
    expect(page.locator("#title")).to_have_text(title)
    expect(page.locator("#description")).to_have_text(description)
    expect(page.locator("#card")).to_have_attribute("dir", direction)


def test_the_bundles_viewer_is_the_visitors_pages_recognizer(bundle: Path) -> None:
    with zipfile.ZipFile(bundle) as zf:
        assert zf.read("viewer/recognizer.js") == RECOGNIZER_JS.read_bytes()
        assert b'src="recognizer.js"' in zf.read("viewer/index.html")
        assert "onnxruntime-web 1.31.1" in zf.read("README.md").decode()


def test_without_the_runtime_files_the_viewer_says_what_is_missing(page: Page, served: str) -> None:
    page.goto("/viewer/index.html?runtime=missing/")
    expect(page.locator("#status")).to_contain_text("could not start", timeout=LOAD_MS)
    expect(page.locator("#status")).to_contain_text("README")
