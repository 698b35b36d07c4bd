"""A synthetic museum collection as hard as a real one, for benchmarking album recognizers (issue 12).

What it makes, seeded (the same seed and options give the same files):

- Artists in style families. An artist's works share its palette, its shapes (bars, discs,
  triangles, blobs, grids, strokes), its canvas format and its paint texture, and differ only in
  composition (where the shapes are, how big, which colour goes where, where the ground splits).
  Artists of one family share the base hue and the shapes as well, so they look alike too.
- One walk-around clip per work: the work in its frame on a gallery wall with a label plaque,
  filmed 8 s by a curator walking past (yaw sweeping about +-20 degrees, a slow zoom of about 10%,
  hand-held pitch and roll), 1280x720 H.264 in mp4 through PyAV.
- Visitors' photos, each with one named condition on top of an ordinary phone photo (another
  distance, a little off-axis, sensor noise, JPEG): standard, far, angle (perspective 25-40
  degrees), partial (a third of the work out of the picture), dim, bright, tungsten, cool,
  glare (streaks), reflection (another work on the glass), motion_blur, focus_blur, person (a
  head and shoulder in front), jpeg (low quality, downscaled).
- Unknowns: photos of works by artists left out of the album (same style families, one left-out
  artist per four album artists, at least one) and unrelated photos (the pictures of
  `MUSEION_SHARED/images`, as a visitor would snap them).

Layout under OUT:

    album/<work>/clip.mp4, album/<work>/info.json   a `museion train` DATASET_DIR
    visitors/NNNN.jpg, visitors/manifest.json       [{"file", "work" (or null), "condition", "kind", ...}]
    collection.json                                 the artists, their families and works, the options

Clips are filmed at 30 fps by default, as phones film (the trainer samples 2 fps, but it decodes
every frame, so the frame rate counts in the training time); `--clip-fps 10` makes them three times
faster to write for a quick look. Visitors' photos are 1280x960 (or portrait), a phone photo after
the upload page has shrunk it. Needs opencv-python-headless (`pip install opencv-python-headless`):
the camera is a homography applied with cv2.warpPerspective, ten times faster than Pillow's.

    .venv/bin/python benchmarks/hardset.py var/hardset/w12-s0 --works 12 --seed 0
    .venv/bin/python benchmarks/hardset.py var/hardset/w40-s1 --works 40 --seed 1

Writing a 30 fps clip costs about 6 s of CPU (the warp of 240 frames and libx264), so 12 works
took 2-3 minutes here and 40 works about 10 on a loaded 2-core machine; 200 works take most of an
hour. `--clip-fps 2` writes only the frames the trainer keeps (16 per clip, the same camera path),
about ten times faster: the accuracy figures are those of a 30 fps clip, but the training time
then lacks the decoding of the other 224 frames, so use 30 fps for timing.
"""

from __future__ import annotations

import argparse
import colorsys
import io
import json
import math
import os
import sys
import time
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFilter

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MUSEION_SHARED", REPO.parent / "shared"))
WORKS_PER_ARTIST = 4
ARTISTS_PER_FAMILY = 3
MOTIFS = ("bars", "discs", "triangles", "blobs", "grid", "strokes")
FORMATS = (4 / 5, 3 / 4, 1.0, 4 / 3, 5 / 4)  # canvas width / height
WALLS = ((232, 228, 218), (200, 200, 196), (120, 40, 45), (40, 55, 80), (120, 135, 115), (62, 62, 64))
FRAMES = ((170, 140, 70), (25, 25, 25), (110, 75, 45), (235, 235, 230))
CONDITIONS = (
    "standard", "far", "angle", "partial", "dim", "bright", "tungsten", "cool",
    "glare", "reflection", "motion_blur", "focus_blur", "person", "jpeg",
)  # fmt: skip
WORK_SIDE = 800  # pixels of a work's long side in the wall scene
CLIP_SIZE, PHOTO_SIZE = (1280, 720), (1280, 960)


@dataclass
class Style:
    artist: str
    family: int
    palette: list[tuple[int, int, int]]
    motifs: list[str]
    aspect: float
    grain: float
    angle: float  # the artist's favourite direction for bars and strokes, degrees
    shapes: tuple[int, int]  # how many shapes a composition holds, min and max


