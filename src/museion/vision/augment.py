"""Turning a clean photo of an object into what a visitor's phone might see.

A visitor stands further away, closer (part of the work out of the picture)
or off to the side, the room is darker or warmer, the phone shakes, a lamp
glares on the varnish, someone walks in front. Each `visitor_view` applies a
random mix of these, so a head trained on the results recognises the work in
the room, not only in the clip.
"""

from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter


def visitor_views(image: Image.Image, count: int, seed: int) -> list[Image.Image]:
    """`count` random visitor-like views of `image`, the same for the same seed."""
    rng = np.random.default_rng(seed)
    # Shrunk once, not once a view: shrinking a 720p frame was a fifth of a training's time.
    small = small_copy(image)
    return [visitor_view(small, rng) for _ in range(count)]


VIEW_SIDE = 320  # a view's longest side: the embedding sees 224 px of it


def small_copy(image: Image.Image) -> Image.Image:
    view = image.convert("RGB")
    view.thumbnail((VIEW_SIDE, VIEW_SIDE), Image.Resampling.BILINEAR)
    return view


def visitor_view(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """One random visitor-like view of `image` (shrunk to VIEW_SIDE first if it is larger)."""
    view = image if image.mode == "RGB" and max(image.size) <= VIEW_SIDE else small_copy(image)
    if rng.random() < PARTIAL:
        view = cut_off(view, rng)
    if rng.random() < 0.7:
        view = tilt(view, rng)
    if rng.random() < 0.7:
        view = step_back(view, rng)
    view = relight(view, rng)
    if rng.random() < 0.5:
        view = view.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.5, 2.5))))
    if rng.random() < 0.3:
        view = glare(view, rng)
    if rng.random() < 0.3:
        view = occlude(view, rng)
    return view


# A share of the views cut off on one side, as a visitor standing close or aiming aside shoots a
# work: the walk-around's frames always show all of it.
PARTIAL = 0.25


