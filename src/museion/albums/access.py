"""Who may do what with an album: one place for every view and endpoint.

Anything a user may not even see is `NotFound`, exactly like something missing;
something they may see but not change is `Forbidden` (museion.accounts.access). The
message of a NotFound is the same for all, so that an outsider's answer tells nothing.
"""

from __future__ import annotations

from museion.accounts.access import require
from museion.accounts.models import Role, User
from museion.albums.models import Album, AlbumClass, Job, MediaItem, SourceVideo
from museion.errors import NotFound


def album_for(user: User, album_id: int, needed: Role = Role.VIEWER) -> Album:
    album = Album.objects.select_related("workspace").filter(pk=album_id).first()
    if album is None:
        raise NotFound()
    try:
        require(album.workspace, user, needed)
    except NotFound:
        raise NotFound() from None  # the answer for a missing album, word for word
    return album


def class_for(user: User, album_id: int, class_id: int, needed: Role = Role.VIEWER) -> AlbumClass:
    album = album_for(user, album_id, needed)
    found = album.classes.filter(pk=class_id).first()
    if found is None:
        raise NotFound()
    return found


def media_for(user: User, album_id: int, media_id: int, needed: Role = Role.VIEWER) -> MediaItem:
    album = album_for(user, album_id, needed)
    found = (
        MediaItem.objects.select_related("album_class").filter(pk=media_id, album_class__album=album).first()
    )
    if found is None:
        raise NotFound()
    return found


def media_many_for(user: User, album_id: int, ids: list[int], needed: Role = Role.VIEWER) -> list[MediaItem]:
    """Pictures of one album, all of them or NotFound (one of another album is as missing)."""
    album = album_for(user, album_id, needed)
    wanted = set(ids)
    found = list(
        MediaItem.objects.select_related("album_class__album__workspace").filter(
            pk__in=wanted, album_class__album=album
        )
    )
    if len(found) != len(wanted):
        raise NotFound()
    return found


def video_for(user: User, album_id: int, video_id: int, needed: Role = Role.VIEWER) -> SourceVideo:
    album = album_for(user, album_id, needed)
    found = SourceVideo.objects.filter(pk=video_id, album_class__album=album).first()
    if found is None:
        raise NotFound()
    return found


def job_for(user: User, job_id: int, needed: Role = Role.VIEWER) -> Job:
    job = Job.objects.select_related("album").filter(pk=job_id).first()
    if job is None:
        raise NotFound()
    album_for(user, job.album_id, needed)
    return job
