"""`/api/v1/albums/...` and `/api/v1/jobs/...`: build, train and use an album's recognizer."""

from __future__ import annotations

import io

from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from ninja import File, Query, Router, Status
from ninja.files import UploadedFile

from museion.accounts.auth import TokenOrSession
from museion.accounts.models import Role
from museion.accounts.workspaces import personal_workspace
from museion.albums import jobs, languages, quota, review, services, stats, visitors
from museion.albums.access import album_for, class_for, job_for, media_for, media_many_for, video_for
from museion.albums.models import Album, AlbumClass
from museion.albums.schemas import (
    AlbumIn,
    AlbumOut,
    AlbumPatch,
    AlbumPrediction,
    AnswerIn,
    BulkDeleteIn,
    BulkMoveIn,
    ClassIn,
    ClassOut,
    ClassPatch,
    CountOut,
    JobEnvelope,
    JobOut,
    LanguageQuery,
    MediaOut,
    MoveIn,
    ReviewActionIn,
    ReviewBulkIn,
    ReviewPage,
    ReviewQuery,
    RotateIn,
    StatsOut,
    StatsQuery,
    UploadOut,
    VersionOut,
    VersionPatch,
    WorkOut,
)
from museion.http.ratelimit import limit_request
from museion.http.schemas import ErrorOut
from museion.http.uploads import read_upload

router = Router(tags=["albums"], auth=TokenOrSession())
JOBS_LISTED = 50
E = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


@router.post("/albums", response={201: AlbumOut, **E})
def create_album(request: HttpRequest, body: AlbumIn) -> Status:
    album = services.create_album(request.auth, body.workspace, body.name, body.description, body.fps)
    return Status(201, album.to_dict())


@router.get("/albums", response={200: list[AlbumOut], 401: ErrorOut})
def list_albums(request: HttpRequest) -> list[dict]:
    personal_workspace(request.auth)
    return [a.to_dict() for a in Album.objects.filter(workspace__memberships__user=request.auth).distinct()]


@router.get("/albums/{album_id}", response={200: AlbumOut, **E})
def get_album(request: HttpRequest, album_id: int) -> dict:
    album = album_for(request.auth, album_id)
    return {**album.to_dict(), "storage": quota.storage_of(album.workspace)}


@router.patch("/albums/{album_id}", response={200: AlbumOut, **E})
def update_album(request: HttpRequest, album_id: int, body: AlbumPatch) -> dict:
    album = album_for(request.auth, album_id, Role.EDITOR)
    return services.update_album(album, body.dict(exclude_unset=True)).to_dict()


@router.delete("/albums/{album_id}", response={204: None, **E})
def delete_album(request: HttpRequest, album_id: int) -> Status:
    services.delete_album(album_for(request.auth, album_id, Role.OWNER))
    return Status(204, None)


@router.post("/albums/{album_id}/classes", response={201: ClassOut, 409: ErrorOut, **E})
def create_class(request: HttpRequest, album_id: int, body: ClassIn) -> Status:
    album = album_for(request.auth, album_id, Role.EDITOR)
    return Status(201, services.create_class(album, body.dict()).to_dict())


@router.get("/albums/{album_id}/classes", response={200: list[ClassOut], **E})
def list_classes(request: HttpRequest, album_id: int) -> list[dict]:
    return [c.to_dict() for c in album_for(request.auth, album_id).classes.all()]


@router.patch("/albums/{album_id}/classes/{class_id}", response={200: ClassOut, 409: ErrorOut, **E})
def update_class(request: HttpRequest, album_id: int, class_id: int, body: ClassPatch) -> dict:
    found = class_for(request.auth, album_id, class_id, Role.EDITOR)
    return services.update_class(found, body.dict(exclude_unset=True)).to_dict()


@router.delete("/albums/{album_id}/classes/{class_id}", response={204: None, **E})
def delete_class(request: HttpRequest, album_id: int, class_id: int) -> Status:
    services.delete_class(class_for(request.auth, album_id, class_id, Role.EDITOR))
    return Status(204, None)


@router.post(
    "/albums/{album_id}/classes/{class_id}/media",
    response={202: UploadOut, 413: ErrorOut, 415: ErrorOut, 429: ErrorOut, **E},
)
def upload_media(request: HttpRequest, album_id: int, class_id: int, file: File[UploadedFile]) -> Status:
    found = class_for(request.auth, album_id, class_id, Role.EDITOR)
    added = services.add_media(found, file.name or "upload", read_upload(file), by=request.auth)
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


