"""`/api/v1/albums/...` and `/api/v1/jobs/...`: build, train and use an album's recognizer."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404
from kombu.exceptions import OperationalError as BrokerError
from ninja import File, Router, Status
from ninja.files import UploadedFile

from museion.accounts.auth import TokenOrSession
from museion.accounts.models import Role, Workspace
from museion.accounts.workspaces import personal_workspace
from museion.albums import heavy, jobs, media, tasks
from museion.albums.access import album_for, class_for, job_for
from museion.albums.models import Album, AlbumClass, Job, MediaItem
from museion.albums.recognize import recognize
from museion.albums.schemas import (
    AlbumIn,
    AlbumOut,
    AlbumPatch,
    AlbumPrediction,
    ClassIn,
    ClassOut,
    ClassPatch,
    JobEnvelope,
    JobOut,
    MediaOut,
    MoveIn,
    UploadOut,
    VersionOut,
)
from museion.vision.errors import ImageError
from museion.web.errors import ApiError
from museion.web.ratelimit import limit_request
from museion.web.schemas import ErrorOut
from museion.web.uploads import image_error, read_upload

router = Router(tags=["albums"], auth=TokenOrSession())
JOBS_LISTED = 50
E = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


@router.post("/albums", response={201: AlbumOut, **E})
def create_album(request: HttpRequest, body: AlbumIn) -> Status:
    workspace = (
        personal_workspace(request.auth) if body.workspace is None else _workspace(request, body.workspace)
    )
    album = Album.objects.create(
        workspace=workspace, name=body.name.strip(), description=body.description, fps=body.fps
    )
    return Status(201, album.to_dict())


def _workspace(request: HttpRequest, workspace_id: int) -> Workspace:
    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None or workspace.role_of(request.auth) is None:
        raise ApiError(404, "not_found", "no such workspace")
    if not workspace.allows(request.auth, Role.EDITOR):
        raise ApiError(403, "forbidden", "creating albums needs the editor role in the workspace")
    return workspace


@router.get("/albums", response={200: list[AlbumOut], 401: ErrorOut})
def list_albums(request: HttpRequest) -> list[dict]:
    personal_workspace(request.auth)
    return [a.to_dict() for a in Album.objects.filter(workspace__memberships__user=request.auth).distinct()]


@router.get("/albums/{album_id}", response={200: AlbumOut, **E})
def get_album(request: HttpRequest, album_id: int) -> dict:
    album = album_for(request.auth, album_id)
    return {**album.to_dict(), "storage": media.storage_of(album.workspace)}


@router.patch("/albums/{album_id}", response={200: AlbumOut, **E})
def update_album(request: HttpRequest, album_id: int, body: AlbumPatch) -> dict:
    album = album_for(request.auth, album_id, Role.EDITOR)
    _apply(album, body)
    album.save()
    return album.to_dict()


def _apply(target: Album | AlbumClass, patch: AlbumPatch | ClassPatch) -> None:
    """Copy the fields a PATCH gave; names are stored without surrounding spaces."""
    for field, value in patch.dict(exclude_unset=True).items():
        if value is not None:
            setattr(target, field, value.strip() if field == "name" else value)


@router.delete("/albums/{album_id}", response={204: None, **E})
def delete_album(request: HttpRequest, album_id: int) -> Status:
    media.delete_album(album_for(request.auth, album_id, Role.OWNER))
    return Status(204, None)


@router.post("/albums/{album_id}/classes", response={201: ClassOut, 409: ErrorOut, **E})
def create_class(request: HttpRequest, album_id: int, body: ClassIn) -> Status:
    album = album_for(request.auth, album_id, Role.EDITOR)
    try:
        with transaction.atomic():
            found = AlbumClass.objects.create(album=album, **{**body.dict(), "name": body.name.strip()})
    except IntegrityError:
        raise ApiError(409, "name_taken", f"the album already has a class named {body.name!r}") from None
    return Status(201, found.to_dict())


@router.get("/albums/{album_id}/classes", response={200: list[ClassOut], **E})
def list_classes(request: HttpRequest, album_id: int) -> list[dict]:
    return [c.to_dict() for c in album_for(request.auth, album_id).classes.all()]


@router.patch("/albums/{album_id}/classes/{class_id}", response={200: ClassOut, 409: ErrorOut, **E})
def update_class(request: HttpRequest, album_id: int, class_id: int, body: ClassPatch) -> dict:
    found = class_for(request.auth, album_id, class_id, Role.EDITOR)
    _apply(found, body)
    try:
        with transaction.atomic():
            found.save()
    except IntegrityError:
        raise ApiError(409, "name_taken", "the album already has a class with this name") from None
    return found.to_dict()


@router.delete("/albums/{album_id}/classes/{class_id}", response={204: None, **E})
def delete_class(request: HttpRequest, album_id: int, class_id: int) -> Status:
    media.delete_class(class_for(request.auth, album_id, class_id, Role.EDITOR))
    return Status(204, None)


@router.post(
    "/albums/{album_id}/classes/{class_id}/media",
    response={202: UploadOut, 413: ErrorOut, 415: ErrorOut, 429: ErrorOut, **E},
)
def upload_media(request: HttpRequest, album_id: int, class_id: int, file: File[UploadedFile]) -> Status:
    found = class_for(request.auth, album_id, class_id, Role.EDITOR)
    try:
        added = media.add_upload(found, file.name or "upload", read_upload(file), by=request.auth)
    except media.MediaError as exc:
        raise ApiError(exc.status, exc.code, exc.message) from None
    except heavy.Busy as exc:
        raise ApiError(429, "too_busy", exc.message, {"Retry-After": str(exc.retry_after)}) from None
    if added.job is not None:
        try:
            tasks.enqueue(added.job.pk, added.job.kind)
        except BrokerError:
            media.discard_video(added.job)  # refused whole: no video waits for frames that never come
            raise
    return Status(
        202,
        {
            "items": [i.to_dict() for i in added.items],
            "job": added.job.to_dict() if added.job else None,
            "problems": added.problems,
        },
    )


@router.get("/albums/{album_id}/classes/{class_id}/media", response={200: list[MediaOut], **E})
def list_media(request: HttpRequest, album_id: int, class_id: int) -> list[dict]:
    found = class_for(request.auth, album_id, class_id)
    return [m.to_dict() for m in found.media.select_related("album_class")]


def _media(request: HttpRequest, album_id: int, media_id: int, needed: Role = Role.VIEWER) -> MediaItem:
    album = album_for(request.auth, album_id, needed)
    return get_object_or_404(
        MediaItem.objects.select_related("album_class"), pk=media_id, album_class__album=album
    )


@router.get(
    "/albums/{album_id}/media/{media_id}/file", url_name="album_media_file", response={200: None, **E}
)
def media_file(request: HttpRequest, album_id: int, media_id: int) -> FileResponse:
    return FileResponse(_media(request, album_id, media_id).file.open("rb"))


@router.delete("/albums/{album_id}/media/{media_id}", response={204: None, **E})
def delete_media(request: HttpRequest, album_id: int, media_id: int) -> Status:
    media.delete_item(_media(request, album_id, media_id, Role.EDITOR))
    return Status(204, None)


@router.post("/albums/{album_id}/media/{media_id}/move", response={200: MediaOut, **E})
def move_media(request: HttpRequest, album_id: int, media_id: int, body: MoveIn) -> dict:
    item = _media(request, album_id, media_id, Role.EDITOR)
    item.album_class = class_for(request.auth, album_id, body.to_class, Role.EDITOR)
    item.save(update_fields=["album_class"])
    return item.to_dict()


@router.post("/albums/{album_id}/train", response={202: JobEnvelope, 409: ErrorOut, **E})
def train(request: HttpRequest, album_id: int) -> Status:
    album = album_for(request.auth, album_id, Role.EDITOR)
    if album.classes.filter(media__isnull=False).distinct().count() < 2:
        raise ApiError(400, "not_enough_classes", "add pictures to at least two classes before training")
    if album.jobs.filter(kind=Job.Kind.TRAIN, status__in=[Job.Status.QUEUED, Job.Status.RUNNING]).exists():
        raise ApiError(409, "already_training", "this album is already training; wait or cancel that job")
    job = Job.objects.create(album=album, kind=Job.Kind.TRAIN, stage="queued")
    tasks.enqueue(job.pk, job.kind)
    return Status(202, {"job": job.to_dict()})


@router.get("/jobs/{job_id}", response={200: JobOut, **E})
def get_job(request: HttpRequest, job_id: int) -> dict:
    jobs.fail_stale()
    return job_for(request.auth, job_id).to_dict()


@router.get("/albums/{album_id}/jobs", response={200: list[JobOut], **E})
def list_jobs(request: HttpRequest, album_id: int) -> list[dict]:
    """The album's latest jobs, newest first."""
    album = album_for(request.auth, album_id)
    jobs.fail_stale()
    return [j.to_dict() for j in album.jobs.all()[:JOBS_LISTED]]


