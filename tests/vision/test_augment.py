from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from museion.vision.augment import cut_off, glare, occlude, relight, step_back, tilt, visitor_views


def test_views_are_repeatable_for_a_seed_and_differ_between_seeds(images: Path) -> None:
    photo = Image.open(images / "owl.jpg")
    a, b = visitor_views(photo, 3, seed=7), visitor_views(photo, 3, seed=7)
    assert all(np.array_equal(np.asarray(x), np.asarray(y)) for x, y in zip(a, b, strict=True))
    c = visitor_views(photo, 3, seed=8)
    assert not np.array_equal(np.asarray(a[0]), np.asarray(c[0]))


def test_each_change_keeps_the_picture_size_and_alters_it(images: Path) -> None:
    photo = Image.open(images / "owl.jpg").convert("RGB")
    rng = np.random.default_rng(0)
    for change in (tilt, step_back, relight, glare, occlude):
        view = change(photo, rng)
        assert view.size == photo.size
        assert view.mode == "RGB"
        assert np.abs(np.asarray(view, np.int16) - np.asarray(photo, np.int16)).mean() > 1


def test_views_still_show_the_work(images: Path) -> None:
    from museion.vision import embed

    photo = Image.open(images / "parrot.jpg")
    original, *views = embed([photo, *visitor_views(photo, 6, seed=1)])
    other = embed([images / "sunflower.bmp"])[0]
    assert np.mean([v @ original for v in views]) > original @ other


def test_a_cut_off_view_leaves_out_a_quarter_to_two_fifths_of_one_side(images: Path) -> None:
    photo = Image.open(images / "owl.jpg").convert("RGB")
    rng = np.random.default_rng(0)
    for _ in range(20):
        w, h = cut_off(photo, rng).size
        kept_w, kept_h = w / photo.width, h / photo.height
        assert (kept_w == 1.0) != (kept_h == 1.0)  # one side cut, the other whole
        assert 0.59 <= min(kept_w, kept_h) <= 0.76