@dataclass
class Work:
    name: str
    artist: str
    family: int
    known: bool
    title: str


# --- painting ----------------------------------------------------------------------------------------------


def family_styles(count: int, rng: np.random.Generator) -> list[dict]:
    """A family: a base hue, two or three shapes, a canvas format."""
    hues = (rng.random() + np.arange(count) / max(1, count)) % 1.0
    return [
        {
            "hue": float(hue),
            "motifs": [str(m) for m in rng.choice(MOTIFS, size=int(rng.integers(2, 4)), replace=False)],
            "aspect": float(FORMATS[rng.integers(len(FORMATS))]),
        }
        for hue in hues
    ]


def artist_style(name: str, family: int, base: dict, rng: np.random.Generator) -> Style:
    """An artist of `base`'s family: its hue nudged, its own light/dark and saturation range."""
    hue = base["hue"] + rng.uniform(-0.025, 0.025)
    sat, light = rng.uniform(0.35, 0.8), rng.uniform(0.35, 0.6)
    palette = []
    for k in range(5):
        h = (hue + rng.uniform(-0.08, 0.08) + (0.5 if k == 4 else 0.0) * rng.integers(0, 2)) % 1.0
        s = float(np.clip(sat + rng.uniform(-0.25, 0.2), 0.05, 1))
        v = float(np.clip(light + (k - 2) * 0.13 + rng.uniform(-0.05, 0.05), 0.08, 0.95))
        palette.append(tuple(int(c * 255) for c in colorsys.hls_to_rgb(h, v, s)))
    motifs = list(base["motifs"])
    if rng.random() < 0.3:
        motifs.append(str(rng.choice(MOTIFS)))
    lo = int(rng.integers(6, 9))
    return Style(name, family, palette, motifs, base["aspect"], float(rng.uniform(0.05, 0.18)),
                 float(rng.uniform(0, 180)), (lo, lo + int(rng.integers(2, 4))))  # fmt: skip


def paint(style: Style, rng: np.random.Generator) -> Image.Image:
    """One composition in `style`: the ground split somewhere, then shapes, then the paint texture."""
    w, h = (WORK_SIDE, round(WORK_SIDE / style.aspect)) if style.aspect >= 1 else (
        round(WORK_SIDE * style.aspect), WORK_SIDE)  # fmt: skip
    colours = np.array(style.palette, np.float32)
    a, b = rng.choice(len(colours), 2, replace=False)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    theta = math.radians(style.angle + 90 + rng.uniform(-20, 20))
    u = (xs / w - 0.5) * math.cos(theta) + (ys / h - 0.5) * math.sin(theta)
    split = rng.uniform(-0.3, 0.3)
    mix = np.clip((u - split) * rng.uniform(3, 30) + 0.5, 0, 1)[..., None]
    ground = colours[a] * (1 - mix) + colours[b] * mix
    canvas = Image.fromarray(ground.astype(np.uint8)).convert("RGBA")
    for _ in range(int(rng.integers(style.shapes[0], style.shapes[1] + 1))):
        layer = Image.new("RGBA", (w, h), (0, 0, 0, 0))
        motif = str(rng.choice(style.motifs))
        colour = (*style.palette[int(rng.integers(len(style.palette)))], int(rng.integers(190, 256)))
        _shape(ImageDraw.Draw(layer), motif, colour, (w, h), style, rng)
        canvas = Image.alpha_composite(canvas, layer)
    return _texture(canvas.convert("RGB"), style, rng)


