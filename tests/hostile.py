"""Hostile files shared by the tests that send them in-process and to a running server: pictures
of absurd shapes, a zip bomb and a zip whose header lies, a picture at the pixel limit."""

from __future__ import annotations

import io
import struct
import zlib
from fractions import Fraction
from functools import cache

import av
from PIL import Image

BOMB_BYTES = 950_000_000  # what the zip bomb's one entry inflates to
THIN_SIZES = ((100_000, 1), (1, 20_000), (1, 100_000), (65_000, 1))


def png(size: tuple[int, int], color: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


@cache
def thin_pngs() -> dict[str, bytes]:
    """A few hundred bytes each: a 100000x1 PNG is 375 bytes."""
    return {f"thin-{w}x{h}.png": png((w, h)) for w, h in THIN_SIZES}


@cache
def pixel_limit_png() -> bytes:
    """7000x7000 (49 MP, under the 50 MP limit) of one colour: about 100 KB, within every limit."""
    return png((7000, 7000), (90, 120, 60))


def _deflated(size: int, head: bytes) -> tuple[bytes, int]:
    """`head` then zeros up to `size` bytes, raw-deflated, and the CRC of it all.

    A full flush makes each piece stand alone, so the deflated MiB of zeros is repeated
    rather than deflated 900 times.
    """

    def piece(data: bytes) -> bytes:
        packer = zlib.compressobj(9, zlib.DEFLATED, -15)
        return packer.compress(data) + packer.flush(zlib.Z_FULL_FLUSH)

    mib = bytes(1 << 20)
    whole, rest = divmod(size - len(head), len(mib))
    crc = zlib.crc32(head)
    for _ in range(whole):
        crc = zlib.crc32(mib, crc)
    crc = zlib.crc32(mib[:rest], crc)
    final_empty_block = b"\x03\x00"
    return piece(head) + piece(mib) * whole + piece(mib[:rest]) + final_empty_block, crc


def _one_entry_zip(name: str, data: bytes, crc: int, declared: int) -> bytes:
    """A zip of one deflated entry whose headers say it inflates to `declared` bytes."""
    encoded = name.encode()
    local = struct.pack(
        "<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(data), declared, len(encoded), 0
    )
    central = struct.pack(
        "<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc, len(data), declared,
        len(encoded), 0, 0, 0, 0, 0, 0,
    )  # fmt: skip
    body = local + encoded + data
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 1, 1, len(central) + len(encoded), len(body), 0)
    return body + central + encoded + end


@cache
def _bomb_entry() -> tuple[bytes, int]:
    # A JPEG's first bytes, so that sniffing alone takes it for a photo.
    return _deflated(BOMB_BYTES, b"\xff\xd8\xff\xe0\x00\x10JFIF\x00")


def zip_bomb() -> bytes:
    """About 1 MB holding one deflated 950 MB entry, its size told honestly."""
    data, crc = _bomb_entry()
    return _one_entry_zip("bomb.jpg", data, crc, BOMB_BYTES)


def lying_zip_bomb() -> bytes:
    """The same entry, its headers claiming it inflates to 1000 bytes."""
    data, crc = _bomb_entry()
    return _one_entry_zip("liar.jpg", data, crc, 1000)


def gif_bomb(width: int = 65_000, height: int = 65_000) -> bytes:
    """A 16x16 GIF whose screen and frame both claim `width` x `height` pixels."""
    buffer = io.BytesIO()
    Image.new("P", (16, 16), 3).save(buffer, "GIF")
    data = bytearray(buffer.getvalue())
    data[6:10] = struct.pack("<HH", width, height)  # logical screen
    frame = data.index(b"\x2c")  # image descriptor: left, top, width, height
    data[frame + 5 : frame + 9] = struct.pack("<HH", width, height)
    return bytes(data)


def ten_hour_clip() -> bytes:
    """Two frames ten hours apart: a tiny file whose container says it lasts 10 h."""
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=1)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        stream.time_base = Fraction(1, 1)
        for pts in (0, 36_000):
            frame = av.VideoFrame.from_image(Image.new("RGB", (64, 64), (pts % 255, 90, 40)))
            frame.pts = pts
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()
