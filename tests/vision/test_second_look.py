"""A photo refused at first sight is looked at again at its centre, where a far work is, then whole
and shrunk, where a close-up's work is at the scale of the walk-around's frames."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from museion.vision import keypoints as kp
from museion.vision.head import COMPARED
from museion.vision.second_look import CENTRES, STEP_BACK, STEP_BACK_COMPARED, centre, decided

THRESHOLD = 0.08


def far_photo(size: tuple[int, int] = (2000, 1500), work: float = 0.2) -> bytes:
    """A grey wall with a red work in the middle covering `work` of each side, as a JPEG."""
    image = Image.new("RGB", size, (128, 128, 128))
    w, h = round(size[0] * work), round(size[1] * work)
    image.paste(
        (220, 20, 20), ((size[0] - w) // 2, (size[1] - h) // 2, (size[0] + w) // 2, (size[1] + h) // 2)
    )
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95)
    return out.getvalue()


class RedLook:
    """A recognizer of one red work: its score is the share of red pixels; it counts its looks."""

    def __init__(self) -> None:
        self.sizes: list[tuple[int, int]] = []
        self.compared: list[int] = []

    def __call__(self, picture: Image.Image, compared: int) -> np.ndarray:
        self.sizes.append(picture.size)
        self.compared.append(compared)
        rgb = np.asarray(picture, np.int16)
        red = float(((rgb[..., 0] > 180) & (rgb[..., 1] < 80)).mean())
        return np.array([red, 0.01])


def test_a_far_work_refused_at_first_sight_is_found_at_the_centre() -> None:
    look = RedLook()
    scores = decided(far_photo(), look, THRESHOLD)
    assert len(look.sizes) == 2
    assert scores[0] >= THRESHOLD  # 4% of the photo is red; 9.5% of its first centre
    assert scores[0] == pytest.approx((0.2 / CENTRES[0]) ** 2, abs=0.01)


def test_a_photo_answered_at_first_sight_is_looked_at_once() -> None:
    look = RedLook()
    scores = decided(far_photo(work=0.5), look, THRESHOLD)
    assert len(look.sizes) == 1
    assert scores[0] == pytest.approx(0.25, abs=0.01)


def test_a_photo_with_nothing_known_at_its_centre_stays_refused() -> None:
    look = RedLook()
    scores = decided(far_photo(work=0.0), look, THRESHOLD)
    assert len(look.sizes) == 1 + len(CENTRES) + 1
    assert max(look.sizes[-1]) == STEP_BACK
    assert look.compared == [COMPARED] * (1 + len(CENTRES)) + [STEP_BACK_COMPARED]  # more refs when shrunk
    assert STEP_BACK_COMPARED > COMPARED
    assert scores.max() < THRESHOLD


def test_a_close_up_refused_at_every_centre_is_found_shrunk() -> None:
    sizes: list[tuple[int, int]] = []

    def at_the_frames_scale(picture: Image.Image, compared: int) -> np.ndarray:  # matches only when small
        sizes.append(picture.size)
        return np.array([0.1 if max(picture.size) <= STEP_BACK else 0.0, 0.01])

    scores = decided(far_photo(work=1.0), at_the_frames_scale, THRESHOLD)
    assert scores[0] >= THRESHOLD
    assert sizes[-1] == (STEP_BACK, STEP_BACK * 3 // 4)  # the whole photo, not a centre


def test_each_work_keeps_the_best_of_its_scores() -> None:
    looks = [[0.05, 0.07], [0.06, 0.02], [0.01, 0.075], [0.0, 0.0]]  # first, two centres, shrunk
    seen = iter(np.array(scores) for scores in looks)
    assert decided(far_photo(), lambda _, __: next(seen), THRESHOLD).tolist() == [0.06, 0.075]


def test_a_far_work_that_fills_only_the_smaller_centre_is_found_there() -> None:
    look = RedLook()
    scores = decided(far_photo(work=0.14), look, THRESHOLD)  # red: 2% of it, 4.6%, then 9.7%
    assert len(look.sizes) == 3
    assert scores[0] == pytest.approx((0.14 / CENTRES[1]) ** 2, abs=0.01)


def test_both_looks_have_the_keypoints_detail_and_a_file_is_read_once() -> None:
    look = RedLook()
    decided(io.BytesIO(far_photo((4000, 3000))), look, THRESHOLD)
    first, again = (max(size) for size in look.sizes)
    assert first >= kp.SIDE  # a JPEG decodes at a power of two at least as large as asked
    assert again == kp.SIDE
    assert centre(Image.open(io.BytesIO(far_photo((4000, 3000)))), CENTRES[1]).size == (
        kp.SIDE,
        round(kp.SIDE * 3 / 4),
    )


def test_a_small_photos_centre_is_not_blown_up() -> None:
    assert centre(Image.open(io.BytesIO(far_photo((400, 300)))), 0.5).size == (200, 150)
