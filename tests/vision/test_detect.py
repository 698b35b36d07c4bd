from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from museion.vision import detect, draw
from museion.vision.detect import Detection, nms
from museion.vision.draw import PALETTE
from museion.vision.errors import WrongTask
from tests.vision.conftest import encode


def labels(found: list[Detection]) -> Counter[str]:
    return Counter(d.label for d in found)


def test_it_finds_kites_and_people(images: Path) -> None:
    found = labels(detect(images / "kite_and_cold.jpg"))
    assert found["kite"] >= 3
    assert found["person"] >= 1


def test_it_finds_the_dogs(images: Path) -> None:
    assert labels(detect(images / "pets.jpg"))["dog"] >= 2


def test_it_finds_grace_hopper(images: Path) -> None:
    best = detect(images / "grace_hopper.bmp")[0]
    assert best.label == "person"
    assert best.score > 0.8


def test_its_boxes_lie_inside_the_picture_best_first(images: Path) -> None:
    found = detect(images / "kite_and_cold.jpg", threshold=0.1)
    scores = [d.score for d in found]
    assert scores == sorted(scores, reverse=True)
    assert all(d.score >= 0.1 for d in found)
    for d in found:
        x0, y0, x1, y1 = d.box
        assert 0 <= x0 < x1 <= 1352
        assert 0 <= y0 < y1 <= 900


def test_a_higher_threshold_keeps_fewer_boxes(images: Path) -> None:
    loose = detect(images / "kite_and_cold.jpg", threshold=0.1)
    strict = detect(images / "kite_and_cold.jpg", threshold=0.6)
    assert 0 < len(strict) < len(loose)


def test_its_boxes_are_in_the_original_pixels_of_a_big_photo(images: Path) -> None:
    small = Image.open(images / "pets.jpg").convert("RGB")
    big = encode(small.resize((small.width * 6, small.height * 6), Image.Resampling.BICUBIC), "JPEG")
    small_dogs = [d.box for d in detect(small) if d.label == "dog"]
    big_dogs = [d.box for d in detect(big) if d.label == "dog"]
    assert len(big_dogs) == len(small_dogs) >= 2
    for s, b in zip(sorted(small_dogs), sorted(big_dogs), strict=True):
        assert np.allclose(np.array(b) / 6, s, atol=8)


def test_nms_suppresses_overlaps_within_a_class_only() -> None:
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [1, 1, 11, 11], [50, 50, 60, 60]], np.float32)
    scores = np.array([0.9, 0.8, 0.7, 0.6], np.float32)
    classes = np.array([0, 0, 1, 0])
    assert nms(boxes, scores, classes, iou=0.45).tolist() == [0, 2, 3]


def test_nms_of_nothing_is_nothing() -> None:
    empty = np.zeros((0, 4), np.float32)
    assert nms(empty, np.zeros(0), np.zeros(0, int), 0.45).tolist() == []


def test_it_refuses_a_classifier(images: Path) -> None:
    with pytest.raises(WrongTask):
        detect(images / "pets.jpg", model="imagenet-mobilenetv2")


def test_draw_outlines_each_box_and_keeps_the_picture_size(images: Path) -> None:
    photo = Image.open(images / "pets.jpg").convert("RGB")
    found = detect(photo)
    drawn = draw(photo, found)
    assert drawn.size == photo.size
    assert drawn is not photo
    for d in found:
        x0, y0, x1, y1 = (round(v) for v in d.box)
        colour = PALETTE[d.index % len(PALETTE)]
        assert drawn.getpixel((x0 + 1, (y0 + y1) // 2)) == colour
        assert drawn.getpixel((x1 - 1, (y0 + y1) // 2)) == colour
    assert np.array_equal(np.asarray(drawn)[5, -5], np.asarray(photo)[5, -5])
