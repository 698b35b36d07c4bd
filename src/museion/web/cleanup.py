"""Retention and orphans: what `museion cleanup` and the daily task remove.

- Stored predictions (a signed-in user's photo, thumbnail and result) older than
  the retention of the user's personal workspace (`Workspace.retention_days`, or
  MUSEION_RETENTION_DAYS for all; 0 keeps them for ever), or than `older_than`
  when given.
- Orphaned files: files under the storage's `predictions/` and `albums/` that no
  row names, left by a process killed between writing a file and its row, or a
  half-written `.partial-` file. Only those older than ORPHAN_AGE, so that an
  upload in flight is never touched.
- Videos that never became anything: no frame kept, every job of theirs failed
  or cancelled, the last one over FAILED_UPLOAD_AGE ago. Nobody can see, train
  on or delete such a clip on its own, yet it counts against the quota; the
  week lets the person read the failure in the album's jobs.

Album media are never removed by age: they are the organization's training data,
deleted only by a person. Rows whose file is missing are reported, not deleted.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from django.core.files.storage import default_storage
from django.db.models import Q
from django.utils import timezone

from museion.accounts.models import User
from museion.accounts.workspaces import personal_workspace
from museion.albums import media
from museion.albums.models import AlbumClass, Job, MediaItem, ModelVersion, SourceVideo
from museion.recognition import services
from museion.recognition.models import Prediction

ORPHAN_AGE = timedelta(hours=1)
FAILED_UPLOAD_AGE = timedelta(days=7)
SWEPT = ("predictions", "albums")  # the folders of stored files
MISSING_LISTED = 20


@dataclass
class Report:
    dry_run: bool
    predictions: int = 0
    prediction_bytes: int = 0
    failed_videos: int = 0
    failed_video_bytes: int = 0
    orphans: int = 0
    orphan_bytes: int = 0
    missing: int = 0
    missing_files: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def removed_bytes(self) -> int:
        return self.prediction_bytes + self.failed_video_bytes + self.orphan_bytes


def cleanup(older_than: timedelta | None = None, *, dry_run: bool = False) -> Report:
    report = Report(dry_run=dry_run)
    now = timezone.now()
    expire_predictions(report, now, older_than)
    expire_failed_videos(report, now)
    sweep_files(report, now)
    return report


def expire_predictions(report: Report, now: datetime, older_than: timedelta | None) -> None:
    for user in User.objects.filter(predictions__isnull=False).distinct():
        keep = older_than
        if keep is None:
            days = personal_workspace(user).retention
            keep = timedelta(days=days) if days else None
        if keep is None:
            continue
        for prediction in Prediction.objects.filter(user=user, created__lt=now - keep).iterator():
            report.predictions += 1
            report.prediction_bytes += sum(size_of(f.name) for f in (prediction.image, prediction.thumbnail))
            if not report.dry_run:
                services.delete(prediction)


def size_of(name: str) -> int:
    """A stored file's size; 0 when it is missing (reported by the sweep)."""
    try:
        return default_storage.size(name) if name else 0
    except OSError:
        return 0


def failed_videos(now: datetime) -> list[SourceVideo]:
    """Videos no frame came from, whose jobs all ended without success long enough ago."""
    unfinished = Q(status__in=[Job.Status.QUEUED, Job.Status.RUNNING, Job.Status.SUCCEEDED])
    recent = Q(finished__isnull=True) | Q(finished__gte=now - FAILED_UPLOAD_AGE)
    busy = Job.objects.filter(unfinished | recent, video__isnull=False).values("video")
    return list(
        SourceVideo.objects.filter(created__lt=now - FAILED_UPLOAD_AGE, items__isnull=True)
        .exclude(pk__in=busy)
        .select_related("album_class__album")
    )


def expire_failed_videos(report: Report, now: datetime) -> None:
    for video in failed_videos(now):
        report.failed_videos += 1
        report.failed_video_bytes += video.size
        if not report.dry_run:
            media.delete_video(video)


def referenced() -> set[str]:
    """Every file name a row holds."""
    names: set[str] = set()
    for model, fields in (
        (Prediction, ("image", "thumbnail")),
        (MediaItem, ("file",)),
        (SourceVideo, ("file",)),
        (ModelVersion, ("bundle",)),
        (AlbumClass, ("cover",)),
    ):
        for values in model.objects.values_list(*fields):
            names.update(v for v in values if v)
    return names


def stored_files(folder: str) -> Iterator[str]:
    """Every file below `folder` in the storage (local or S3)."""
    try:
        folders, files = default_storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in files:
        yield f"{folder}/{name}"
    for sub in folders:
        yield from stored_files(f"{folder}/{sub}")


def sweep_files(report: Report, now: datetime) -> None:
    known = referenced()
    seen: set[str] = set()
    for folder in SWEPT:
        for name in stored_files(folder):
            seen.add(name)
            if name in known or default_storage.get_modified_time(name) > now - ORPHAN_AGE:
                continue
            report.orphans += 1
            report.orphan_bytes += default_storage.size(name)
            if not report.dry_run:
                default_storage.delete(name)
    missing = sorted(n for n in known - seen if n.startswith(tuple(f"{f}/" for f in SWEPT)))
    report.missing = len(missing)
    report.missing_files = missing[:MISSING_LISTED]
