"""From an RGB picture to the tensor a model expects, as its InputSpec describes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from museion.vision.catalog import InputSpec


@dataclass(frozen=True)
class Prepared:
    """A model input and what is needed to map outputs back onto the original picture."""

    tensor: np.ndarray  # float32 [3, H, W]
    ratio: float  # model pixels per original pixel (letterbox)
    width: int  # of the picture given
    height: int


def fit(image: Image.Image, spec: InputSpec) -> tuple[Image.Image, float]:
    """Resize (and crop or pad) `image` to the model's input size."""
    width, height = spec.size
    if spec.resize == "stretch":
        return image.resize((width, height), Image.Resampling.BILINEAR), width / image.width
    if spec.resize == "letterbox":
        ratio = min(width / image.width, height / image.height)
        inner = (max(1, round(image.width * ratio)), max(1, round(image.height * ratio)))
        canvas = Image.new("RGB", (width, height), (spec.pad_value,) * 3)
        canvas.paste(image.resize(inner, Image.Resampling.BILINEAR), (0, 0))
        return canvas, ratio
    short = spec.resize_short or min(width, height)
    ratio = short / min(image.width, image.height)
    resized = image.resize(
        (max(width, round(image.width * ratio)), max(height, round(image.height * ratio))),
        Image.Resampling.BILINEAR,
    )
    left, top = (resized.width - width) // 2, (resized.height - height) // 2
    return resized.crop((left, top, left + width, top + height)), ratio


def to_tensor(image: Image.Image, spec: InputSpec) -> np.ndarray:
    pixels = np.asarray(image, dtype=np.float32)
    if spec.color == "BGR":
        pixels = pixels[..., ::-1]
    pixels = pixels * np.float32(spec.scale)
    pixels = (pixels - np.asarray(spec.mean, np.float32)) / np.asarray(spec.std, np.float32)
    return np.ascontiguousarray(pixels.transpose(2, 0, 1))


def prepare(image: Image.Image, spec: InputSpec) -> Prepared:
    fitted, ratio = fit(image, spec)
    return Prepared(to_tensor(fitted, spec), ratio, image.width, image.height)