def cut_off(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Too close, or aimed to one side: a side of the picture (a quarter to two fifths) left out."""
    w, h = image.size
    keep = float(rng.uniform(0.6, 0.75))
    side = int(rng.integers(4))
    if side == 0:
        box = (0, 0, round(w * keep), h)
    elif side == 1:
        box = (round(w * (1 - keep)), 0, w, h)
    elif side == 2:
        box = (0, 0, w, round(h * keep))
    else:
        box = (0, round(h * (1 - keep)), w, h)
    return image.crop(box)


def tilt(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Seen from off to the side and with the phone turned a little."""
    w, h = image.size
    dx, dy = w * rng.uniform(0, 0.12, 4), h * rng.uniform(0, 0.12, 4)
    # PIL's QUAD takes the source corners as upper-left, lower-left, lower-right, upper-right.
    corners = [(dx[0], dy[0]), (dx[3], h - dy[3]), (w - dx[2], h - dy[2]), (w - dx[1], dy[1])]
    warped = image.transform(image.size, Image.Transform.QUAD, _flat(corners), Image.Resampling.BILINEAR)
    return warped.rotate(float(rng.uniform(-12, 12)), Image.Resampling.BILINEAR, fillcolor=_wall(rng))


def step_back(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """The object smaller, somewhere on a wall-like background."""
    scale = rng.uniform(0.35, 0.85)
    w, h = image.size
    small = image.resize((max(1, int(w * scale)), max(1, int(h * scale))), Image.Resampling.BILINEAR)
    canvas = _background((w, h), rng)
    x, y = int(rng.uniform(0, w - small.width + 1)), int(rng.uniform(0, h - small.height + 1))
    canvas.paste(small, (x, y))
    return canvas


# A share of the views taken in a dark room, where a phone's exposure falls short and its sensor's
# noise shows: before, the darkest view was 0.55 of the frame's brightness.
DARK_ROOM = 0.2


def relight(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Brighter or darker (now and then a dark room), more or less contrast, warmer or cooler light."""
    dark = rng.random() < DARK_ROOM
    brightness = rng.uniform(0.18, 0.45) if dark else rng.uniform(0.55, 1.35)
    image = ImageEnhance.Brightness(image).enhance(float(brightness))
    image = ImageEnhance.Contrast(image).enhance(float(rng.uniform(0.7, 1.25)))
    warmth = rng.uniform(-0.15, 0.15)
    pixels = np.asarray(image, np.float32) * np.array([1 + warmth, 1, 1 - warmth], np.float32)
    if dark:
        pixels += rng.normal(0, rng.uniform(3, 10), pixels.shape).astype(np.float32)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def glare(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A soft white highlight, as a lamp reflected on glass or varnish."""
    w, h = image.size
    cx, cy, radius = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0.15, 0.4) * min(w, h)
    ys, xs = np.mgrid[0:h, 0:w]
    falloff = np.clip(1 - np.hypot(xs - cx, ys - cy) / radius, 0, 1) ** 2 * rng.uniform(0.5, 0.9)
    pixels = np.asarray(image, np.float32)
    pixels = pixels + (255 - pixels) * falloff[..., None]
    return Image.fromarray(pixels.astype(np.uint8))


def occlude(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Someone's head or shoulder in front of part of the work."""
    image = image.copy()
    w, h = image.size
    bw, bh = rng.uniform(0.2, 0.4) * w, rng.uniform(0.3, 0.6) * h
    x = rng.choice([rng.uniform(-bw / 2, w * 0.2), rng.uniform(w * 0.6, w - bw / 2)])
    y = rng.uniform(h * 0.4, h - bh / 3)
    shade = tuple(int(v) for v in rng.integers(10, 90, 3))
    ImageDraw.Draw(image).ellipse((x, y, x + bw, y + bh * 2), fill=shade)
    return image


def _background(size: tuple[int, int], rng: np.random.Generator) -> Image.Image:
    top, bottom = rng.integers(60, 235, 3), rng.integers(60, 235, 3)
    ramp = np.linspace(0, 1, size[1], dtype=np.float32)[:, None, None]
    pixels = top * (1 - ramp) + bottom * ramp + rng.normal(0, 6, (size[1], 1, 3))
    return Image.fromarray(np.clip(np.broadcast_to(pixels, (size[1], size[0], 3)), 0, 255).astype(np.uint8))


def _wall(rng: np.random.Generator) -> tuple[int, int, int]:
    return tuple(int(v) for v in rng.integers(60, 235, 3))  # type: ignore[return-value]


def _flat(points: list[tuple[float, float]]) -> tuple[float, ...]:
    return tuple(v for point in points for v in point)


# What a visitor's photo of a work looks like, named: the recognizer's calibration photos get one each,
# so its figures can be read per condition, as a gallery would meet them.
PHOTO_CONDITIONS = ("angle", "far", "near", "dim", "bright", "warm", "cool", "blur", "glare", "person")


def phone_photo(image: Image.Image, seed: int) -> tuple[Image.Image, str]:
    """A phone photo of the work in `image`, at phone resolution, and the condition it was taken in.

    Unlike `visitor_view` (small views for the embedding gallery), it keeps the detail that
    keypoints need: off-axis and at another distance by a homography, then one named condition,
    sensor noise and JPEG.
    """
    rng = np.random.default_rng(seed)
    condition = PHOTO_CONDITIONS[int(rng.integers(len(PHOTO_CONDITIONS)))]
    view = image.convert("RGB")
    view.thumbnail((960, 960), Image.Resampling.BILINEAR)
    view = _camera(
        view, rng, strong=condition == "angle", scale={"far": 0.6, "near": 1.3}.get(condition, 1.0)
    )
    view = _condition(view, condition, rng)
    pixels = np.asarray(view, np.float32) + rng.normal(0, 3, (view.height, view.width, 3))
    view = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    buffer = io.BytesIO()
    view.save(buffer, "JPEG", quality=int(rng.integers(55, 90)))
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"), condition


def _camera(image: Image.Image, rng: np.random.Generator, strong: bool, scale: float) -> Image.Image:
    """Another viewpoint: the corners moved (a yaw of up to ~40 degrees when `strong`), then zoomed."""
    w, h = image.size
    corners = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    moved = corners + np.float32(rng.uniform(-0.06, 0.06, (4, 2)) * [w, h])
    if strong:  # one side further away: it looks shorter
        side = float(rng.uniform(0.12, 0.25)) * h
        far = [0, 3] if rng.random() < 0.5 else [1, 2]
        moved[far[0], 1] += side
        moved[far[1], 1] -= side
    zoom = scale * float(rng.uniform(0.9, 1.1))
    shift = np.array([[zoom, 0, (1 - zoom) * w / 2], [0, zoom, (1 - zoom) * h / 2], [0, 0, 1]])
    matrix = shift @ cv2.getPerspectiveTransform(corners, moved)
    wall = [float(v) for v in rng.integers(60, 200, 3)]
    warped = cv2.warpPerspective(np.asarray(image), matrix, (w, h), borderValue=wall)
    return Image.fromarray(warped)


def _condition(image: Image.Image, condition: str, rng: np.random.Generator) -> Image.Image:
    if condition == "dim":
        return ImageEnhance.Brightness(image).enhance(float(rng.uniform(0.3, 0.5)))
    if condition == "bright":
        return ImageEnhance.Brightness(image).enhance(float(rng.uniform(1.3, 1.6)))
    if condition in ("warm", "cool"):
        tint = np.array([1.15, 1.0, 0.75] if condition == "warm" else [0.85, 0.95, 1.15], np.float32)
        return Image.fromarray(np.clip(np.asarray(image, np.float32) * tint, 0, 255).astype(np.uint8))
    if condition == "blur":
        return image.filter(ImageFilter.GaussianBlur(float(rng.uniform(1.5, 3.0))))
    if condition == "glare":
        return glare(image, rng)
    if condition == "person":
        return occlude(image, rng)
    return image
