"""The Museion vision core: images in, labels, boxes and embeddings out.

Usable without Django:

    >>> from museion.vision import classify, detect
    >>> classify("cat.jpg")[0].label
    'Egyptian cat'
"""

from __future__ import annotations

from museion.vision.catalog import (
    BUILTIN,
    DEFAULT_CLASSIFIER,
    DEFAULT_DETECTOR,
    Catalog,
    EmbeddingSpec,
    InputSpec,
    ModelSpec,
)
from museion.vision.classify import Prediction, classify, classify_batch
from museion.vision.detect import Detection, detect
from museion.vision.draw import draw
from museion.vision.embed import embed
from museion.vision.errors import (
    CorruptImage,
    EmptyImage,
    ImageError,
    ImageTooLarge,
    InvalidModel,
    ModelError,
    ModelUnavailable,
    NotAnImage,
    UnknownModel,
    UnsupportedFormat,
    VisionError,
    WrongTask,
)
from museion.vision.fetch import ModelFile
from museion.vision.images import Photo, load_image, open_photo
from museion.vision.runtime import load_model

__all__ = [
    "BUILTIN",
    "DEFAULT_CLASSIFIER",
    "DEFAULT_DETECTOR",
    "Catalog",
    "CorruptImage",
    "Detection",
    "EmbeddingSpec",
    "EmptyImage",
    "ImageError",
    "ImageTooLarge",
    "InputSpec",
    "InvalidModel",
    "ModelError",
    "ModelFile",
    "ModelSpec",
    "ModelUnavailable",
    "NotAnImage",
    "Photo",
    "Prediction",
    "UnknownModel",
    "UnsupportedFormat",
    "VisionError",
    "WrongTask",
    "classify",
    "classify_batch",
    "detect",
    "draw",
    "embed",
    "load_image",
    "load_model",
    "open_photo",
]
