"""Every change to an album, in one place: the pages, the API, the tasks and the CLI call these.

Callers check access first (`museion.albums.access`: who may see or change the
album); a service refuses what the album's state forbids with a
`museion.errors.DomainError` whose `code` is stable. Services know nothing of
HTTP: the API answers a code with `museion.http.errors.status_for`, the pages
with `museion.http.pages`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerError

from museion.accounts.access import require
from museion.accounts.models import Role, User, Workspace
from museion.accounts.workspaces import personal_workspace
from museion.albums import jobs, languages, media, review, stats, tasks
from museion.albums.models import (
    DESCRIPTION_MAX,
    FPS_DEFAULT,
    TITLE_MAX,
    Album,
    AlbumClass,
    Job,
    MediaItem,
    ModelVersion,
    ReviewItem,
    SourceVideo,
)
from museion.albums.recognize import PictureUrl, current_classes, recognize
from museion.albums.versions import effective_threshold, global_threshold
from museion.errors import DomainError, NotFound
from museion.vision.bundle import with_current

ALBUM_FIELDS = (
    "name", "description", "fps", "published", "auto_publish", "keep_visitor_photos", "visitor_photo_days",
    "default_language",
)  # fmt: skip
CLASS_FIELDS = ("name", "title", "description", "url")


# ---- albums ----------------------------------------------------------------------------


def create_album(
    user: User, workspace: Workspace | int | None, name: str, description: str = "", fps: float = FPS_DEFAULT
) -> Album:
    """A new album in `workspace` (default: the user's personal one), which needs the editor role there."""
    if workspace is None:
        workspace = personal_workspace(user)
    elif isinstance(workspace, int):
        found = Workspace.objects.filter(pk=workspace).first()
        if found is None:
            raise NotFound(_("no such workspace"))
        workspace = found
    require(workspace, user, Role.EDITOR, _("creating albums"))
    return Album.objects.create(workspace=workspace, name=name.strip(), description=description, fps=fps)


def update_album(album: Album, changes: Mapping[str, object]) -> Album:
    """Its name, description, fps, whether the visitors' page is on, whether new versions go live by
    themselves (`versions.goes_live`), the language of its cards; None leaves a field as it is."""
    if changes.get("default_language") is not None:
        changes = {**changes, "default_language": languages.normalise(str(changes["default_language"]))}
    before = album.default_language
    _assign(album, changes, ALBUM_FIELDS)
    with transaction.atomic():
        album.save()
        if album.default_language != before:
            _rewrite_in_default_language(album, before)
    return album


def _rewrite_in_default_language(album: Album, before: str) -> None:
    """A class that has a translation in the album's new default language keeps both texts: that
    translation becomes its own title and description, and its own (in the `before` language)
    become the `before` translation. A class without one keeps its texts, now read as written in
    the new language (the curator saying what language they are in)."""
    new = album.default_language
    for album_class in album.classes.select_for_update():
        translations = dict(album_class.translations or {})
        text = translations.pop(new, None)
        if text is None:
            continue
        if album_class.title or album_class.description:
            translations[before] = {"title": album_class.title, "description": album_class.description}
        album_class.title = text.get("title") or album_class.title
        album_class.description = text.get("description") or album_class.description
        album_class.translations = dict(sorted(translations.items()))
        album_class.save(update_fields=["title", "description", "translations"])


def delete_album(album: Album) -> None:
    """The album with everything in it, its files in storage included."""
    media.delete_album(album)


def _assign(target: Album | AlbumClass, changes: Mapping[str, object], fields: tuple[str, ...]) -> None:
    """Copy the given fields; names are stored without surrounding spaces."""
    for field in fields:
        value = changes.get(field)
        if value is not None:
            setattr(target, field, value.strip() if field == "name" and isinstance(value, str) else value)


# ---- classes ---------------------------------------------------------------------------


def create_class(album: Album, changes: Mapping[str, object]) -> AlbumClass:
    found = AlbumClass(album=album)
    _assign(found, changes, CLASS_FIELDS)
    _translate(found, changes.get("translations"))
    return _save_class(found)


def update_class(album_class: AlbumClass, changes: Mapping[str, object]) -> AlbumClass:
    """The given fields; `translations` changes only the languages it names (see `_translate`)."""
    _assign(album_class, changes, CLASS_FIELDS)
    _translate(album_class, changes.get("translations"))
    return _save_class(album_class)


def set_translation(album_class: AlbumClass, lang: str, title: str, description: str) -> AlbumClass:
    """One language's title and description (both empty: that language is removed)."""
    return update_class(album_class, {"translations": {lang: {"title": title, "description": description}}})


def remove_translation(album_class: AlbumClass, lang: str) -> AlbumClass:
    return update_class(album_class, {"translations": {lang: None}})


def _translate(album_class: AlbumClass, changes: object) -> None:
    """Each language named gets the title and description given (replacing what it had); None, or
    both empty, removes it. Tags are normalised (`zh_Hans` -> `zh-hans`); the album's default
    language is not a translation: its texts are the class's own title and description."""
    if not changes:
        return
    if not isinstance(changes, Mapping):
        raise DomainError("invalid_translation", "translations are an object of languages")
    kept = dict(album_class.translations or {})
    for tag, text in changes.items():
        lang = languages.normalise(tag)
        title, description = _translation_text(lang, text)
        if not (title or description):
            kept.pop(lang, None)
            continue
        if lang == album_class.album.default_language:
            raise DomainError(
                "invalid_language",
                f"“{lang}” is the album's default language: the class's own title and description are in it",
            )
        kept[lang] = {"title": title, "description": description}
    if len(kept) > languages.LANGUAGES_MAX:
        raise DomainError("invalid_translation", f"a class has at most {languages.LANGUAGES_MAX} languages")
    album_class.translations = dict(sorted(kept.items()))


def _translation_text(lang: str, text: object) -> tuple[str, str]:
    if text is None:
        return "", ""
    if not isinstance(text, Mapping):
        raise DomainError("invalid_translation", f"the “{lang}” translation is an object: title, description")
    title, description = text.get("title") or "", text.get("description") or ""
    if not (isinstance(title, str) and isinstance(description, str)):
        raise DomainError("invalid_translation", f"the “{lang}” title and description are text")
    if len(title) > TITLE_MAX or len(description) > DESCRIPTION_MAX:
        raise DomainError(
            "invalid_translation",
            f"the “{lang}” title has at most {TITLE_MAX} characters and its description {DESCRIPTION_MAX}",
        )
    return title, description


def _save_class(album_class: AlbumClass) -> AlbumClass:
    try:
        with transaction.atomic():
            album_class.save()
    except IntegrityError:
        raise DomainError(
            "name_taken", _("the album already has a class named “%(name)s”") % {"name": album_class.name}
        ) from None
    return album_class


def delete_class(album_class: AlbumClass) -> None:
    """The class, its pictures, videos and cover, their files in storage included."""
    media.delete_class(album_class)


# ---- media -----------------------------------------------------------------------------


def add_media(album_class: AlbumClass, name: str, data: bytes, by: User | None = None) -> media.Added:
    """A photo, a zip of photos or a video (sent by `by`, whose heavy work in flight is limited: a
    `heavy.Busy`); a video's frames come from a job queued here."""
    added = media.add_upload(album_class, name, data, by)
    if added.job is not None:
        try:
            tasks.enqueue(added.job.pk, added.job.kind)
        except BrokerError:
            media.discard_video(added.job)  # refused whole: no video waits for frames that never come
            raise
    return added


def delete_media(item: MediaItem) -> None:
    media.delete_item(item)


def move_media(item: MediaItem, to_class: AlbumClass) -> MediaItem:
    """Into another class of the same album (a class of another album is not there to be found)."""
    if to_class.album_id != item.album_class.album_id:
        raise NotFound()
    item.album_class = to_class
    item.save(update_fields=["album_class"])
    return item


def move_media_many(items: list[MediaItem], to_class: AlbumClass) -> int:
    """Several pictures of one album into another of its classes; how many moved."""
    for item in items:
        move_media(item, to_class)
    return len(items)


def delete_media_many(items: list[MediaItem]) -> int:
    with transaction.atomic():
        for item in items:
            media.delete_item(item)
    return len(items)


def rotate_media(item: MediaItem, degrees: int) -> MediaItem:
    """Turn a picture by 90, 180 or 270 degrees clockwise; training recomputes its embedding."""
    return media.rotate_item(item, degrees)


def rotate_video(video: SourceVideo, degrees: int) -> int:
    """Turn every frame of a clip (a phone held the wrong way); how many frames were turned."""
    frames = list(video.items.select_related("album_class__album__workspace"))
    for item in frames:
        media.rotate_item(item, degrees)
    return len(frames)


# ---- training and versions -------------------------------------------------------------


def start_training(album: Album) -> Job:
    if album.classes.filter(media__isnull=False).distinct().count() < 2:
        raise DomainError("not_enough_classes", _("add pictures to at least two classes before training"))
    if album.jobs.filter(kind=Job.Kind.TRAIN, status__in=[Job.Status.QUEUED, Job.Status.RUNNING]).exists():
        raise DomainError("already_training", _("this album is already training; wait or cancel that job"))
    job = Job.objects.create(album=album, kind=Job.Kind.TRAIN, stage="queued")
    tasks.enqueue(job.pk, job.kind)
    return job


def cancel_job(job: Job) -> Job:
    if not jobs.cancel(job):
        raise DomainError("job_finished", _("the job has already %(status)s") % {"status": job.status})
    return job


def publish_version(album: Album, number: int) -> ModelVersion:
    """Make version `number` the live one, which answers predictions and visitors (any earlier
    version can be made live again: a rollback)."""
    version = version_of(album, number)
    album.publish(version)
    version.album = album
    return version


def version_of(album: Album, number: int) -> ModelVersion:
    version = album.versions.select_related("album__published_version").filter(number=number).first()
    if version is None:
        raise NotFound()
    return version


def set_threshold(version: ModelVersion, threshold: float | None) -> ModelVersion:
    """The curator's unknown threshold for the version; None goes back to the calibrated one."""
    if threshold is not None and version.metrics.get("scores") is None:
        raise DomainError(
            "no_validation_scores", _("this version was trained before thresholds could be set; train again")
        )
    version.threshold = threshold
    version.save(update_fields=["threshold"])
    return version


def predict(album: Album, data: bytes, picture_url: PictureUrl, asked: Sequence[str] = ()) -> dict:
    """The live version's answer for a photo (image errors are `museion.vision` ones), with each
    work's current visitor information in the best of the `asked` languages (`languages.wanted`),
    else the album's default; `picture_url` says where the caller can see a work's picture."""
    version = album.published_version
    if version is None:
        raise DomainError("no_model", _("this album has no trained model yet"))
    return recognize(version, data, picture_url, asked, album.default_language)


def visitor_predict(album: Album, data: bytes, picture_url: PictureUrl, asked: Sequence[str] = ()) -> dict:
    """A visitor's answer: `predict`, counted in the visitor statistics and, when the album keeps
    them, the photo kept for review if the recognizer was unsure (never changing the answer)."""
    started = time.perf_counter()
    answer = predict(album, data, picture_url, asked)
    ms = (time.perf_counter() - started) * 1000
    best = answer["predictions"][0]["class_id"] if answer["predictions"] else None
    stats.record(album, None if answer["unknown"] else best, ms, unknown=answer["unknown"])
    review.keep(album, data, answer)
    return answer


def review_action(album: Album, items: list[ReviewItem], action: str, class_id: int | None = None) -> int:
    """What a curator decided for photos of the review queue (`review.act`); how many."""
    album_class = None
    if action == "assign":
        if class_id is None:
            raise DomainError("class_required", _("assigning a photo needs the class it shows"))
        album_class = album.classes.filter(pk=class_id).first()
        if album_class is None:
            raise NotFound(_("no such class in this album"))
    return review.act(items, action, album_class)


def bundle_of(version: ModelVersion) -> bytes:
    """The version's bundle as downloaded now: its model as trained, with the works' current text
    (a snapshot, dated) and the threshold in use."""
    with version.bundle.open("rb") as f:
        data = f.read()
    threshold, global_at = effective_threshold(version), global_threshold(version)
    if threshold is None or global_at is None:
        return data  # a version without metrics: the bundle as it was made
    taken = timezone.now().isoformat()
    rows = current_classes(version)
    lang = version.album.default_language  # of each label's own title and description
    labels = [
        {**(row.info() if row else {**info, "deleted": True}), "lang": lang, "snapshot_taken": taken}
        for info, row in zip(version.classes, rows, strict=True)
    ]
    set_by = "calibration" if version.threshold is None else "curator"
    return with_current(data, labels, threshold, global_at, set_by)
