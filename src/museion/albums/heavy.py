"""How much heavy work one user and one workspace may have in flight: zip imports and video jobs.

A zip is imported inside its request (every photo decoded): it holds a slot in the
cache for as long, one per user and one per workspace (a slot of a process that died
frees itself after ZIP_LEASE_SECONDS). A video's frames are taken by a background job,
so its slots are its queued and running jobs, counted in the database when the upload
makes its job. Past a limit the upload is refused with `Busy` (429 with Retry-After),
before anything is stored; 0 turns a limit off. With MUSEION_CACHE_URL the zip slots
are shared by every web node; without it each process counts its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache

from museion.accounts.models import User, Workspace
from museion.albums.models import Job
from museion.errors import DomainError

ZIP_LEASE_SECONDS = 600  # longer than any zip import within the upload limit takes
ZIP_RETRY_AFTER = 5
VIDEO_RETRY_AFTER = 15
ACTIVE = (Job.Status.QUEUED, Job.Status.RUNNING)


class Busy(DomainError):
    """Too much of this work is in flight for the caller or the workspace: try again after `retry_after`."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__("too_busy", message)
        self.retry_after = retry_after


@contextmanager
def zip_slot(workspace: Workspace, user: User | None) -> Iterator[None]:
    """Hold a zip-import slot of the user and of the workspace while the block runs, or raise Busy."""
    scopes = [(f"workspace:{workspace.pk}", settings.MAX_ZIPS_PER_WORKSPACE, "this workspace is")]
    if user is not None:
        scopes.insert(0, (f"user:{user.pk}", settings.MAX_ZIPS_PER_USER, "you are"))
    held: list[str] = []
    try:
        for scope, limit, who in scopes:
            if not limit:
                continue
            key = _take(f"museion:zip:{scope}", limit)
            if key is None:
                files = f"{limit} zip file{'s' if limit != 1 else ''}"
                raise Busy(
                    f"{who} already importing {files}, the most at once; send this one when that is done",
                    ZIP_RETRY_AFTER,
                )
            held.append(key)
        yield
    finally:
        cache.delete_many(held)


def _take(prefix: str, limit: int) -> str | None:
    """One of `limit` slots under `prefix`, taken atomically (cache.add sets only a missing key)."""
    token = uuid.uuid4().hex
    for index in range(limit):
        key = f"{prefix}:{index}"
        if cache.add(key, token, timeout=ZIP_LEASE_SECONDS):
            return key
    return None


def admit_video(workspace: Workspace, user: User | None) -> None:
    """Raise Busy when the user or the workspace already has its limit of video jobs waiting or running.

    Call it in the transaction that makes the job: the user's and the workspace's rows stay locked
    until it ends, so two uploads at once cannot both take the last slot.
    """
    if user is not None and settings.MAX_VIDEO_JOBS_PER_USER:
        User.objects.select_for_update().filter(pk=user.pk).first()
        mine = Job.objects.filter(kind=Job.Kind.VIDEO, status__in=ACTIVE, created_by=user).count()
        if mine >= settings.MAX_VIDEO_JOBS_PER_USER:
            raise Busy(_video_message("you have", mine), VIDEO_RETRY_AFTER)
    if settings.MAX_VIDEO_JOBS_PER_WORKSPACE:
        Workspace.objects.select_for_update().filter(pk=workspace.pk).first()
        theirs = Job.objects.filter(
            kind=Job.Kind.VIDEO, status__in=ACTIVE, album__workspace=workspace
        ).count()
        if theirs >= settings.MAX_VIDEO_JOBS_PER_WORKSPACE:
            raise Busy(_video_message("this workspace has", theirs), VIDEO_RETRY_AFTER)


def _video_message(who: str, count: int) -> str:
    return f"{who} {count} videos waiting for their frames to be taken; send this one when one is done"
