from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from museion.vision import embed
from museion.vision.errors import WrongTask


def test_it_gives_unit_length_1280_wide_float32_rows(images: Path) -> None:
    vectors = embed([images / "cat.bmp", images / "parrot.jpg"])
    assert vectors.shape == (2, 1280)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_the_same_subject_lies_closer_than_a_different_one(images: Path) -> None:
    cat, cat_again, parrot = embed([images / "cat.bmp", images / "cat_720p.jpg", images / "parrot.jpg"])
    assert cat @ cat_again > 0.9
    assert cat @ parrot < 0.7


def test_a_crop_of_a_photo_stays_near_the_photo(images: Path) -> None:
    photo = Image.open(images / "owl.jpg").convert("RGB")
    crop = photo.crop((40, 30, photo.width - 40, photo.height - 30))
    owl, owl_crop, dog = embed([photo, crop, images / "pets.jpg"])
    assert owl @ owl_crop > owl @ dog


def test_batch_size_does_not_change_the_vectors(images: Path) -> None:
    paths = [images / n for n in ("cat.bmp", "parrot.jpg", "owl.jpg", "bird.bmp", "sunflower.bmp")]
    assert np.allclose(embed(paths, batch_size=1), embed(paths, batch_size=2), atol=1e-4)


def test_it_takes_any_iterable(images: Path) -> None:
    vectors = embed(p for p in [images / "cat.bmp"])
    assert vectors.shape == (1, 1280)


def test_a_detector_cannot_embed(images: Path) -> None:
    with pytest.raises(WrongTask):
        embed([images / "cat.bmp"], model="coco-yolox-nano")
