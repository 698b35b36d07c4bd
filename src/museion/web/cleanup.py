"""Retention and orphans: what `museion cleanup` and the daily task remove.

- Stored predictions (a signed-in user's photo, thumbnail and result) older than
  the retention of the user's personal workspace (`Workspace.retention_days`, or
  MUSEION_RETENTION_DAYS for all; 0 keeps them for ever), or than `older_than`
  when given.
- Orphaned files: files under the storage's `predictions/` and `albums/` that no
  row names, left by a process killed between writing a file and its row, or a
  half-written `.partial-` file. Only those older than ORPHAN_AGE, so that an
  upload in flight is never touched.

Album media are never removed by age: they are the organization's training data,
deleted only by a person. Rows whose file is missing are reported, not deleted.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from django.core.files.storage import default_storage
from django.utils import timezone

from museion.accounts.models import User
from museion.accounts.workspaces import personal_workspace
from museion.albums.models import AlbumClass, MediaItem, ModelVersion, SourceVideo
from museion.recognition import services
from museion.recognition.models import Prediction

ORPHAN_AGE = timedelta(hours=1)
SWEPT = ("predictions", "albums")  # the folders of stored files
MISSING_LISTED = 20


@dataclass
class Report:
    dry_run: bool
    predictions: int = 0
    orphans: int = 0
    orphan_bytes: int = 0
    missing: int = 0
    missing_files: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def cleanup(older_than: timedelta | None = None, *, dry_run: bool = False) -> Report:
    report = Report(dry_run=dry_run)
    now = timezone.now()
    expire_predictions(report, now, older_than)
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
        expired = Prediction.objects.filter(user=user, created__lt=now - keep)
        report.predictions += expired.count()
        if not report.dry_run:
            for prediction in expired.iterator():
                services.delete(prediction)


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
