"""Labelled boxes drawn over a picture."""

from __future__ import annotations

from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFont

from museion.vision.detect import Detection

# Distinct, readable on photos; a class keeps its colour across pictures.
PALETTE = (
    (230, 25, 75), (60, 180, 75), (255, 180, 0), (0, 130, 200), (245, 130, 48),
    (145, 30, 180), (70, 200, 200), (240, 50, 230), (160, 200, 40), (0, 128, 128),
)  # fmt: skip


def draw(image: Image.Image, detections: Sequence[Detection]) -> Image.Image:
    """A copy of `image` with each detection's box and label drawn on it."""
    canvas = image.convert("RGB")
    pen = ImageDraw.Draw(canvas)
    line = max(2, round(min(canvas.size) / 250))
    font = ImageFont.load_default(size=max(12, round(min(canvas.size) / 40)))
    for det in detections:
        colour = PALETTE[det.index % len(PALETTE)]
        pen.rectangle(det.box, outline=colour, width=line)
        text = f"{det.label} {det.score:.0%}"
        left, top, right, bottom = pen.textbbox((0, 0), text, font=font)
        x, y = det.box[0], max(0, det.box[1] - (bottom - top) - 2 * line)
        pen.rectangle((x, y, x + right - left + 2 * line, y + bottom - top + 2 * line), fill=colour)
        pen.text((x + line, y + line - top), text, fill=(255, 255, 255), font=font)
    return canvas