def _shape(draw: ImageDraw.ImageDraw, motif: str, colour: tuple, size: tuple[int, int], style: Style,
           rng: np.random.Generator) -> None:  # fmt: skip
    w, h = size
    cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0.05, 0.3) * min(w, h)
    if motif == "discs":
        draw.ellipse((cx - r, cy - r * rng.uniform(0.7, 1.3), cx + r, cy + r), fill=colour)
    elif motif in ("bars", "strokes"):
        angle = math.radians(style.angle + rng.uniform(-20, 20))
        length, width = r * rng.uniform(1.5, 4), r * (rng.uniform(0.2, 0.5) if motif == "bars" else 0.08)
        dx, dy, nx, ny = math.cos(angle), math.sin(angle), -math.sin(angle), math.cos(angle)
        corners = [(cx + s * dx * length + t * nx * width, cy + s * dy * length + t * ny * width)
                   for s, t in ((-1, -1), (1, -1), (1, 1), (-1, 1))]  # fmt: skip
        draw.polygon(corners, fill=colour)
    elif motif == "triangles":
        base = rng.uniform(0, 2 * math.pi)
        draw.polygon([(cx + r * math.cos(base + k * 2.1 + rng.uniform(-0.3, 0.3)),
                       cy + r * math.sin(base + k * 2.1 + rng.uniform(-0.3, 0.3))) for k in range(3)],
                     fill=colour)  # fmt: skip
    elif motif == "blobs":
        n = int(rng.integers(7, 12))
        radii = r * rng.uniform(0.6, 1.2, n)
        turns = 2 * math.pi * np.arange(n) / n
        draw.polygon([(cx + radii[k] * math.cos(turns[k]), cy + radii[k] * math.sin(turns[k]))
                      for k in range(n)], fill=colour)  # fmt: skip
    else:  # a grid of small squares
        cells, step = int(rng.integers(2, 5)), r / 2
        for i in range(cells):
            for j in range(cells):
                if rng.random() < 0.75:
                    x, y = cx + i * step * 1.3, cy + j * step * 1.3
                    draw.rectangle((x, y, x + step, y + step), fill=colour)


