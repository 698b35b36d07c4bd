"""A workspace's storage: what its albums use, and the quota that refuses an upload past it.

The one owner of storage accounting: the quota itself is a workspace setting
(`Workspace.quota_bytes`), the bytes are those of the albums' rows, each of
which records the size of its file.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Sum

from museion.accounts.models import Workspace
from museion.albums.errors import QuotaExceeded
from museion.albums.models import MediaItem, ModelVersion, ReviewItem, SourceVideo


def storage_used(workspace: Workspace) -> int:
    """Bytes the workspace's albums keep in storage: photos, frames, videos, model bundles, and
    visitors' photos kept for review."""
    in_albums = {"album_class__album__workspace": workspace}
    return sum(
        model.objects.filter(**where).aggregate(total=Sum("size"))["total"] or 0
        for model, where in (
            (MediaItem, in_albums),
            (SourceVideo, in_albums),
            (ModelVersion, {"album__workspace": workspace}),
            (ReviewItem, {"album__workspace": workspace}),
        )
    )


def storage_of(workspace: Workspace) -> dict:
    return {"used_bytes": storage_used(workspace), "quota_bytes": workspace.quota_bytes}


def check_room(workspace: Workspace, incoming: int) -> None:
    """Refuse an upload that would take the workspace past its storage quota, before storing any of it."""
    quota = workspace.quota_bytes
    if not quota:
        return
    used = storage_used(workspace)
    if used + incoming > quota:
        raise QuotaExceeded(
            f"this upload ({incoming / 1e6:.1f} MB) would take the workspace past its storage quota: "
            f"{used / 1e6:.1f} MB of {quota / 1e6:.0f} MB are used. Delete media, classes or old "
            "model versions, or ask the server's operator for a larger quota",
        )


def claim_room(workspace: Workspace, incoming: int) -> None:
    """`check_room` made safe from races: call it in the transaction that adds the row.

    The workspace's row stays locked until that transaction ends, so two uploads
    can never both take the last megabytes: the second one counts the first.
    """
    if workspace.quota_bytes:
        check_room(Workspace.objects.select_for_update().get(pk=workspace.pk), incoming)


@contextmanager
def stored_within_quota(
    workspace: Workspace, name: str, data: bytes, room: int | None = None
) -> Iterator[str]:
    """Store `data` as a file, then run the block that records it (its rows) in one transaction
    that claims `room` bytes (the file's size unless told) of the workspace's quota.

    The file is written first, so no row ever names a file that is not there; if the block or the
    claim fails, the file is removed again: nothing is half kept, and the error goes on.
    """
    path = default_storage.save(name, ContentFile(data))
    try:
        with transaction.atomic():
            claim_room(workspace, len(data) if room is None else room)
            yield path
    except BaseException:
        default_storage.delete(path)
        raise
