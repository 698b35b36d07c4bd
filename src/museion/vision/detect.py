"""Object detection with YOLOX: boxes in the original picture's pixels."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import cache

import numpy as np

from museion.vision.catalog import DEFAULT_DETECTOR, ModelSpec
from museion.vision.images import ImageSource, Photo, open_photo
from museion.vision.preprocess import prepare
from museion.vision.runtime import load_model_for

STRIDES = (8, 16, 32)
MAX_DETECTIONS = 100


@dataclass(frozen=True)
class Detection:
    label: str
    index: int
    score: float
    box: tuple[float, float, float, float]  # x0, y0, x1, y1

    def to_dict(self) -> dict:
        data = asdict(self)
        data["box"] = list(self.box)
        return data


def detect(
    image: ImageSource | Photo,
    model: str | ModelSpec = DEFAULT_DETECTOR,
    threshold: float = 0.3,
    iou: float = 0.45,
) -> list[Detection]:
    """Objects found in `image` scoring at least `threshold`, best first."""
    loaded = load_model_for("detect", model)
    spec = loaded.spec
    photo = image if isinstance(image, Photo) else open_photo(image, target_size=spec.input.decode_size)
    prepared = prepare(photo.image, spec.input)
    (raw,) = loaded.run([spec.output], prepared.tensor[None])
    boxes, scores, classes = decode_yolox(raw[0], spec.input.size, threshold)
    keep = nms(boxes, scores, classes, iou)[:MAX_DETECTIONS]
    # From model input pixels to decoded pixels, then to stored pixels.
    boxes = boxes[keep] / prepared.ratio * photo.scale
    boxes = np.clip(boxes, 0, [photo.width, photo.height, photo.width, photo.height])
    return [
        Detection(spec.label(int(c)), int(c), round(float(s), 4), tuple(round(float(v), 1) for v in b))
        for b, s, c in zip(boxes, scores[keep], classes[keep], strict=True)
    ]


@cache
def _grid(size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    grids, strides = [], []
    for stride in STRIDES:
        cols, rows = size[0] // stride, size[1] // stride
        xs, ys = np.meshgrid(np.arange(cols), np.arange(rows))
        grids.append(np.stack((xs, ys), axis=-1).reshape(-1, 2))
        strides.append(np.full((rows * cols, 1), stride))
    return np.concatenate(grids).astype(np.float32), np.concatenate(strides).astype(np.float32)


def decode_yolox(
    raw: np.ndarray, size: tuple[int, int], threshold: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidate boxes (x0, y0, x1, y1 in input pixels), scores and classes above `threshold`."""
    grid, stride = _grid(size)
    if len(raw) != len(grid):
        raise ValueError(f"expected {len(grid)} YOLOX rows for {size}, got {len(raw)}")
    centre = (raw[:, :2] + grid) * stride
    extent = np.exp(np.clip(raw[:, 2:4], -10, 10)) * stride
    corners = np.concatenate((centre - extent / 2, centre + extent / 2), axis=1)
    scores = raw[:, 4:5] * raw[:, 5:]
    rows, classes = np.nonzero(scores >= threshold)
    return corners[rows], scores[rows, classes], classes


def nms(boxes: np.ndarray, scores: np.ndarray, classes: np.ndarray, iou: float) -> np.ndarray:
    """Indices kept by per-class non-maximum suppression, best score first."""
    if len(boxes) == 0:
        return np.zeros(0, dtype=np.int64)
    # Shifting each class far apart lets one pass suppress within classes only.
    shifted = boxes + (classes[:, None] * (boxes.max() + 1.0))
    areas = (shifted[:, 2] - shifted[:, 0]) * (shifted[:, 3] - shifted[:, 1])
    order = np.argsort(-scores, kind="stable")
    keep = []
    while order.size:
        best, rest = order[0], order[1:]
        keep.append(best)
        lo = np.maximum(shifted[best, :2], shifted[rest, :2])
        hi = np.minimum(shifted[best, 2:], shifted[rest, 2:])
        inter = np.prod(np.clip(hi - lo, 0, None), axis=1)
        overlap = inter / (areas[best] + areas[rest] - inter + 1e-9)
        order = rest[overlap <= iou]
    return np.asarray(keep, dtype=np.int64)
