"""What `museion cleanup` may remove of the albums: failed uploads only, and which files albums own.

Visitors' photos kept for review are removed past their album's retention
(`museion.albums.review.expire`). Album media are never removed by age: they are
the organization's training data, deleted only by a person. Videos that never
became anything (no frame kept, every job of theirs failed or cancelled, the
last one over FAILED_UPLOAD_AGE ago) are the exception: nobody can see, train on
or delete such a clip on its own, yet it counts against the quota; the week lets
the person read the failure in the album's jobs.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q

from museion.albums import media
from museion.albums.models import AlbumClass, Job, MediaItem, ModelVersion, ReviewItem, SourceVideo

FOLDER = "albums"  # where pictures, videos, covers and model bundles lie
FAILED_UPLOAD_AGE = timedelta(days=7)


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


def expire_failed_videos(now: datetime, *, dry_run: bool = False) -> tuple[int, int]:
    """Remove the failed videos with their files; the count and the bytes they held."""
    videos = failed_videos(now)
    if not dry_run:
        for video in videos:
            media.delete_video(video)
    return len(videos), sum(v.size for v in videos)


def stored_names() -> set[str]:
    """Every file an album row names."""
    names: set[str] = set()
    for model, fields in (
        (MediaItem, ("file",)),
        (SourceVideo, ("file",)),
        (ModelVersion, ("bundle",)),
        (AlbumClass, ("cover",)),
        (ReviewItem, ("file",)),
    ):
        for values in model.objects.values_list(*fields):
            names.update(v for v in values if v)
    return names
