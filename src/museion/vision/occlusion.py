"""Occlusion sensitivity: how a classifier's confidence in one label changes when each cell of a
grid over the picture is greyed out in turn. Cells whose loss lowers the score most are where
the model looks.

The work is bounded: a `grid` x `grid` map costs grid² + 1 classifications, run as one batch
(50 for the usual 7 x 7, about as much as 50 predictions).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from museion.vision.catalog import DEFAULT_CLASSIFIER, ModelSpec
from museion.vision.classify import probabilities
from museion.vision.preprocess import fit, fitted_region, to_tensor
from museion.vision.runtime import load_model_for

GRID_MIN, GRID_MAX = 2, 8
# Zero in the normalised tensor is the training set's mean colour: a neutral grey patch.
GREY = 0.0


@dataclass(frozen=True)
class OcclusionMap:
    index: int  # the label whose score is followed
    score: float  # its score on the whole picture
    grid: int
    region: tuple[float, float, float, float]  # what the model sees, in the picture's pixels
    scores: list[list[float]]  # [row][column]: the label's score with that cell greyed

    def to_dict(self) -> dict:
        return {
            "index": self.index, "score": self.score, "grid": self.grid,
            "region": list(self.region), "scores": self.scores,
        }  # fmt: skip


def occlusion_map(
    image: Image.Image, model: str | ModelSpec = DEFAULT_CLASSIFIER, grid: int = 7, index: int | None = None
) -> OcclusionMap:
    """The map for label `index` (the picture's most likely label when None)."""
    if not GRID_MIN <= grid <= GRID_MAX:
        raise ValueError(f"grid must be {GRID_MIN} to {GRID_MAX}, not {grid}")
    loaded = load_model_for("classify", model)
    spec = loaded.spec
    picture = image.convert("RGB")
    probs = probabilities(loaded, greyed_copies(to_tensor(fit(picture, spec.input)[0], spec.input), grid))
    target = int(np.argmax(probs[0])) if index is None else index
    if not 0 <= target < probs.shape[1]:
        raise ValueError(f"the model has no label {target}")
    cells = probs[1:, target].reshape(grid, grid)
    region = fitted_region(picture.width, picture.height, spec.input)
    return OcclusionMap(target, float(probs[0, target]), grid, region, cells.tolist())


def greyed_copies(tensor: np.ndarray, grid: int) -> np.ndarray:
    """[grid² + 1, C, H, W]: the tensor itself, then one copy per cell (row by row) with it greyed."""
    _, height, width = tensor.shape
    batch = np.repeat(tensor[None], grid * grid + 1, axis=0)
    for cell in range(grid * grid):
        row, col = divmod(cell, grid)
        rows = slice(row * height // grid, (row + 1) * height // grid)
        cols = slice(col * width // grid, (col + 1) * width // grid)
        batch[cell + 1, :, rows, cols] = GREY
    return batch