# Before the routes of one picture, whose {media_id} would take `move` and `delete`.
@router.post("/albums/{album_id}/media/move", response={200: CountOut, **E})
def move_media_many(request: HttpRequest, album_id: int, body: BulkMoveIn) -> dict:
    """Several pictures into one class of the same album: `count` moved."""
    items = media_many_for(request.auth, album_id, body.items, Role.EDITOR)
    to_class = class_for(request.auth, album_id, body.to_class, Role.EDITOR)
    return {"count": services.move_media_many(items, to_class)}


@router.post("/albums/{album_id}/media/delete", response={200: CountOut, **E})
def delete_media_many(request: HttpRequest, album_id: int, body: BulkDeleteIn) -> dict:
    items = media_many_for(request.auth, album_id, body.items, Role.EDITOR)
    return {"count": services.delete_media_many(items)}


@router.get(
    "/albums/{album_id}/media/{media_id}/file", url_name="album_media_file", response={200: None, **E}
)
def media_file(request: HttpRequest, album_id: int, media_id: int) -> FileResponse:
    return FileResponse(media_for(request.auth, album_id, media_id).file.open("rb"))


@router.delete("/albums/{album_id}/media/{media_id}", response={204: None, **E})
def delete_media(request: HttpRequest, album_id: int, media_id: int) -> Status:
    services.delete_media(media_for(request.auth, album_id, media_id, Role.EDITOR))
    return Status(204, None)


@router.post("/albums/{album_id}/media/{media_id}/move", response={200: MediaOut, **E})
def move_media(request: HttpRequest, album_id: int, media_id: int, body: MoveIn) -> dict:
    item = media_for(request.auth, album_id, media_id, Role.EDITOR)
    return services.move_media(item, class_for(request.auth, album_id, body.to_class, Role.EDITOR)).to_dict()


@router.post("/albums/{album_id}/media/{media_id}/rotate", response={200: MediaOut, 413: ErrorOut, **E})
def rotate_media(request: HttpRequest, album_id: int, media_id: int, body: RotateIn) -> dict:
    """Turn a picture clockwise; its cached embeddings are dropped, so training recomputes them."""
    return services.rotate_media(
        media_for(request.auth, album_id, media_id, Role.EDITOR), body.degrees
    ).to_dict()


@router.post("/albums/{album_id}/videos/{video_id}/rotate", response={200: CountOut, 413: ErrorOut, **E})
def rotate_video(request: HttpRequest, album_id: int, video_id: int, body: RotateIn) -> dict:
    """Turn every frame of a clip clockwise: `count` frames turned."""
    video = video_for(request.auth, album_id, video_id, Role.EDITOR)
    return {"count": services.rotate_video(video, body.degrees)}


@router.post("/albums/{album_id}/train", response={202: JobEnvelope, 409: ErrorOut, **E})
def train(request: HttpRequest, album_id: int) -> Status:
    job = services.start_training(album_for(request.auth, album_id, Role.EDITOR))
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
    return services.cancel_job(job_for(request.auth, job_id, Role.EDITOR)).to_dict()


@router.get("/albums/{album_id}/models", response={200: list[VersionOut], **E})
def list_versions(request: HttpRequest, album_id: int) -> list[dict]:
    album = album_for(request.auth, album_id)
    return [v.to_dict() for v in album.versions.select_related("album__published_version")]


@router.get("/albums/{album_id}/models/{number}", response={200: VersionOut, **E})
def get_version(request: HttpRequest, album_id: int, number: int) -> dict:
    return services.version_of(album_for(request.auth, album_id), number).to_dict()


@router.patch("/albums/{album_id}/models/{number}", response={200: VersionOut, 409: ErrorOut, **E})
def update_version(request: HttpRequest, album_id: int, number: int, body: VersionPatch) -> dict:
    """The version's unknown threshold (`null`: back to the calibrated one)."""
    version = services.version_of(album_for(request.auth, album_id, Role.EDITOR), number)
    return services.set_threshold(version, body.threshold).to_dict()


@router.post("/albums/{album_id}/models/{number}/publish", response={200: VersionOut, **E})
def publish_version(request: HttpRequest, album_id: int, number: int) -> dict:
    return services.publish_version(album_for(request.auth, album_id, Role.EDITOR), number).to_dict()


