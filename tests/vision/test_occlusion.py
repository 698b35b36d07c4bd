"""Occlusion maps: the greyed copies, the region the model sees, and a map on the real classifier."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from museion.vision.catalog import Catalog
from museion.vision.occlusion import greyed_copies, occlusion_map
from museion.vision.preprocess import fitted_region
from tests.conftest import IMAGES


def test_each_copy_greys_one_cell_row_by_row() -> None:
    tensor = np.ones((3, 6, 6), np.float32)
    batch = greyed_copies(tensor, 3)
    assert batch.shape == (10, 3, 6, 6)
    assert (batch[0] == 1).all()  # the photo itself first
    assert (batch[1, :, 0:2, 0:2] == 0).all()
    assert batch[1].sum() == 3 * (36 - 4)
    assert (batch[6, :, 2:4, 4:6] == 0).all()  # row 1, column 2


def test_a_cropping_model_sees_the_centre_of_a_wide_photo() -> None:
    spec = Catalog().get("imagenet-mobilenetv2").input  # short side to 256, then the centre 224
    x0, y0, x1, y1 = fitted_region(512, 256, spec)
    assert (y0, y1) == pytest.approx((16, 240))
    assert (x0 + x1) / 2 == pytest.approx(256)
    assert x1 - x0 == pytest.approx(224)


def test_a_few_cells_of_a_photo_matter_much_more_than_the_rest() -> None:
    photo = Image.open(IMAGES / "pets.jpg")
    found = occlusion_map(photo, "imagenet-mobilenetv2", grid=4)
    cells = np.array(found.scores)
    assert cells.shape == (4, 4)
    assert found.score - cells.min() > 0.05
    assert (found.score - cells).max() > 4 * np.median(np.abs(found.score - cells))


@pytest.mark.parametrize("grid", [1, 9])
def test_it_refuses_a_grid_out_of_bounds(grid: int) -> None:
    with pytest.raises(ValueError, match="grid"):
        occlusion_map(Image.new("RGB", (64, 64)), "imagenet-mobilenetv2", grid=grid)
