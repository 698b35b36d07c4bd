"""The image opener, fuzzed: valid pictures of every accepted format, damaged at random
(bytes changed, cut short, spliced, header sizes rewritten). Each either opens as an RGB
picture or is refused with an ImageError; nothing else escapes, nothing hangs."""

from __future__ import annotations

import io
import struct
import time
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from museion.vision.catalog import Catalog
from museion.vision.errors import ImageError
from museion.vision.images import open_photo
from museion.vision.preprocess import prepare

# Found by fuzzing: an AVIF whose colour planes cannot be decoded made Pillow raise RuntimeError.
BROKEN_AVIF = bytes.fromhex(
    "00000020667479706176696600000000617669666d6966316d6961664d413142000000eb6d6574610000000000000021"
    "68646c72000000000000000070696374000000000000000000000000000000000e7069746d0000000000010000001e69"
    "6c6f630000000044000001000100000001000001130000003f0000002869696e660000000000010000001a696e666502"
    "0000000001000061763031436f6c6f72000000006a697072700000004b6970636f000000146973706500000000000000"
    "3000000020000000107069786900000000030808080000000c6176314381000c0000000013636f6c726e636c78000100"
    "0d0006800000001769706d6100000000000000010001040001028304000000476d64617412000a0918152ffb4404341a"
    "10323045e1e1e1886124924994000002ebb239c11b829f807b708bdb7ab08eaed9d6d8a806d7e46f7999b2d5b3eaf111"
    "d6c5e0"
)
# And one whose image item is gone: Pillow raised RuntimeError on opening it.
AVIF_WITHOUT_ITEM = bytes.fromhex(
    "00000020667479706176696600000000617669666d6966316d6961664d413142000000eb6d6574610000000000000021"
    "68646c72000000000000000070696374000000000000000000000000000000000e0069746d0000000000010000001e69"
    "6c6f630000000044000001000100000001000001130000003f0000002869696e660000000000010000001a696e666502"
    "0000000001000061763031436f6c6f72000000006a697072700000004b6970636f000000146973706500000000000000"
    "3000000020000000107069786900000000030808080000000c6176314381000c0000000013636f6c726e636c78000100"
    "0d0006800000001769706d61000000000000000100010401028304000000476d64617412000a0918152ffb4404341a10"
    "323045e1e1e1886124924994000002ebb239c11b829f807b708bdb7ab08eaed9d6d8a806d7e46f7999b2d5b3eaf111d6"
    "c5e0"
)
FORMATS = ("PNG", "JPEG", "GIF", "WEBP", "BMP", "HEIF", "AVIF")
SECONDS = 10.0  # loose: the suite shares its 2 cores with others
CODES = {"empty_image", "not_an_image", "corrupt_image", "unsupported_format", "image_too_large"}


@cache
def sample(fmt: str) -> bytes:
    picture = Image.new("RGB", (48, 32), (30, 140, 200))
    picture.paste((250, 220, 10), (8, 8, 30, 24))
    buffer = io.BytesIO()
    picture.save(buffer, fmt, **({"quality": 60} if fmt in ("JPEG", "WEBP", "HEIF", "AVIF") else {}))
    return buffer.getvalue()


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    data = bytearray(sample(draw(st.sampled_from(FORMATS))))
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(data) - 1))
        kind = draw(st.sampled_from(["byte", "cut", "splice", "size"]))
        if kind == "byte":
            data[at] = draw(st.integers(0, 255))
        elif kind == "cut":
            del data[at:]
        elif kind == "splice":
            data[at:at] = draw(st.binary(max_size=32))
        else:  # a 16- or 32-bit size field rewritten: width, height, a chunk's length
            width = draw(st.sampled_from([2, 4]))
            value = draw(st.sampled_from([0, 1, 0x7FFF, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF]))
            data[at : at + width] = struct.pack(">H" if width == 2 else ">I", value & (256**width - 1))
        if not data:
            break
    return bytes(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=damaged(), reduced=st.booleans())
def test_a_damaged_picture_opens_or_is_refused_with_an_image_error(data: bytes, reduced: bool) -> None:
    spec = Catalog().get("imagenet-mobilenetv2").input
    started = time.monotonic()
    refused: ImageError | None = None
    try:
        photo = open_photo(data, target_size=spec.decode_size if reduced else None)
    except ImageError as exc:
        refused = exc
    if refused is not None:
        assert refused.code in CODES
        assert str(refused)
    else:
        assert photo.image.mode == "RGB"
        assert photo.width >= 1
        assert photo.height >= 1
        assert prepare(photo.image, spec).tensor.shape == (3, 224, 224)
    assert time.monotonic() - started < SECONDS


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=256))
def test_random_bytes_are_refused_with_an_image_error(data: bytes) -> None:
    with pytest.raises(ImageError) as refused:
        open_photo(data)
    assert refused.value.code in CODES


@pytest.mark.parametrize("data", [BROKEN_AVIF, AVIF_WITHOUT_ITEM], ids=["planes", "no-item"])
def test_a_broken_avif_is_refused_as_corrupt(data: bytes) -> None:
    with pytest.raises(ImageError) as refused:
        open_photo(data)
    assert refused.value.code == "corrupt_image"
