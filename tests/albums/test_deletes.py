"""Deleting albums and classes takes their files too; a video job whose video is gone fails clearly."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from museion.albums import jobs, training
from museion.albums.models import Album, Job, SourceVideo
from tests.albums.conftest import ApiCaller
from tests.media import render_clip
from tests.vision.conftest import encode


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_deleting_an_album_removes_its_photos_and_videos(
    api: ApiCaller, album: Album, images: Path, media: Path, commit
) -> None:
    owl = album.classes.get(name="owl")
    photo = encode(Image.open(images / "owl.jpg"), "JPEG")
    assert api.upload(f"/albums/{album.pk}/classes/{owl.pk}/media", "owl.jpg", photo).status_code == 202
    clip = render_clip(Image.open(images / "owl.jpg"), 1)
    assert api.upload(f"/albums/{album.pk}/classes/{owl.pk}/media", "owl.mp4", clip).status_code == 202
    assert len(files_under(media)) == 2
    with commit():
        assert api.delete(f"/albums/{album.pk}").status_code == 204
    assert files_under(media) == []


def test_deleting_a_class_removes_its_videos_too(
    api: ApiCaller, album: Album, images: Path, media: Path, commit
):
    owl = album.classes.get(name="owl")
    clip = render_clip(Image.open(images / "owl.jpg"), 1)
    assert api.upload(f"/albums/{album.pk}/classes/{owl.pk}/media", "owl.mp4", clip).status_code == 202
    assert SourceVideo.objects.count() == 1
    with commit():
        assert api.delete(f"/albums/{album.pk}/classes/{owl.pk}").status_code == 204
    assert files_under(media) == []


def test_a_video_job_whose_video_was_deleted_fails_with_a_reason(album: Album) -> None:
    job = Job.objects.create(album=album, kind=Job.Kind.VIDEO)
    jobs.run(job.pk, training.extract_video)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "deleted before its frames were read" in job.error


def test_renaming_a_class_strips_spaces(api: ApiCaller, album: Album) -> None:
    owl = album.classes.get(name="owl")
    assert api.patch(f"/albums/{album.pk}/classes/{owl.pk}", {"name": "  barn owl "}).status_code == 200
    owl.refresh_from_db()
    assert owl.name == "barn owl"
