"""Pictures of absurd shapes (100000x1, 1x20000...): a few hundred bytes that once made
preprocessing scale the short side up first, 5 GB for a 1x20000 PNG. Every path that
shares the code now costs about what a small photo costs."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from museion.cli import cli
from museion.vision import classify, detect, embed
from museion.vision.augment import visitor_views
from museion.vision.catalog import InputSpec
from museion.vision.preprocess import fit, prepare
from tests.hostile import THIN_SIZES, png, thin_pngs

# A small photo takes a few tens of milliseconds here; the 1x20000 PNG took 20.9 s.
SECONDS = 10.0  # loose: the suite shares its 2 cores with others

thin = pytest.mark.parametrize("name", sorted(thin_pngs()))


@thin
def test_classify_detect_and_embed_take_a_thin_picture_in_moments(name: str) -> None:
    data = thin_pngs()[name]
    small = png((8, 8))  # the models' sessions load first, outside the timing
    classify(small), detect(small), embed([small])
    started = time.monotonic()
    assert len(classify(data)) == 5
    assert detect(data) == [] or all(d.score >= 0.3 for d in detect(data))
    assert embed([data]).shape == (1, 1280)
    assert time.monotonic() - started < SECONDS


@pytest.mark.parametrize("size", THIN_SIZES)
@pytest.mark.parametrize("resize", ["crop", "letterbox", "stretch"])
def test_preprocessing_a_thin_picture_gives_the_models_size(size: tuple[int, int], resize: str) -> None:
    spec = InputSpec(name="input", size=(224, 224), resize=resize, resize_short=256)
    prepared = prepare(Image.new("RGB", size, (10, 200, 30)), spec)
    assert prepared.tensor.shape == (3, 224, 224)
    assert np.isfinite(prepared.tensor).all()
    assert (prepared.width, prepared.height) == size


def test_an_ordinary_photo_is_cropped_as_before_to_the_pixel(images: Path) -> None:
    """Scaled whole, then cropped: what the models' scores were checked with."""
    photo = Image.open(images / "kite_and_cold.jpg").convert("RGB")
    spec = InputSpec(name="input", size=(224, 224), resize="crop", resize_short=256)
    ratio = 256 / min(photo.size)
    scaled = photo.resize(
        (round(photo.width * ratio), round(photo.height * ratio)), Image.Resampling.BILINEAR
    )
    left, top = (scaled.width - 224) // 2, (scaled.height - 224) // 2
    expected = scaled.crop((left, top, left + 224, top + 224))
    assert np.array_equal(np.asarray(fit(photo, spec)[0]), np.asarray(expected))


def test_a_thin_picture_is_cropped_from_its_centre() -> None:
    """Red, then green in the middle third, then blue: the crop of a 3000x10 strip is green."""
    strip = Image.new("RGB", (3000, 10), (255, 0, 0))
    strip.paste((0, 255, 0), (1000, 0, 2000, 10))
    strip.paste((0, 0, 255), (2000, 0, 3000, 10))
    spec = InputSpec(name="input", size=(224, 224), resize="crop", resize_short=256)
    fitted = np.asarray(fit(strip, spec)[0])
    assert fitted.shape == (224, 224, 3)
    assert (fitted[..., 1] > 200).all()
    assert (fitted[..., 0] < 50).all()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    width=st.integers(1, 200_000),
    height=st.integers(1, 200_000),
    size=st.tuples(st.integers(1, 640), st.integers(1, 640)),
    resize=st.sampled_from(["crop", "letterbox", "stretch"]),
    short=st.one_of(st.none(), st.integers(1, 1024)),
)
def test_preprocessing_any_shape_gives_the_models_size_quickly(
    width: int, height: int, size: tuple[int, int], resize: str, short: int | None
) -> None:
    """Fuzzed: any picture of up to 1 MP, any input size and resize rule."""
    if width * height > 1_000_000:
        width = max(1, 1_000_000 // height)
    spec = InputSpec(name="input", size=size, resize=resize, resize_short=short)
    started = time.monotonic()
    prepared = prepare(Image.new("RGB", (width, height), (90, 90, 90)), spec)
    assert prepared.tensor.shape == (3, size[1], size[0])
    assert np.isfinite(prepared.tensor).all()
    assert time.monotonic() - started < SECONDS


@thin
def test_visitor_views_of_a_thin_picture_stay_small(name: str) -> None:
    picture = Image.new("RGB", next(s for s in THIN_SIZES if name == f"thin-{s[0]}x{s[1]}.png"), (5, 5, 5))
    for view in visitor_views(picture, 4, seed=1):
        assert max(view.size) <= 320


@thin
@pytest.mark.parametrize("command", ["classify", "detect"])
def test_the_cli_classifies_and_detects_a_thin_picture(tmp_path: Path, name: str, command: str) -> None:
    path = tmp_path / name
    path.write_bytes(thin_pngs()[name])
    started = time.monotonic()
    result = CliRunner().invoke(cli, [command, str(path), "--json"])
    assert result.exit_code == 0, result.output
    (answer,) = json.loads(result.stdout)
    assert answer["image"].endswith(name)
    assert time.monotonic() - started < SECONDS
