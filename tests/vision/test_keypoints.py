"""Local features: the same flat work seen at an angle and in dim light, against another picture."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageEnhance

from museion.vision import keypoints as kp
from tests.conftest import IMAGES


def visitor_photo(image: Image.Image) -> Image.Image:
    """The picture seen from the side (a strong perspective), half as bright."""
    w, h = image.size
    corners = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    seen = np.float32([[w * 0.1, h * 0.05], [w * 0.95, 0], [w * 0.85, h], [w * 0.05, h * 0.9]])
    warped = cv2.warpPerspective(np.asarray(image), cv2.getPerspectiveTransform(corners, seen), (w, h))
    return ImageEnhance.Brightness(Image.fromarray(warped)).enhance(0.5)


@pytest.fixture(scope="module")
def work() -> Image.Image:
    return Image.open(IMAGES / "kite_and_cold.jpg").convert("RGB")


def test_a_photo_of_the_same_work_at_an_angle_has_many_inliers(work: Image.Image) -> None:
    # Measured: 144 inliers of 600 keypoints.
    assert kp.inliers(kp.extract(visitor_photo(work)), kp.extract(work)) >= 60


def test_another_picture_has_almost_none(work: Image.Image, images: Path) -> None:
    other = Image.open(images / "pets.jpg").convert("RGB")
    # Measured: 5, chance agreements that RANSAC still finds among a few random matches.
    assert kp.inliers(kp.extract(other), kp.extract(work)) < 15


def test_keypoints_are_bounded_and_survive_a_round_trip(work: Image.Image) -> None:
    found = kp.extract(work)

    assert 0 < len(found) <= kp.FEATURES
    assert found.points.max() <= kp.SIDE
    again = kp.Keypoints.from_bytes(found.to_bytes())
    assert np.array_equal(again.points, found.points)
    assert np.array_equal(again.descriptors, found.descriptors)
    assert again.descriptors.dtype == np.uint8


@pytest.mark.parametrize("size", [(1, 1), (3, 5000), (64, 64)])
def test_a_featureless_or_thin_picture_has_no_inliers_and_no_error(size: tuple[int, int]) -> None:
    blank = kp.extract(Image.new("RGB", size, (120, 120, 120)))

    assert len(blank) == 0
    assert kp.inliers(blank, blank) == 0
