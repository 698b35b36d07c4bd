"""Image classification: labels with probabilities."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from museion.vision.catalog import DEFAULT_CLASSIFIER, ModelSpec
from museion.vision.images import ImageSource, open_photo
from museion.vision.preprocess import prepare
from museion.vision.runtime import Model, load_model_for


@dataclass(frozen=True)
class Prediction:
    label: str
    index: int
    score: float

    def to_dict(self) -> dict:
        return asdict(self)


def classify(
    image: ImageSource, model: str | ModelSpec = DEFAULT_CLASSIFIER, top_k: int = 5
) -> list[Prediction]:
    """The `top_k` most likely labels for `image`, most likely first."""
    return classify_batch([image], model, top_k)[0]


def classify_batch(
    images: Sequence[ImageSource], model: str | ModelSpec = DEFAULT_CLASSIFIER, top_k: int = 5
) -> list[list[Prediction]]:
    loaded = load_model_for("classify", model)
    spec = loaded.spec
    tensors = [
        prepare(open_photo(image, target_size=spec.input.decode_size).image, spec.input).tensor
        for image in images
    ]
    if not tensors:
        return []
    return [top(p, spec, top_k) for p in probabilities(loaded, np.stack(tensors))]


def probabilities(model: Model, batch: np.ndarray) -> np.ndarray:
    """Class probabilities, float64 [N, C], each row summing to 1."""
    spec = model.spec
    if spec.input.batch:
        (raw,) = model.run([spec.output], batch)
    else:
        raw = np.concatenate([model.run([spec.output], batch[i : i + 1])[0] for i in range(len(batch))])
    raw = raw.reshape(len(batch), -1).astype(np.float64)
    if spec.output_kind == "logits":
        raw = np.exp(raw - raw.max(axis=1, keepdims=True))
    return raw / np.maximum(raw.sum(axis=1, keepdims=True), np.finfo(np.float64).tiny)


def top(probs: np.ndarray, spec: ModelSpec, k: int) -> list[Prediction]:
    k = max(1, min(k, len(probs)))
    # A stable sort keeps ties in class order, so results never flicker.
    order = np.argsort(-probs, kind="stable")[:k]
    return [Prediction(spec.label(int(i)), int(i), float(probs[i])) for i in order]
