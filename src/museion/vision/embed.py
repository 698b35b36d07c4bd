"""Embeddings: one L2-normalised feature vector per picture."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from museion.vision.catalog import DEFAULT_CLASSIFIER, InputSpec, ModelSpec
from museion.vision.images import ImageSource, open_photo
from museion.vision.preprocess import prepare
from museion.vision.runtime import EMBEDDING_OUTPUT, Model, load_model_for

# Small batches: per picture they cost the same on a CPU, and MobileNetV2's activations for 16
# pictures held 160 MB more in ONNX Runtime's arena than for one.
BATCH_SIZE = 4


def embed(
    images: Iterable[ImageSource],
    model: str | ModelSpec = DEFAULT_CLASSIFIER,
    batch_size: int = BATCH_SIZE,
    input: InputSpec | None = None,
) -> np.ndarray:
    """Embeddings of `images`, float32 [N, D], each row of unit length.

    `input` overrides how pictures are resized and cropped (not the tensor
    layout), for recognizers that frame pictures differently from the backbone.
    """
    loaded = load_model_for("embed", model)
    spec = input or loaded.spec.input
    rows: list[np.ndarray] = []
    pending: list[np.ndarray] = []
    for image in images:
        photo = open_photo(image, target_size=spec.decode_size)
        pending.append(prepare(photo.image, spec).tensor)
        if len(pending) == batch_size:
            rows.append(embed_tensors(loaded, np.stack(pending)))
            pending = []
    if pending:
        rows.append(embed_tensors(loaded, np.stack(pending)))
    if not rows:
        return np.zeros((0, 0), dtype=np.float32)
    return np.concatenate(rows)


def embed_tensors(model: Model, batch: np.ndarray) -> np.ndarray:
    """Embeddings of already prepared input tensors [N, 3, H, W]."""
    spec = model.spec
    output = EMBEDDING_OUTPUT if spec.embedding else spec.output
    if spec.input.batch:
        (raw,) = model.run([output], batch)
    else:
        raw = np.concatenate([model.run([output], batch[i : i + 1])[0] for i in range(len(batch))])
    vectors = raw.reshape(len(batch), -1).astype(np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, np.float32(1e-12))
