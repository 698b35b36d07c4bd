"""A full disk while saving: 507 with a clear message, and nothing half-stored."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from museion.accounts.models import User
from museion.http.storage import AtomicFileSystemStorage
from museion.recognition.models import Prediction
from tests.conftest import IMAGES
from tests.web.conftest import bearer


class FullDisk(AtomicFileSystemStorage):
    """Local storage on a disk with room for `room` more files."""

    room = 0

    def _save(self, name: str, content: object) -> str:
        if FullDisk.room <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        FullDisk.room -= 1
        return super()._save(name, content)


@pytest.fixture
def full_disk(media: Path):
    backend = {"BACKEND": "tests.web.test_storage_errors.FullDisk", "OPTIONS": {"location": str(media)}}
    storages = {
        "default": backend,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        yield FullDisk


def files(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


@pytest.mark.parametrize("room", [0, 1], ids=["no room", "room for the photo, not its thumbnail"])
def test_a_full_disk_answers_507_and_stores_no_prediction(
    client: Client, owner: User, media: Path, full_disk, room: int
) -> None:
    full_disk.room = room
    upload = SimpleUploadedFile("parrot.jpg", (IMAGES / "parrot.jpg").read_bytes())
    response = client.post("/api/v1/predict", {"image": upload}, headers=bearer(owner))
    assert response.status_code == 507, response.content
    error = response.json()["error"]
    assert error["code"] == "storage_full"
    assert "nothing was stored" in error["message"]
    assert not Prediction.objects.exists()
    assert files(media) == []  # the photo written before the thumbnail failed is gone again


def test_an_anonymous_prediction_needs_no_storage(client: Client, db, full_disk) -> None:
    upload = SimpleUploadedFile("parrot.jpg", (IMAGES / "parrot.jpg").read_bytes())
    assert client.post("/api/v1/predict", {"image": upload}).status_code == 200