@router.post("/jobs/{job_id}/cancel", response={200: JobOut, 409: ErrorOut, **E})
def cancel_job(request: HttpRequest, job_id: int) -> dict:
    job = job_for(request.auth, job_id, Role.EDITOR)
    if not jobs.cancel(job):
        raise ApiError(409, "job_finished", f"the job has already {job.status}")
    return job.to_dict()


@router.get("/albums/{album_id}/models", response={200: list[VersionOut], **E})
def list_versions(request: HttpRequest, album_id: int) -> list[dict]:
    album = album_for(request.auth, album_id)
    return [v.to_dict() for v in album.versions.select_related("album")]


@router.post("/albums/{album_id}/models/{number}/publish", response={200: VersionOut, **E})
def publish_version(request: HttpRequest, album_id: int, number: int) -> dict:
    album = album_for(request.auth, album_id, Role.EDITOR)
    version = get_object_or_404(album.versions, number=number)
    Album.objects.filter(pk=album.pk).update(published_version=version)
    version.album.refresh_from_db()
    return version.to_dict()


@router.get("/albums/{album_id}/models/{number}/bundle", url_name="album_bundle", response={200: None, **E})
def bundle(request: HttpRequest, album_id: int, number: int) -> FileResponse:
    version = get_object_or_404(album_for(request.auth, album_id).versions, number=number)
    name = f"{version.album.slug}-v{version.number}.zip"
    return FileResponse(
        version.bundle.open("rb"), as_attachment=True, filename=name, content_type="application/zip"
    )


