"""What the cleanup removes (museion.web.cleanup): stored predictions past their retention, videos
whose frames never came, orphaned files; and the daily task. The command itself: tests/cli."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from museion.accounts.models import User
from museion.accounts.workspaces import personal_workspace
from museion.albums.models import Album, AlbumClass, Job, MediaItem, SourceVideo
from museion.recognition import services
from museion.recognition.models import Prediction
from museion.vision.catalog import DEFAULT_CLASSIFIER
from museion.web import tasks
from museion.web.celery import app
from museion.web.cleanup import cleanup
from tests.conftest import IMAGES


@pytest.fixture(scope="module")
def classified() -> tuple[services.Outcome, bytes]:
    data = (IMAGES / "parrot.jpg").read_bytes()
    return services.predict(data, services.servable_model(DEFAULT_CLASSIFIER)), data


def stored(user: User, classified, days_ago: float) -> Prediction:
    prediction = services.store(user, *classified)
    Prediction.objects.filter(pk=prediction.pk).update(created=timezone.now() - timedelta(days=days_ago))
    return prediction


def keep_for(user: User, days: int | None) -> None:
    workspace = personal_workspace(user)
    workspace.retention_days = days
    workspace.save()


def run(older_than: timedelta | None = None, *, dry_run: bool = False) -> dict:
    return cleanup(older_than, dry_run=dry_run).as_dict()


def files_of(prediction: Prediction, media: Path) -> list[Path]:
    return [media / prediction.image.name, media / prediction.thumbnail.name]


def test_predictions_past_the_workspace_retention_go_with_their_files(
    owner: User, teammate: User, classified, media: Path, django_capture_on_commit_callbacks
) -> None:
    keep_for(owner, 30)
    old, recent = stored(owner, classified, 40), stored(owner, classified, 10)
    old_bytes = sum(p.stat().st_size for p in files_of(old, media))
    forever = stored(teammate, classified, 400)  # the teammate's workspace keeps everything
    with django_capture_on_commit_callbacks(execute=True):  # files go once the rows are gone for good
        report = run()
    assert report["predictions"] == 1
    assert report["prediction_bytes"] == old_bytes
    assert set(Prediction.objects.values_list("pk", flat=True)) == {recent.pk, forever.pk}
    assert not any(p.exists() for p in files_of(old, media))
    assert all(p.exists() for p in files_of(recent, media))


def test_the_server_default_applies_to_workspaces_without_their_own(
    owner: User, classified, settings
) -> None:
    settings.RETENTION_DAYS = 7
    stored(owner, classified, 8)
    kept = stored(owner, classified, 6)
    assert run()["predictions"] == 1
    assert list(Prediction.objects.values_list("pk", flat=True)) == [kept.pk]


def test_older_than_overrides_every_retention(owner: User, classified) -> None:
    keep_for(owner, 365)
    stored(owner, classified, 10)
    kept = stored(owner, classified, 0)
    assert run(timedelta(days=5))["predictions"] == 1
    assert list(Prediction.objects.values_list("pk", flat=True)) == [kept.pk]


def age(path: Path, hours: float) -> None:
    then = time.time() - hours * 3600
    os.utime(path, (then, then))


def test_old_orphaned_files_go_and_fresh_or_referenced_ones_stay(
    owner: User, classified, media: Path
) -> None:
    prediction = stored(owner, classified, 1)
    for path in files_of(prediction, media):
        age(path, 48)  # old, but its row names it
    old_orphan = default_storage.save("albums/7/left-by-a-crash.jpg", ContentFile(b"x" * 1000))
    partial = default_storage.save("albums/7/.partial-abc", ContentFile(b"half"))
    fresh_orphan = default_storage.save("predictions/9/being-uploaded.jpg", ContentFile(b"y"))
    age(media / old_orphan, 2)
    age(media / partial, 2)
    report = run()
    assert (report["orphans"], report["orphan_bytes"]) == (2, 1004)
    assert not (media / old_orphan).exists()
    assert not (media / partial).exists()
    assert (media / fresh_orphan).exists()
    assert all(p.exists() for p in files_of(prediction, media))


def test_a_dry_run_counts_and_removes_nothing(owner: User, classified, media: Path) -> None:
    keep_for(owner, 1)
    old = stored(owner, classified, 2)
    orphan = default_storage.save("albums/7/orphan.jpg", ContentFile(b"z"))
    age(media / orphan, 2)
    report = run(dry_run=True)
    assert (report["predictions"], report["orphans"], report["dry_run"]) == (1, 1, True)
    assert Prediction.objects.filter(pk=old.pk).exists()
    assert (media / orphan).exists()


def test_a_row_whose_file_is_missing_is_reported_not_deleted(owner: User, classified, media: Path) -> None:
    prediction = stored(owner, classified, 0)
    (media / prediction.image.name).unlink()
    report = run()
    assert report["missing"] == 1
    assert report["missing_files"] == [prediction.image.name]
    assert Prediction.objects.filter(pk=prediction.pk).exists()


def test_the_worker_runs_the_cleanup_daily(owner: User, classified) -> None:
    entry = app.conf.beat_schedule["cleanup"]
    assert entry["task"] == tasks.cleanup.name
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({3}, {17})  # once a day, at night
    keep_for(owner, 1)
    stored(owner, classified, 2)
    assert tasks.cleanup()["predictions"] == 1
    assert not Prediction.objects.exists()


def failed_video(
    owner: User, days_ago: float, status: str = Job.Status.FAILED, frames: int = 0
) -> SourceVideo:
    """A clip whose frame job ended `days_ago`, with `frames` frames kept."""
    album = Album.objects.create(workspace=personal_workspace(owner), name="Birds")
    owl = AlbumClass.objects.create(album=album, name="owl")
    then = timezone.now() - timedelta(days=days_ago)
    name = default_storage.save(f"albums/{album.pk}/videos/clip", ContentFile(b"v" * 500))
    video = SourceVideo.objects.create(album_class=owl, file=name, size=500, name="walk.mp4", created=then)
    finished = None if status in (Job.Status.QUEUED, Job.Status.RUNNING) else then
    Job.objects.create(album=album, kind=Job.Kind.VIDEO, video=video, status=status, finished=finished)
    for n in range(frames):
        frame = default_storage.save(f"albums/{album.pk}/frame.jpg", ContentFile(b"f"))
        MediaItem.objects.create(album_class=owl, file=frame, source=video, name=f"{n}", width=1, height=1)
    return video


def test_a_video_whose_frames_never_came_goes_a_week_after_its_job_failed(
    owner: User, media: Path, django_capture_on_commit_callbacks
) -> None:
    video = failed_video(owner, 8)
    with django_capture_on_commit_callbacks(execute=True):
        report = run()
    assert (report["failed_videos"], report["failed_video_bytes"]) == (1, 500)
    assert not SourceVideo.objects.exists()
    assert not (media / video.file.name).exists()
    assert Job.objects.get().video is None  # the failure stays in the album's history


@pytest.mark.parametrize(
    ("days_ago", "status", "frames"),
    [(2, Job.Status.FAILED, 0), (30, Job.Status.FAILED, 3), (30, Job.Status.SUCCEEDED, 0),
     (30, Job.Status.QUEUED, 0), (30, Job.Status.RUNNING, 0)],
    ids=["failed-recently", "failed-with-frames", "succeeded", "queued", "running"],
)  # fmt: skip
def test_a_video_that_became_frames_or_may_still_is_kept(
    owner: User, media: Path, days_ago: float, status: str, frames: int
) -> None:
    video = failed_video(owner, days_ago, status, frames)
    assert run()["failed_videos"] == 0
    assert SourceVideo.objects.filter(pk=video.pk).exists()
    assert (media / video.file.name).exists()


def test_a_dry_run_keeps_the_failed_video(owner: User, media: Path) -> None:
    video = failed_video(owner, 8)
    assert run(dry_run=True)["failed_videos"] == 1
    assert SourceVideo.objects.filter(pk=video.pk).exists()
    assert (media / video.file.name).exists()