def _texture(image: Image.Image, style: Style, rng: np.random.Generator) -> Image.Image:
    """Brush marks (low-frequency streaks along the artist's direction) and canvas grain."""
    w, h = image.size
    small = rng.standard_normal((max(2, h // 48), max(2, w // 8))).astype(np.float32)
    streaks = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    rot = cv2.getRotationMatrix2D((w / 2, h / 2), style.angle, 1.0)
    streaks = cv2.warpAffine(streaks, rot, (w, h), borderMode=cv2.BORDER_REFLECT)
    grain = rng.standard_normal((h, w)).astype(np.float32) * 0.03
    pixels = np.asarray(image, np.float32) * (1 + style.grain * streaks + grain)[..., None]
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.8))


# --- the wall and the camera -------------------------------------------------------------------------------


def wall_scene(
    work: Image.Image, rng: np.random.Generator
) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """The work in its frame on a wall with a label plaque; returns the scene and the work's box in it."""
    border = int(rng.uniform(0.04, 0.07) * max(work.size))
    fw, fh = work.width + 2 * border, work.height + 2 * border
    sw, sh = int(fw * 3.2), int(fh * 2.4)
    colour = np.array(WALLS[rng.integers(len(WALLS))], np.float32) + rng.uniform(-10, 10, 3).astype(
        np.float32
    )
    ys, xs = np.ogrid[0 : sh // 8, 0 : sw // 8]
    spot = np.hypot(xs - rng.uniform(0.3, 0.7) * sw / 8, ys + 0.2 * sh / 8) / math.hypot(sw / 8, sh / 8)
    light = cv2.resize((1.15 - 0.55 * spot).astype(np.float32), (sw, sh), interpolation=cv2.INTER_LINEAR)
    scene = np.clip(colour * light[..., None], 0, 255).astype(np.uint8)
    x0, y0 = (sw - fw) // 2, (sh - fh) // 2
    frame = np.array(FRAMES[rng.integers(len(FRAMES))], np.uint8)
    shadow = max(3, border // 2)
    scene[y0 + shadow : y0 + fh + shadow, x0 + shadow : x0 + fw + shadow] //= 2  # the frame's shadow
    scene[y0 : y0 + fh, x0 : x0 + fw] = frame
    inner = max(2, border // 5)
    scene[y0 + border - inner : y0 + fh - border + inner, x0 + border - inner : x0 + fw - border + inner] = (
        np.minimum(frame.astype(int) + 50, 255).astype(np.uint8)  # the bevel
    )
    scene[y0 + border : y0 + border + work.height, x0 + border : x0 + border + work.width] = np.asarray(work)
    px, py = x0 + fw + border * 2, y0 + fh - fh // 6
    scene[py : py + fh // 12, px : px + fw // 6] = (238, 236, 230)  # the label plaque
    for line in range(3):
        ly = py + fh // 60 + line * fh // 45
        scene[ly : ly + 3, px + fw // 50 : px + fw // 6 - fw // 30] = (60, 60, 60)
    box = (x0 + border, y0 + border, float(work.width), float(work.height))
    return scene, box


def homography(box: tuple[float, float, float, float], out: tuple[int, int], fill: float, yaw: float,
               pitch: float, roll: float, aim: tuple[float, float] = (0.0, 0.0),
               hfov: float = 64.0) -> np.ndarray:  # fmt: skip
    """Wall (scene pixels, z=0) to photo pixels, for a camera orbiting the work's centre.

    `fill`: the work's size in the photo against the photo's size (seen straight on); `yaw`
    and `pitch` where the camera stands, `roll` how askew it is held (degrees); `aim` shifts
    where it points, in the work's widths and heights.
    """
    x, y, w, h = box
    width, height = out
    f = width / (2 * math.tan(math.radians(hfov) / 2))
    distance = f * max(w / width, h / height) / fill
    centre = np.array([x + w / 2, y + h / 2, 0.0])
    target = centre + np.array([aim[0] * w, aim[1] * h, 0.0])
    ya, pa = math.radians(yaw), math.radians(pitch)
    camera = centre + distance * np.array(
        [math.sin(ya) * math.cos(pa), -math.sin(pa), -math.cos(ya) * math.cos(pa)]
    )
    forward = (target - camera) / np.linalg.norm(target - camera)
    right = np.cross([0.0, 1.0, 0.0], forward)
    right /= np.linalg.norm(right)
    down = np.cross(forward, right)
    r = math.radians(roll)
    spin = np.array([[math.cos(r), -math.sin(r), 0], [math.sin(r), math.cos(r), 0], [0, 0, 1]])
    rotation = spin @ np.stack([right, down, forward])
    t = -rotation @ camera
    k = np.array([[f, 0, width / 2], [0, f, height / 2], [0, 0, 1]])
    return k @ np.column_stack([rotation[:, 0], rotation[:, 1], t])


def shoot(scene: np.ndarray, matrix: np.ndarray, out: tuple[int, int]) -> np.ndarray:
    return cv2.warpPerspective(scene, matrix, out, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


# --- clips -------------------------------------------------------------------------------------------------


def render_clip(
    scene: np.ndarray, box: tuple, path: Path, seconds: float, fps: int, rng: np.random.Generator
) -> None:
    """A curator walking past the work: yaw sweeps, the zoom breathes, the hand sways."""
    frames = int(seconds * fps)
    sweep, start_fill = rng.uniform(12, 22), rng.uniform(0.55, 0.75)
    zoom = rng.uniform(-0.1, 0.1)
    phases = rng.uniform(0, 2 * math.pi, 3)
    with av.open(str(path), mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps, options={"preset": "veryfast", "crf": "23"})
        stream.width, stream.height, stream.pix_fmt = *CLIP_SIZE, "yuv420p"
        stream.time_base = Fraction(1, fps)
        for i in range(frames):
            t = i / max(1, frames - 1)
            matrix = homography(
                box, CLIP_SIZE, start_fill * (1 + zoom * t), yaw=sweep * (2 * t - 1),
                pitch=3 * math.sin(2 * math.pi * 0.3 * t * seconds / 8 + phases[0]),
                roll=1.5 * math.sin(2 * math.pi * 0.5 * t * seconds / 8 + phases[1]),
                aim=(0.04 * math.sin(2 * math.pi * t + phases[2]), 0.0),
            )  # fmt: skip
            frame = av.VideoFrame.from_ndarray(shoot(scene, matrix, CLIP_SIZE), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


# --- visitors' photos --------------------------------------------------------------------------------------


def visitor_photo(scene: np.ndarray, box: tuple, condition: str, rng: np.random.Generator,
                  other: np.ndarray | None = None) -> tuple[bytes, dict]:  # fmt: skip
    """An ordinary phone photo of the work, with `condition` on top; returns JPEG bytes and what was done."""
    size, fill, yaw, pitch, roll, aim = _camera(box, condition, rng)
    photo = shoot(scene, homography(box, size, fill, yaw, pitch, roll, aim), size).astype(np.float32)
    gains, exposure, iso = _light(condition, rng)
    photo = _effects(photo * exposure * gains, condition, rng, other)
    photo = photo + rng.standard_normal(photo.shape).astype(np.float32) * iso
    if condition == "dim":
        photo = cv2.GaussianBlur(photo, (0, 0), 1.5)  # the phone's denoiser smears a dark photo
    image = Image.fromarray(np.clip(photo, 0, 255).astype(np.uint8))
    quality = int(rng.integers(70, 93))
    if condition == "jpeg":
        quality = int(rng.integers(12, 30))
        image = image.resize((image.width // 2, image.height // 2), Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue(), {"fill": round(fill, 2), "yaw": round(float(yaw), 1), "quality": quality}


def _camera(box: tuple, condition: str, rng: np.random.Generator) -> tuple:
    """Where the visitor stands: a little off-axis at a comfortable distance, unless `condition` says."""
    portrait = box[3] > box[2] and rng.random() < 0.6
    size = (PHOTO_SIZE[1], PHOTO_SIZE[0]) if portrait else PHOTO_SIZE
    fill, yaw = rng.uniform(0.5, 0.85), rng.uniform(-12, 12)
    pitch, roll = rng.uniform(-6, 6), rng.uniform(-4, 4)
    aim = (rng.uniform(-0.08, 0.08), rng.uniform(-0.08, 0.08))
    if condition == "far":
        fill = rng.uniform(0.15, 0.28)
        aim = (rng.uniform(-1, 1), rng.uniform(-0.5, 0.5))
    elif condition == "angle":
        yaw, pitch = rng.choice([-1, 1]) * rng.uniform(28, 40), rng.uniform(-15, 15)
        fill = rng.uniform(0.5, 0.75)
    elif condition == "partial":
        fill = rng.uniform(0.95, 1.1)
        side = rng.choice([-1, 1])
        # A third of the work (or a little more) out of the picture, on a side or at the top or bottom.
        aim = (side * rng.uniform(0.33, 0.4), rng.uniform(-0.05, 0.05)) if rng.random() < 0.6 else (
            rng.uniform(-0.05, 0.05), side * rng.uniform(0.33, 0.4))  # fmt: skip
    return size, fill, yaw, pitch, roll, aim


def _light(condition: str, rng: np.random.Generator) -> tuple[np.ndarray, float, float]:
    """The colour gains, the exposure and the sensor noise of the photo."""
    gains, exposure, iso = np.array([1.0, 1.0, 1.0], np.float32), rng.uniform(0.85, 1.15), rng.uniform(1.5, 4)
    if condition == "dim":
        exposure, iso = rng.uniform(0.14, 0.32), rng.uniform(8, 14)
    elif condition == "bright":
        exposure = rng.uniform(1.6, 2.2)
    elif condition == "tungsten":
        gains = np.array([1.28, 1.0, 0.6], np.float32) * rng.uniform(0.9, 1.05)
    elif condition == "cool":
        gains = np.array([0.82, 0.97, 1.28], np.float32) * rng.uniform(0.9, 1.05)
    return gains, exposure, iso


def _effects(
    photo: np.ndarray, condition: str, rng: np.random.Generator, other: np.ndarray | None
) -> np.ndarray:
    """Glare, a reflection on the glass, someone in front, a shaking hand or a missed focus."""
    h, w = photo.shape[:2]
    if condition == "glare":
        photo = _glare(photo, rng)
    elif condition == "reflection" and other is not None:
        ghost = cv2.GaussianBlur(cv2.resize(other[:, ::-1], (w, h)).astype(np.float32), (0, 0), 3)
        photo = photo + rng.uniform(0.25, 0.4) * ghost
    elif condition == "person":
        photo = _person(photo, rng)
    if condition == "motion_blur":
        photo = _motion_blur(photo, rng)
    elif condition == "focus_blur":
        photo = cv2.GaussianBlur(photo, (0, 0), rng.uniform(4, 8))
    return photo


def _glare(photo: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    h, w = photo.shape[:2]
    ys, xs = np.ogrid[0:h, 0:w]
    for _ in range(int(rng.integers(2, 4))):
        cx, cy, angle = rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.8) * h, rng.uniform(0, math.pi)
        u = (xs - cx) * math.cos(angle) + (ys - cy) * math.sin(angle)
        v = -(xs - cx) * math.sin(angle) + (ys - cy) * math.cos(angle)
        length, breadth = rng.uniform(0.3, 0.6) * w, rng.uniform(0.03, 0.09) * h
        falloff = np.exp(-((u / length) ** 2) - (v / breadth) ** 2).astype(np.float32) * rng.uniform(
            0.6, 0.95
        )
        photo = photo + (255 - np.clip(photo, 0, 255)) * falloff[..., None]
    return photo


def _person(photo: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A visitor's head and shoulder, out of focus, in front of the lower part of the picture."""
    h, w = photo.shape[:2]
    mask = np.zeros((h, w), np.float32)
    r, cx = rng.uniform(0.12, 0.18) * h, rng.uniform(0.2, 0.8) * w
    crown = rng.uniform(0.25, 0.5) * h
    cv2.ellipse(mask, (int(cx), int(crown + 5 * r)), (int(3.4 * r), int(3.2 * r)), 0, 0, 360, 1.0, -1)
    cv2.ellipse(mask, (int(cx), int(crown + 1.2 * r)), (int(r), int(1.3 * r)), 0, 0, 360, 1.0, -1)
    mask = cv2.GaussianBlur(mask, (0, 0), max(2.0, h * 0.01))[..., None]
    coat = rng.integers(15, 140, 3).astype(np.float32)
    return photo * (1 - mask) + coat * mask


def _motion_blur(photo: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    length, angle = int(rng.integers(18, 40)), rng.uniform(0, 180)
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1
    rot = cv2.getRotationMatrix2D((length / 2 - 0.5, length / 2 - 0.5), angle, 1.0)
    kernel = cv2.warpAffine(kernel, rot, (length, length))
    return cv2.filter2D(photo, -1, kernel / max(kernel.sum(), 1e-6))


def unrelated_photo(path: Path, rng: np.random.Generator) -> bytes:
    """A visitor's snapshot of something that is not a work: cropped to 4:3, noise and JPEG."""
    image = Image.open(path).convert("RGB")
    w, h = image.size
    cw, ch = (w, min(h, round(w * 3 / 4))) if w >= h else (min(w, round(h * 3 / 4)), h)
    left, top = int(rng.uniform(0, w - cw + 1)), int(rng.uniform(0, h - ch + 1))
    image = image.crop((left, top, left + cw, top + ch))
    pixels = np.asarray(image, np.float32) * rng.uniform(0.6, 1.2) + rng.standard_normal((ch, cw, 3)) * 3
    buffer = io.BytesIO()
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(
        buffer, "JPEG", quality=int(rng.integers(60, 90))
    )
    return buffer.getvalue()


# --- the collection ----------------------------------------------------------------------------------------


def plan(works: int, seed: int) -> tuple[list[Style], list[Work]]:
    """Artists, families and works: `works` in the album, plus the left-out artists' works."""
    rng = np.random.default_rng([seed, 1])
    artists = math.ceil(works / WORKS_PER_ARTIST)
    left_out = max(1, artists // 4)
    families = family_styles(math.ceil((artists + left_out) / ARTISTS_PER_FAMILY), rng)
    styles, plan_ = [], []
    for i in range(artists + left_out):
        name = f"artist{i:03d}"
        # Left-out artists are spread over the families, so each has look-alikes in the album.
        family = (i if i < artists else (i - artists) * ARTISTS_PER_FAMILY) % len(families)
        styles.append(artist_style(name, family, families[family], rng))
    for index in range(works):
        style = styles[index // WORKS_PER_ARTIST]
        plan_.append(
            Work(f"w{index:03d}", style.artist, style.family, True, f"{style.artist}, no. {index % 4 + 1}")
        )
    for i in range(left_out):
        style = styles[artists + i]
        for k in range(WORKS_PER_ARTIST):
            plan_.append(
                Work(f"u{i:02d}{k}", style.artist, style.family, False, f"{style.artist}, no. {k + 1}")
            )
    return styles, plan_


def generate(
    out: Path, works: int, seed: int, clip_fps: int, seconds: float, photos: int, unknown_photos: int
) -> dict:
    styles, collection = plan(works, seed)
    by_artist = {s.artist: s for s in styles}
    (out / "album").mkdir(parents=True, exist_ok=True)
    (out / "visitors").mkdir(exist_ok=True)
    manifest: list[dict] = []
    started = time.perf_counter()
    scenes: list[tuple[np.ndarray, tuple, Work]] = []
    for index, work in enumerate(collection):
        rng = np.random.default_rng([seed, 2, index])
        picture = paint(by_artist[work.artist], rng)
        scene, box = wall_scene(picture, rng)
        scenes.append((scene, box, work))
        if work.known:
            folder = out / "album" / work.name
            folder.mkdir(exist_ok=True)
            render_clip(scene, box, folder / "clip.mp4", seconds, clip_fps, rng)
            info = {
                "title": work.title,
                "description": f"A work by {work.artist}",
                "url": "",
                "artist": work.artist,
            }
            (folder / "info.json").write_text(json.dumps(info))
        _note(f"{index + 1}/{len(collection)} works ({time.perf_counter() - started:.0f} s)")
    for index, (scene, box, work) in enumerate(scenes):
        rng = np.random.default_rng([seed, 3, index])
        for k in range(photos if work.known else unknown_photos):
            # Conditions go round the works, so each appears about equally often per collection.
            condition = CONDITIONS[(index * photos + k) % len(CONDITIONS)]
            other = scenes[(index + 1 + int(rng.integers(len(scenes) - 1))) % len(scenes)][0]
            data, details = visitor_photo(scene, box, condition, rng, other)
            manifest.append(_save(out, len(manifest), data, work, condition, details))
    extra = sorted(p for p in (SHARED / "images").rglob("*") if p.suffix.lower() in {".jpg", ".bmp", ".png"})
    for index, path in enumerate(extra):
        data = unrelated_photo(path, np.random.default_rng([seed, 4, index]))
        manifest.append(_save(out, len(manifest), data, None, "unrelated", {"source": path.name}))
    (out / "visitors" / "manifest.json").write_text(json.dumps(manifest, indent=1))
    summary = {
        "seed": seed, "works": works, "clip_fps": clip_fps, "seconds": seconds, "clip_size": CLIP_SIZE,
        "photos_per_work": photos,
        "photos_per_unknown_work": unknown_photos,
        "artists": [asdict(s) for s in styles], "collection": [asdict(w) for w in collection],
        "visitor_photos": len(manifest), "generated_s": round(time.perf_counter() - started, 1),
    }  # fmt: skip
    (out / "collection.json").write_text(json.dumps(summary, indent=1))
    return summary


def _save(out: Path, number: int, data: bytes, work: Work | None, condition: str, details: dict) -> dict:
    name = f"visitors/{number:04d}.jpg"
    (out / name).write_bytes(data)
    kind = (
        "known"
        if work is not None and work.known
        else ("unknown_artist" if work is not None else "unrelated")
    )
    return {
        "file": name, "work": work.name if work is not None and work.known else None, "condition": condition,
        "kind": kind, "artist": work.artist if work is not None else None,
        "shows": work.name if work else None,
        **details,
    }  # fmt: skip


def _note(message: str) -> None:
    print(f"\r... {message}", end="", file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--works", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--clip-fps", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--photos", type=int, default=8, help="visitors' photos per known work")
    parser.add_argument("--unknown-photos", type=int, default=8, help="per work of a left-out artist")
    args = parser.parse_args()
    summary = generate(
        args.out, args.works, args.seed, args.clip_fps, args.seconds, args.photos, args.unknown_photos
    )
    print(f"\nwrote {args.out}: {summary['works']} works, {summary['visitor_photos']} visitors' photos "
          f"in {summary['generated_s']} s", file=sys.stderr)  # fmt: skip


if __name__ == "__main__":
    main()
