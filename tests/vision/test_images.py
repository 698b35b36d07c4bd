from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from museion.vision.catalog import IMAGENET_MOBILENETV2
from museion.vision.errors import (
    CorruptImage,
    EmptyImage,
    ImageError,
    ImageTooLarge,
    NotAnImage,
    UnsupportedFormat,
)
from museion.vision.images import load_image, open_photo
from tests.vision.conftest import encode


@pytest.mark.parametrize(
    ("fmt", "options"),
    [("JPEG", {"quality": 95}), ("PNG", {}), ("WEBP", {"quality": 95}), ("BMP", {}),
     ("HEIF", {"quality": 90}), ("AVIF", {"quality": 90})],
)  # fmt: skip
def test_it_reads_every_accepted_format(parrot: Image.Image, fmt: str, options: dict) -> None:
    image = load_image(encode(parrot, fmt, **options))
    assert image.mode == "RGB"
    assert image.size == parrot.size
    difference = np.abs(np.asarray(image, np.int16) - np.asarray(parrot, np.int16)).mean()
    assert difference < 6


def test_it_reads_the_first_frame_of_an_animated_gif() -> None:
    frames = [Image.new("RGB", (64, 48), colour) for colour in ((0, 0, 255), (255, 0, 0))]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    image = load_image(data)
    assert image.size == (64, 48)
    assert image.getpixel((10, 10)) == (0, 0, 255)


def test_it_reads_paths_bytes_and_file_objects_alike(images: Path) -> None:
    path = images / "owl.jpg"
    from_path = np.asarray(load_image(path))
    assert np.array_equal(from_path, np.asarray(load_image(str(path))))
    assert np.array_equal(from_path, np.asarray(load_image(path.read_bytes())))
    with path.open("rb") as f:
        assert np.array_equal(from_path, np.asarray(load_image(f)))


def test_it_applies_exif_orientation(parrot: Image.Image, rotated_parrot_jpeg: bytes) -> None:
    assert Image.open(io.BytesIO(rotated_parrot_jpeg)).size == (parrot.height, parrot.width)
    photo = open_photo(rotated_parrot_jpeg)
    assert photo.image.size == parrot.size
    assert (photo.width, photo.height) == parrot.size
    difference = np.abs(np.asarray(photo.image, np.int16) - np.asarray(parrot, np.int16)).mean()
    assert difference < 6


def test_it_puts_transparent_pixels_on_white() -> None:
    clear = Image.new("RGBA", (8, 8), (0, 0, 0, 0))
    assert load_image(encode(clear, "PNG")).getpixel((4, 4)) == (255, 255, 255)


def test_it_decodes_a_big_jpeg_at_a_reduced_scale_but_no_smaller_than_needed(big_jpeg: bytes) -> None:
    spec = IMAGENET_MOBILENETV2.input
    photo = open_photo(big_jpeg, target_size=spec.decode_size)
    assert (photo.width, photo.height) == (3000, 4000)
    assert min(photo.image.size) >= spec.resize_short
    assert photo.image.width <= 3000 / 4
    assert photo.scale == pytest.approx(3000 / photo.image.width)


def test_it_reduces_big_pictures_of_other_formats_too(parrot: Image.Image) -> None:
    data = encode(parrot.resize((2048, 3716)), "PNG", compress_level=1)
    photo = open_photo(data, target_size=IMAGENET_MOBILENETV2.input.decode_size)
    assert 256 <= min(photo.image.size) < 2048 / 3
    assert (photo.width, photo.height) == (2048, 3716)


def test_it_rejects_an_empty_file() -> None:
    with pytest.raises(EmptyImage, match="empty"):
        load_image(b"")


def test_it_rejects_a_file_that_is_not_an_image(videos: Path) -> None:
    with pytest.raises(NotAnImage, match="not an image"):
        load_image(videos / "not_a_video.mp4")


def test_it_rejects_a_video_as_not_an_image(videos: Path) -> None:
    with pytest.raises(NotAnImage):
        load_image(videos / "parrot_walkaround.mp4")


def test_it_rejects_truncated_jpeg(images: Path) -> None:
    data = (images / "parrot.jpg").read_bytes()
    with pytest.raises(CorruptImage, match="damaged or incomplete"):
        load_image(data[: len(data) // 2])


def test_it_rejects_a_jpeg_cut_inside_its_header(images: Path) -> None:
    with pytest.raises(CorruptImage, match="JPEG"):
        load_image((images / "parrot.jpg").read_bytes()[:200])


def test_it_rejects_a_corrupt_png(parrot: Image.Image) -> None:
    data = bytearray(encode(parrot, "PNG"))
    data[200:4000] = bytes(3800)
    with pytest.raises(CorruptImage, match="PNG"):
        load_image(bytes(data))


@pytest.mark.parametrize("fmt", ["TIFF", "ICO", "PPM"])
def test_it_rejects_image_formats_it_does_not_accept(parrot: Image.Image, fmt: str) -> None:
    with pytest.raises(UnsupportedFormat, match=f"{fmt}.*not supported"):
        load_image(encode(parrot.resize((64, 64)), fmt))


def test_it_rejects_svg_as_unsupported() -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect/></svg>'
    with pytest.raises(UnsupportedFormat, match="SVG"):
        load_image(svg)


def test_it_rejects_a_decompression_bomb_before_decoding_it() -> None:
    bomb = encode(Image.new("1", (10_000, 10_000)), "PNG")
    assert len(bomb) < 100_000
    with pytest.raises(ImageTooLarge, match=r"10000x10000 \(100 MP\); the limit is 50 MP"):
        load_image(bomb)


def test_it_honours_a_lower_pixel_limit(parrot: Image.Image) -> None:
    with pytest.raises(ImageTooLarge):
        load_image(encode(parrot, "PNG"), max_pixels=100_000)


def test_it_rejects_a_file_over_the_byte_limit(images: Path) -> None:
    with pytest.raises(ImageTooLarge, match="MB"):
        load_image(images / "parrot.jpg", max_bytes=10_000)
    with (images / "parrot.jpg").open("rb") as f, pytest.raises(ImageTooLarge):
        load_image(f, max_bytes=10_000)


def test_it_reads_the_byte_limit_from_the_environment(images: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MUSEION_MAX_IMAGE_MB", "0.1")
    with pytest.raises(ImageTooLarge, match=r"limit is 0\.1 MB"):
        load_image(images / "parrot.jpg")


def test_it_reports_a_missing_file_clearly(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="No such file"):
        load_image(tmp_path / "nope.jpg")


def test_it_rejects_a_gif_claiming_billions_of_pixels_from_its_header() -> None:
    # Over twice Pillow's own limit, Pillow refuses at open, before Museion's limit is checked.
    buffer = io.BytesIO()
    Image.new("P", (16, 16), 3).save(buffer, "GIF")
    data = bytearray(buffer.getvalue())
    data[6:10] = (65_000).to_bytes(2, "little") * 2
    frame = data.index(b"\x2c")
    data[frame + 5 : frame + 9] = (65_000).to_bytes(2, "little") * 2
    with pytest.raises(ImageTooLarge, match="the limit is 50 MP"):
        open_photo(bytes(data))
