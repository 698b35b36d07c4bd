"""Predicting on an upload, and storing the result for a signed-in user."""

from __future__ import annotations

import base64
import io
import logging
import threading
import uuid
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from museion.accounts.models import User
from museion.errors import DomainError
from museion.recognition.models import Prediction
from museion.vision.catalog import Catalog, ModelSpec, first_synonym
from museion.vision.classify import classify
from museion.vision.detect import Detection, detect
from museion.vision.draw import draw
from museion.vision.errors import ModelError, WrongTask
from museion.vision.images import Photo, open_photo
from museion.vision.languages import ENGLISH
from museion.vision.occlusion import occlusion_map

log = logging.getLogger("museion.recognition")
# A heat map is about 50 classifications in one request: one at a time in each web process, so
# that a few of them cannot hold every core of a small server (the next is asked to retry).
HEAT_MAPS_AT_ONCE = threading.BoundedSemaphore(1)
HEAT_MAP_RETRY_AFTER = 2
THUMBNAIL_SIZE = (240, 240)
EXTENSIONS = {
    "JPEG": "jpg",
    "MPO": "jpg",
    "PNG": "png",
    "WEBP": "webp",
    "BMP": "bmp",
    "GIF": "gif",
    "HEIF": "heic",
    "AVIF": "avif",
}


@dataclass
class Outcome:
    spec: ModelSpec
    photo: Photo
    items: list[dict] = field(default_factory=list)
    lang: str = ENGLISH

    @property
    def key(self) -> str:
        return "predictions" if self.spec.task == "classify" else "detections"

    def to_dict(self) -> dict:
        return {
            "model": self.spec.name,
            "task": self.spec.task,
            "width": self.photo.width,
            "height": self.photo.height,
            "lang": self.lang,
            self.key: self.items,
        }


def servable_model(name: str) -> ModelSpec:
    """The classifier or detector called `name` (UnknownModel, WrongTask: `museion.vision` errors)."""
    spec = Catalog().get(name)
    if spec.task not in ("classify", "detect"):
        raise WrongTask(f"{name!r} is an {spec.task} model; choose a classifier or a detector")
    return spec


def predict(
    data: bytes, spec: ModelSpec, *, top_k: int = 5, threshold: float = 0.3, lang: str = ENGLISH
) -> Outcome:
    """Run `spec` on the uploaded bytes, its labels in `lang` (a shipped language, see
    `museion.vision.languages`). A bad image raises its `museion.vision` ImageError."""
    photo = open_photo(data, target_size=spec.input.decode_size)
    try:
        if spec.task == "classify":
            items = [named(p.to_dict(), spec, lang) for p in classify(photo.image, spec, top_k)]
        else:
            items = [named(d.to_dict(), spec, lang) for d in detect(photo, spec, threshold)]
    except ModelError as exc:
        log.error("model %s failed: %s", spec.name, exc)  # the server's problem, not the caller's
        raise
    return Outcome(spec, photo, items, lang)


def named(item: dict, spec: ModelSpec, lang: str = ENGLISH) -> dict:
    """`label` is the common name people read ("tench", or "丁鲷" in zh-hans); `label_en` is the
    English one and `full_label` the catalog's whole English label ("tench, Tinca tinca")."""
    english = first_synonym(item["label"])
    label = spec.common_label(item["index"], lang) if lang != ENGLISH else english
    return {**item, "label": label, "label_en": english, "full_label": item["label"]}


def neutral(item: dict) -> dict:
    """An item as the history keeps it: in English, so that it reads in any language later."""
    kept = {**item, "label": item.get("label_en", item["label"])}
    kept.pop("label_en", None)
    return kept


class HeatMapBusy(DomainError):
    """Another heat map is being computed in this process: try again after `retry_after` seconds."""

    def __init__(self) -> None:
        super().__init__("too_busy", "another heat map is being computed; try again in a moment")
        self.retry_after = HEAT_MAP_RETRY_AFTER


def heat_map(
    data: bytes, spec: ModelSpec, *, grid: int = 7, index: int | None = None, lang: str = ENGLISH
) -> dict:
    """How the classifier's score for label `index` (its top label when None) changes as each cell
    of a `grid` x `grid` over the photo is greyed; the region is in the uploaded photo's pixels,
    the label in `lang` as `predict`'s are."""
    if spec.task != "classify":
        raise WrongTask(f"{spec.name!r} detects objects; a heat map needs a classifier")
    if index is not None and not 0 <= index < len(spec.labels):
        raise DomainError(
            "unknown_label",
            _("the model has labels 0 to %(last)s, not %(index)s")
            % {"last": len(spec.labels) - 1, "index": index},
        )
    photo = open_photo(data, target_size=spec.input.decode_size)
    if not HEAT_MAPS_AT_ONCE.acquire(blocking=False):
        raise HeatMapBusy()
    try:
        found = occlusion_map(photo.image, spec, grid, index)
    finally:
        HEAT_MAPS_AT_ONCE.release()
    region = [v * photo.scale for v in found.region]
    label = named({"index": found.index, "label": spec.label(found.index)}, spec, lang)
    return {
        "model": spec.name, "width": photo.width, "height": photo.height,
        **found.to_dict(), **label, "region": region, "lang": lang,
    }  # fmt: skip


def annotated_data_url(outcome: Outcome, data: bytes) -> str:
    """The photo with its boxes drawn, as a JPEG data URL."""
    photo = open_photo(data)  # full resolution: the drawing is for people
    # English on the picture: the drawing's font has no glyphs for every script.
    found = [
        Detection(d.get("label_en", d["label"]), d["index"], d["score"], tuple(d["box"]))
        for d in outcome.items
    ]
    buffer = io.BytesIO()
    draw(photo.image, found).save(buffer, "JPEG", quality=85)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()


def store(user: User, outcome: Outcome, data: bytes) -> Prediction:
    """Keep the upload, a thumbnail and the result. All or nothing: files are
    removed again if the database write fails."""
    stem = f"predictions/{user.pk}/{uuid.uuid4().hex}"
    ext = EXTENSIONS.get(outcome.photo.format or "", "img")
    saved: list[str] = []
    try:
        saved.append(default_storage.save(f"{stem}.{ext}", ContentFile(data)))
        saved.append(default_storage.save(f"{stem}.thumb.jpg", ContentFile(_thumbnail(outcome.photo))))
        items = [neutral(i) for i in outcome.items]
        top = items[0] if items else {}
        with transaction.atomic():
            return Prediction.objects.create(
                user=user, model=outcome.spec.name, task=outcome.spec.task,
                image=saved[0], thumbnail=saved[1], width=outcome.photo.width, height=outcome.photo.height,
                label=top.get("label", ""), score=top.get("score"), result=items,
            )  # fmt: skip
    except Exception:
        for name in saved:
            default_storage.delete(name)
        raise


def _thumbnail(photo: Photo) -> bytes:
    image = photo.image.copy()
    image.thumbnail(THUMBNAIL_SIZE)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def delete(prediction: Prediction) -> None:
    names = [prediction.image.name, prediction.thumbnail.name]
    prediction.delete()
    # Files go once the row is gone for good, so a rolled-back delete keeps its photo.
    transaction.on_commit(lambda: [default_storage.delete(n) for n in names if n])