@router.get("/albums/{album_id}/models/{number}/bundle", url_name="album_bundle", response={200: None, **E})
def bundle(request: HttpRequest, album_id: int, number: int) -> FileResponse:
    version = services.version_of(album_for(request.auth, album_id), number)
    name = f"{version.album.slug}-v{version.number}.zip"
    return FileResponse(
        io.BytesIO(services.bundle_of(version)),
        as_attachment=True,
        filename=name,
        content_type="application/zip",
    )


@router.post(
    "/albums/{album_id}/predict",
    response={200: AlbumPrediction, 409: ErrorOut, 413: ErrorOut, 415: ErrorOut, **E},
)
def predict(
    request: HttpRequest, album_id: int, image: File[UploadedFile], query: Query[LanguageQuery]
) -> dict:
    album = album_for(request.auth, album_id)
    limit_request(request, "album_predict")
    return services.predict(album, read_upload(image), _member_picture, _asked(request, query))


def _asked(request: HttpRequest, query: LanguageQuery) -> list[str]:
    """The languages the caller reads: `?lang=` first, then Accept-Language (albums.languages)."""
    return languages.wanted(query.lang, request.headers.get("Accept-Language", ""))


@router.get("/albums/{album_id}/review", response={200: ReviewPage, **E})
def review_queue(request: HttpRequest, album_id: int, query: Query[ReviewQuery]) -> dict:
    """Visitors' photos waiting for a curator, newest first (any member may look)."""
    return review.page_of(album_for(request.auth, album_id), query.page)


@router.post("/albums/{album_id}/review", response={200: CountOut, **E})
def review_many(request: HttpRequest, album_id: int, body: ReviewBulkIn) -> dict:
    """One action for several waiting photos (all of them or none): `count` done."""
    album = album_for(request.auth, album_id, Role.EDITOR)
    items = review.items_of(album, body.ids)
    return {"count": services.review_action(album, items, body.action, body.class_id)}


@router.post("/albums/{album_id}/review/{item_id}", response={200: CountOut, **E})
def review_one(request: HttpRequest, album_id: int, item_id: int, body: ReviewActionIn) -> dict:
    """Assign the photo to a class, mark it "not a work", or discard it."""
    album = album_for(request.auth, album_id, Role.EDITOR)
    item = review.item_of(album, item_id)
    return {"count": services.review_action(album, [item], body.action, body.class_id)}


@router.get(
    "/albums/{album_id}/review/{item_id}/file", url_name="album_review_file", response={200: None, **E}
)
def review_file(request: HttpRequest, album_id: int, item_id: int) -> FileResponse:
    album = album_for(request.auth, album_id)
    return FileResponse(review.item_of(album, item_id).file.open("rb"), content_type="image/jpeg")


@router.get("/albums/{album_id}/stats", response={200: StatsOut, **E})
def album_stats(request: HttpRequest, album_id: int, query: Query[StatsQuery]) -> dict | HttpResponse:
    """Visitors' answers per day (`?format=csv`: as a CSV download)."""
    album = album_for(request.auth, album_id)
    if query.format == "csv":
        return _stats_csv(album, query)
    return stats.report(album, query.start, query.end)


@router.get("/albums/{album_id}/stats.csv", url_name="album_stats_csv", response={200: None, **E})
def album_stats_csv(request: HttpRequest, album_id: int, query: Query[StatsQuery]) -> HttpResponse:
    return _stats_csv(album_for(request.auth, album_id), query)


