"""From an RGB picture to the tensor a model expects, as its InputSpec describes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from museion.vision.catalog import InputSpec

# Pictures whose scaled copy is at most this many times the model's input (panoramas up to
# about 12:1) are scaled whole, then cropped: to the pixel what the model was checked with
# (the int8 MobileNetV2 moved by several points on one-level differences).
MAX_SCALED_AREA = 16


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
    scaled = (max(width, round(image.width * ratio)), max(height, round(image.height * ratio)))
    left, top = (scaled[0] - width) // 2, (scaled[1] - height) // 2
    if scaled[0] * scaled[1] <= MAX_SCALED_AREA * width * height:
        resized = image.resize(scaled, Image.Resampling.BILINEAR)
        return resized.crop((left, top, left + width, top + height)), ratio
    # A thin picture: scaled whole, a 1x20000 one would be 256x5120000 pixels (5 GB) before
    # its centre is cut out. Resizing only the box of the centre samples the same pixels
    # (give or take a rounding), so the work is bounded by the output size.
    x, y = image.width / scaled[0], image.height / scaled[1]  # picture pixels per scaled pixel
    box = (left * x, top * y, (left + width) * x, (top + height) * y)
    return image.resize((width, height), Image.Resampling.BILINEAR, box=box), ratio


def fitted_region(width: int, height: int, spec: InputSpec) -> tuple[float, float, float, float]:
    """The part of a `width` x `height` picture that `fit` shows the model, in the picture's pixels
    (x0, y0, x1, y1): all of it when stretched, its centre when cropped; a letterboxed picture's
    region runs past its right or bottom edge over the padding."""
    size_w, size_h = spec.size
    if spec.resize == "stretch":
        return (0.0, 0.0, float(width), float(height))
    if spec.resize == "letterbox":
        ratio = min(size_w / width, size_h / height)
        return (0.0, 0.0, size_w / ratio, size_h / ratio)
    short = spec.resize_short or min(size_w, size_h)
    ratio = short / min(width, height)
    scaled = (max(size_w, round(width * ratio)), max(size_h, round(height * ratio)))
    left, top = (scaled[0] - size_w) // 2, (scaled[1] - size_h) // 2
    x, y = width / scaled[0], height / scaled[1]
    return (left * x, top * y, (left + size_w) * x, (top + size_h) * y)


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
