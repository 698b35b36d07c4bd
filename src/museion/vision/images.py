"""Turning uploaded bytes into an upright RGB picture, safely and cheaply.

Photos from phones are large (12 MP and more) while the models look at a few
hundred pixels, so JPEGs are decoded at a reduced scale (draft mode) and other
formats are box-reduced right after decoding: the cost of a big photo stays a
small multiple of a small one.
"""

from __future__ import annotations

import io
import os
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pillow_heif
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from museion.config import settings
from museion.vision.errors import (
    CorruptImage,
    EmptyImage,
    ImageError,
    ImageTooLarge,
    NotAnImage,
    UnsupportedFormat,
)

pillow_heif.register_heif_opener()
# Museion checks the pixel count itself, against its own (lower) limit, right
# after opening; Pillow's warning for the same thing would only be noise.
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)

ImageSource = str | os.PathLike[str] | bytes | bytearray | memoryview | BinaryIO | Image.Image
# Given the stored width and height, the smallest size the caller still needs.
TargetSize = Callable[[int, int], tuple[int, int]]

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "BMP", "GIF", "HEIF", "AVIF")
# Phone JPEGs with several pictures open as "MPO", through the JPEG plugin.
ACCEPTED_NAMES = "JPEG, PNG, WebP, BMP, GIF, HEIC/HEIF or AVIF"

# A decode needs about 4 bytes a pixel at its peak (the picture, its reduced or RGB copy).
# Pictures decoded larger than this take turns (`_decoding`); smaller ones never wait.
SMALL_DECODE_PIXELS = 4_000_000

_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}


def sniff(data: bytes) -> str | None:
    """Name the image format the first bytes announce, accepted or not."""
    head = data[:32]
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head.startswith(b"BM"):
        return "BMP"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _HEIF_BRANDS:
            return "HEIF"
        if brand in _AVIF_BRANDS:
            return "AVIF"
    return _sniff_unsupported(head)


def _sniff_unsupported(head: bytes) -> str | None:
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF"
    if head.startswith(b"8BPS"):
        return "PSD"
    if head.startswith(b"\x00\x00\x01\x00"):
        return "ICO"
    if head.startswith(b"\xff\x0a") or head.startswith(b"\x00\x00\x00\x0cJXL "):
        return "JPEG XL"
    if head.startswith(b"%PDF"):
        return "PDF"
    text = head.lstrip().lower()
    if text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in head.lower()):
        return "SVG"
    return None


def read_bytes(source: ImageSource, max_bytes: int) -> bytes:
    """Read a path, buffer or file object, refusing more than `max_bytes`."""
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    elif isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            if path.stat().st_size > max_bytes:
                raise _too_many_bytes(path.stat().st_size, max_bytes)
            data = path.read_bytes()
        except OSError as exc:
            raise ImageError(f"cannot read {path}: {exc.strerror or exc}") from None
    else:
        data = source.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _too_many_bytes(len(data), max_bytes)
    return data


def _too_many_bytes(size: int, limit: int) -> ImageTooLarge:
    return ImageTooLarge(f"the file is {size / 1e6:.1f} MB; the limit is {limit / 1e6:.1f} MB")


@dataclass(frozen=True)
class Photo:
    """A decoded picture: `image` is upright RGB, perhaps reduced; width and
    height are the upright size of the picture as stored."""

    image: Image.Image
    width: int
    height: int
    format: str | None = None

    @property
    def scale(self) -> float:
        """Stored pixels per decoded pixel (1.0 unless the decode was reduced)."""
        return self.width / self.image.width


def open_photo(
    source: ImageSource,
    *,
    target_size: TargetSize | None = None,
    max_pixels: int | None = None,
    max_bytes: int | None = None,
) -> Photo:
    """Decode `source` into an upright RGB picture.

    With `target_size`, the image may come back smaller than stored, but never
    smaller than what `target_size(width, height)` asks for.
    """
    if isinstance(source, Image.Image):
        image = _to_rgb(source)
        return Photo(image, image.width, image.height, source.format)
    config = settings()
    max_pixels = max_pixels or config.max_image_pixels
    data = read_bytes(source, max_bytes or config.max_image_bytes)
    if not data:
        raise EmptyImage("the file is empty")
    image = _open(data)
    width, height = image.size
    if width * height > max_pixels:
        raise ImageTooLarge(
            f"the image is {width}x{height} ({width * height / 1e6:.0f} MP); "
            f"the limit is {max_pixels / 1e6:.0f} MP"
        )
    wanted = target_size(*image.size) if target_size else None
    if wanted and image.format in ("JPEG", "MPO"):
        image.draft("RGB", wanted)
    with _decoding(image.width * image.height, max_pixels):
        orientation = _orientation(image)  # a PNG's EXIF may follow its pixels: this can decode it
        if orientation in (5, 6, 7, 8):
            width, height = height, width
        _decode(image)
        fmt = image.format
        if wanted:
            image = _reduce(image, wanted)
        if orientation != 1:  # upright already: spare the copy exif_transpose makes
            image = _upright(image)
        return Photo(_to_rgb(image), width, height, fmt)