@router.post(
    "/albums/{album_id}/predict",
    response={200: AlbumPrediction, 409: ErrorOut, 413: ErrorOut, 415: ErrorOut, **E},
)
def predict(request: HttpRequest, album_id: int, image: File[UploadedFile]) -> dict:
    album = album_for(request.auth, album_id)
    limit_request(request, "album_predict")
    return predict_with(album, image)


def predict_with(album: Album, image: UploadedFile) -> dict:
    version = album.published_version
    if version is None:
        raise ApiError(409, "no_model", "this album has no trained model yet")
    try:
        return recognize(version, read_upload(image))
    except ImageError as exc:
        raise image_error(exc) from None


public = Router(tags=["visitor"])


@public.post(
    "/v/{slug}/predict",
    response={
        200: AlbumPrediction,
        400: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        413: ErrorOut,
        415: ErrorOut,
        429: ErrorOut,
    },
    auth=None,
)
def visitor_predict(request: HttpRequest, slug: str, image: File[UploadedFile]) -> dict:
    """What a visitor's phone sends: anonymous, for published albums only."""
    album = Album.objects.filter(slug=slug, published=True).select_related("published_version").first()
    if album is None:
        raise ApiError(404, "not_found", "no published album here")
    request.museion_user = None  # type: ignore[attr-defined]
    limit_request(request, "visitor")
    return predict_with(album, image)
