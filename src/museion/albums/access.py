"""Who may do what with an album: one place for every view and endpoint.

Anything a user may not even see answers 404, exactly like something missing;
something they may see but not change answers 403.
"""

from __future__ import annotations

from django.http import Http404

from museion.accounts.models import Role, User
from museion.albums.models import Album, AlbumClass, Job
from museion.web.errors import ApiError


def album_for(user: User, album_id: int, needed: Role = Role.VIEWER) -> Album:
    album = Album.objects.select_related("workspace").filter(pk=album_id).first()
    if album is None or album.workspace.role_of(user) is None:
        raise Http404
    if not album.workspace.allows(user, needed):
        raise ApiError(403, "forbidden", f"this needs the {needed.value} role in the album's workspace")
    return album


def class_for(user: User, album_id: int, class_id: int, needed: Role = Role.VIEWER) -> AlbumClass:
    album = album_for(user, album_id, needed)
    found = album.classes.filter(pk=class_id).first()
    if found is None:
        raise Http404
    return found


def job_for(user: User, job_id: int, needed: Role = Role.VIEWER) -> Job:
    job = Job.objects.select_related("album").filter(pk=job_id).first()
    if job is None:
        raise Http404
    album_for(user, job.album_id, needed)
    return job