class _PixelBudget:
    """How many pixels big pictures are being decoded into, across all threads.

    Each fits within the pixel limit, but eight requests decoding 49 MP PNGs at once
    would take 1.5 GB: big decodes wait until the pixels in flight leave room for theirs,
    so a process decodes at most one largest picture's worth at a time (a picture alone
    is never refused for waiting).
    """

    def __init__(self) -> None:
        self._free = threading.Condition()
        self._used = 0

    @contextmanager
    def take(self, pixels: int, budget: int) -> Iterator[None]:
        with self._free:
            self._free.wait_for(lambda: self._used == 0 or self._used + pixels <= budget)
            self._used += pixels
        try:
            yield
        finally:
            with self._free:
                self._used -= pixels
                self._free.notify_all()


_budget = _PixelBudget()


@contextmanager
def _decoding(pixels: int, budget: int) -> Iterator[None]:
    if pixels <= SMALL_DECODE_PIXELS:
        yield
    else:
        with _budget.take(pixels, budget):
            yield


def load_image(source: ImageSource, **options: object) -> Image.Image:
    """Like `open_photo`, keeping only the picture."""
    return open_photo(source, **options).image  # type: ignore[arg-type]


def _open(data: bytes) -> Image.Image:
    kind = sniff(data)
    try:
        image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
        # Pillow feeds its decoder 64 KiB at a time, taking the GIL back between pieces;
        # with other threads busy in Python each piece waits for it (a 1.4 MB JPEG decoded
        # at 25/s instead of 63/s beside one busy thread). The bytes are all here: one piece.
        image.decodermaxblock = max(image.decodermaxblock, len(data))
        return image
    except Image.DecompressionBombError:
        # Pillow refuses, from the header alone, sizes over twice its own limit: a bomb.
        raise ImageTooLarge(
            f"the image claims over {2 * (Image.MAX_IMAGE_PIXELS or 0) / 1e6:.0f} MP; "
            f"the limit is {settings().max_image_pixels / 1e6:.0f} MP"
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, RuntimeError):
        pass  # RuntimeError: Pillow's AVIF plugin, on a file without its image item (found by fuzzing)
    if kind in ACCEPTED_FORMATS:
        raise CorruptImage(f"the {kind} data is damaged or incomplete")
    if kind is None:
        kind = _any_pillow_format(data)
    if kind is not None:
        raise UnsupportedFormat(f"{kind} images are not supported; send {ACCEPTED_NAMES}")
    raise NotAnImage(f"the file is not an image; send {ACCEPTED_NAMES}")


def _any_pillow_format(data: bytes) -> str | None:
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.format
    except Exception:
        # Any failure here only means "not a format Pillow knows either".
        return None


def _decode(image: Image.Image) -> None:
    try:
        image.load()
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(str(exc)) from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, RuntimeError) as exc:
        # RuntimeError: Pillow's AVIF decoder on colour planes it cannot decode (found by fuzzing).
        raise CorruptImage(f"the {image.format} data is damaged or incomplete ({exc})") from None


def _reduce(image: Image.Image, wanted: tuple[int, int]) -> Image.Image:
    factor = min(image.width // max(wanted[0], 1), image.height // max(wanted[1], 1))
    if factor < 2 or image.mode not in ("RGB", "RGBA", "L", "LA", "I", "F"):
        return image
    return image.reduce(factor)


def _orientation(image: Image.Image) -> int:
    try:
        return int(image.getexif().get(ExifTags.Base.Orientation, 1))
    except Exception:
        return 1


def _upright(image: Image.Image) -> Image.Image:
    try:
        return ImageOps.exif_transpose(image)
    except Exception:
        # A damaged EXIF block must not cost the user their photo: keep it as stored.
        return image


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        # Transparent areas become white, as most viewers show them, not black.
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")