def _stats_csv(album: Album, query: StatsQuery) -> HttpResponse:
    response = HttpResponse(stats.as_csv(album, query.start, query.end), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{album.slug}-visitors.csv"'
    return response


def _member_picture(found: AlbumClass) -> str | None:
    """A work's picture for the album's members: the one visitors see when it has no cover."""
    shown = found.shown_media()
    return None if shown is None else reverse("api:album_media_file", args=[found.album_id, shown.pk])


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
def visitor_predict(
    request: HttpRequest, slug: str, image: File[UploadedFile], query: Query[LanguageQuery]
) -> dict:
    """What a visitor's phone sends: anonymous, for published albums only. The cards are in the
    visitor's language (`?lang=`, else Accept-Language) where the album has it, else its default."""
    album = visitors.visitor_album(slug)
    request.museion_user = None  # type: ignore[attr-defined]
    limit_request(request, "visitor")
    asked = _asked(request, query)
    return services.visitor_predict(album, read_upload(image), visitors.picture_url, asked)


@public.post(
    "/v/{slug}/answers", response={204: None, 400: ErrorOut, 404: ErrorOut, 429: ErrorOut}, auth=None
)
def visitor_answer(request: HttpRequest, slug: str, body: AnswerIn) -> Status:
    """An answer the phone made on its own (on-device recognition), for the visitor statistics."""
    album = visitors.visitor_album(slug)
    request.museion_user = None  # type: ignore[attr-defined]
    limit_request(request, "visitor")
    stats.record_reported(album, body.work, body.ms)
    return Status(204, None)


@public.get(
    "/v/{slug}/works",
    url_name="visitor_works",
    response={200: list[WorkOut], 400: ErrorOut, 404: ErrorOut},
    auth=None,
)
def visitor_works(request: HttpRequest, slug: str) -> list[dict]:
    """The works of a published album, for the visitors' "choose it from the list"."""
    return visitors.works(visitors.visitor_album(slug))


@public.get(
    "/v/{slug}/works/{work}/picture",
    url_name="visitor_work_picture",
    response={200: None, 400: ErrorOut, 404: ErrorOut},
    auth=None,
)
def visitor_work_picture(request: HttpRequest, slug: str, work: int) -> FileResponse:
    """One work's picture (its cover, or its first photo or frame): nothing else of the album."""
    return FileResponse(visitors.picture_of(visitors.visitor_album(slug), work).open("rb"))


# The phone keeps what it downloaded and asks again with If-None-Match: a 304 until a new version
# is published (or the threshold or a work's id changes, for the description).
def _unchanged(request: HttpRequest, etag: str) -> bool:
    asked = request.headers.get("If-None-Match", "")
    return etag in [tag.strip().removeprefix("W/") for tag in asked.split(",")] or asked.strip() == "*"


def _not_modified(etag: str, cache: str) -> HttpResponse:
    response = HttpResponse(status=304)
    response["ETag"], response["Cache-Control"] = etag, cache
    return response


REVALIDATE = "public, no-cache"
FOREVER = "public, max-age=31536000, immutable"


@public.get(
    "/v/{slug}/recognizer",
    url_name="visitor_recognizer",
    response={200: None, 304: None, 400: ErrorOut, 404: ErrorOut},
    auth=None,
)
def visitor_recognizer(request: HttpRequest, slug: str) -> HttpResponse:
    """The live version for recognising on the phone: threshold, outputs' works, preprocessing and
    model_url (`GET /v/{slug}/model`). ETag; 404 when the page is off or nothing is published."""
    found = visitors.recognizer(visitors.visitor_album(slug))
    if _unchanged(request, found.etag):
        return _not_modified(found.etag, REVALIDATE)
    response = JsonResponse(found.description)
    response["ETag"], response["Cache-Control"] = found.etag, REVALIDATE
    return response


@public.get(
    "/v/{slug}/model",
    url_name="visitor_model",
    response={200: None, 304: None, 400: ErrorOut, 404: ErrorOut},
    auth=None,
)
def visitor_model(request: HttpRequest, slug: str) -> HttpResponse:
    """The live version's model.onnx (uint8 RGB in, similarity out; see the bundle README)."""
    version = visitors.live_version(visitors.visitor_album(slug))
    etag = visitors.model_etag(version)
    # An address with an old ?v= is answered with today's model: the ETag says which it is.
    cache = FOREVER if request.GET.get("v") == etag.strip('"') else REVALIDATE
    # Gzipped where the phone takes it: 56% of the bytes on a museum's poor mobile data.
    gzipped = "gzip" in request.headers.get("Accept-Encoding", "").lower()
    tag = etag[:-1] + '-gzip"' if gzipped else etag  # another representation, another ETag
    if _unchanged(request, tag) or _unchanged(request, etag):
        response = _not_modified(tag, cache)
    else:
        body = visitors.model_gzip(version) if gzipped else visitors.model_bytes(version)
        response = HttpResponse(body, content_type="application/octet-stream")
        response["ETag"], response["Cache-Control"] = tag, cache
        if gzipped:
            response["Content-Encoding"] = "gzip"
    response["Vary"] = "Accept-Encoding"
    return response
