from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.conftest import IMAGES


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def parrot() -> Image.Image:
    return Image.open(IMAGES / "parrot.jpg").convert("RGB")


@pytest.fixture(scope="session")
def rotated_parrot_jpeg(parrot: Image.Image) -> bytes:
    """parrot.jpg stored lying on its side, with EXIF orientation 6 to stand it up."""
    exif = Image.Exif()
    exif[0x0112] = 6
    # Orientation 6 means "rotate 90° clockwise to view", so store it turned the other way.
    return encode(parrot.transpose(Image.Transpose.ROTATE_90), "JPEG", quality=95, exif=exif)


@pytest.fixture(scope="session")
def big_jpeg(parrot: Image.Image) -> bytes:
    """A 12 MP photo, as a phone takes them."""
    return encode(parrot.resize((3000, 4000), Image.Resampling.BICUBIC), "JPEG", quality=90)
