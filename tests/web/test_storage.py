"""Stored files appear whole or not at all."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.files.base import ContentFile, File

from museion.http.storage import AtomicFileSystemStorage


class Broken(File):
    """A body that fails halfway, as a client that disconnects or a disk that fills."""

    def __init__(self) -> None:
        super().__init__(None, name="broken.jpg")

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        yield b"x" * 65536
        raise OSError(28, "No space left on device")


def test_it_saves_the_whole_content_under_a_free_name(tmp_path: Path) -> None:
    storage = AtomicFileSystemStorage(location=tmp_path)
    first = storage.save("albums/1/photo.jpg", ContentFile(b"one"))
    second = storage.save("albums/1/photo.jpg", ContentFile(b"two"))
    assert first != second
    assert (tmp_path / first).read_bytes() == b"one"
    assert (tmp_path / second).read_bytes() == b"two"
    assert sorted(p.name for p in (tmp_path / "albums/1").iterdir()) == sorted(
        [Path(first).name, Path(second).name]
    )


def test_a_write_that_fails_midway_leaves_no_file(tmp_path: Path) -> None:
    storage = AtomicFileSystemStorage(location=tmp_path)
    with pytest.raises(OSError, match="No space"):
        storage.save("albums/1/photo.jpg", Broken())
    assert list((tmp_path / "albums/1").iterdir()) == []


def test_saved_files_are_readable_by_others(tmp_path: Path) -> None:
    # The staging file is private (0600); the stored one gets Django's upload permissions.
    storage = AtomicFileSystemStorage(location=tmp_path, file_permissions_mode=0o644)
    name = storage.save("p.jpg", ContentFile(b"x"))
    assert (tmp_path / name).stat().st_mode & 0o777 == 0o644
