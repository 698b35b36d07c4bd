"""Test media built from ../shared: clips rendered with PyAV, datasets of class folders."""

from __future__ import annotations

import io
import json
from fractions import Fraction
from pathlib import Path

import av
from PIL import Image


def render_clip(
    picture: Image.Image, seconds: float, rate: int = 24, size: tuple[int, int] = (320, 240)
) -> bytes:
    """An H.264 clip panning slowly over `picture`, as a phone walking past an object films it."""
    width, height = size
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=rate)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = Fraction(1, rate)
        base = picture.convert("RGB").resize((width * 5 // 4, height * 5 // 4))
        margin_x, margin_y = base.width - width, (base.height - height) // 2
        frames = int(seconds * rate)
        for i in range(frames):
            shift = margin_x * i // max(1, frames - 1)
            frame = av.VideoFrame.from_image(base.crop((shift, margin_y, shift + width, margin_y + height)))
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()


def make_dataset(root: Path, images: Path, names: list[str], seconds: float = 4) -> Path:
    """One class folder per photo, each with a clip of it and an info.json."""
    for name in names:
        folder = root / Path(name).stem
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "clip.mp4").write_bytes(render_clip(Image.open(images / name), seconds))
        info = {"title": Path(name).stem.title(), "description": f"A photo of {Path(name).stem}.", "url": ""}
        (folder / "info.json").write_text(json.dumps(info))
    return root
