"""`museion cleanup` and the daily task: each domain's expiry, then one sweep of orphaned files.

- Stored predictions past their retention (`museion.recognition.retention`).
- Videos that never became anything (`museion.albums.cleanup`); album media are
  never removed by age.
- Visitors' photos kept for review past their album's retention (`museion.albums.review`).
- Orphaned files: files under each domain's folder (`predictions/`, `albums/`)
  that no row names, left by a process killed between writing a file and its
  row, or a half-written `.partial-` file. Only those older than ORPHAN_AGE, so
  that an upload in flight is never touched. Rows whose file is missing are
  reported, not deleted.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from django.core.files.storage import default_storage
from django.utils import timezone

from museion.albums import cleanup as albums
from museion.albums import review
from museion.recognition import retention as predictions

ORPHAN_AGE = timedelta(hours=1)
DOMAINS = (predictions, albums)  # each with its FOLDER and stored_names()
MISSING_LISTED = 20


@dataclass
class Report:
    dry_run: bool
    predictions: int = 0
    prediction_bytes: int = 0
    failed_videos: int = 0
    failed_video_bytes: int = 0
    review_photos: int = 0
    review_photo_bytes: int = 0
    orphans: int = 0
    orphan_bytes: int = 0
    missing: int = 0
    missing_files: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def removed_bytes(self) -> int:
        return self.prediction_bytes + self.failed_video_bytes + self.review_photo_bytes + self.orphan_bytes


def cleanup(older_than: timedelta | None = None, *, dry_run: bool = False) -> Report:
    report = Report(dry_run=dry_run)
    now = timezone.now()
    report.predictions, report.prediction_bytes = predictions.expire(now, older_than, dry_run=dry_run)
    report.failed_videos, report.failed_video_bytes = albums.expire_failed_videos(now, dry_run=dry_run)
    report.review_photos, report.review_photo_bytes = review.expire(now, dry_run=dry_run)
    sweep_files(report, now)
    return report


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
    known = set().union(*(domain.stored_names() for domain in DOMAINS))
    folders = tuple(domain.FOLDER for domain in DOMAINS)
    seen: set[str] = set()
    for folder in folders:
        for name in stored_files(folder):
            seen.add(name)
            if name in known or default_storage.get_modified_time(name) > now - ORPHAN_AGE:
                continue
            report.orphans += 1
            report.orphan_bytes += default_storage.size(name)
            if not report.dry_run:
                default_storage.delete(name)
    missing = sorted(n for n in known - seen if n.startswith(tuple(f"{f}/" for f in folders)))
    report.missing = len(missing)
    report.missing_files = missing[:MISSING_LISTED]
