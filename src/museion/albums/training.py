"""The work of video and training jobs, on top of `museion.vision`.

Training itself is the vision core's (`museion.vision.train`): this module loads
the album's pictures, keeps their embeddings (and those of their visitor-like
views) in the database so that a retraining embeds only new pictures, feeds them
to `fit_head` and `export_bundle`, and saves what comes back as a version.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max
from PIL import Image

from museion.albums import review
from museion.albums.errors import QuotaExceeded
from museion.albums.jobs import Reporter, bundle_name
from museion.albums.media import save_picture
from museion.albums.models import Album, Embedding, Job, MediaItem, ModelVersion, SourceVideo
from museion.albums.versions import goes_live
from museion.vision import head as heads
from museion.vision import train as pipeline
from museion.vision.bundle import recognizer_input
from museion.vision.catalog import Catalog
from museion.vision.embed import embed
from museion.vision.images import load_image
from museion.vision.keypoints import Keypoints
from museion.vision.keypoints import extract as extract_keypoints
from museion.vision.video import Frame, extract_frames

# Frames closer than this to the last kept one add nothing. Measured on parrot_walkaround.mp4 at
# 2 fps: consecutive frames of a walk-around are 0.970-0.988 apart with the float backbone (the int8
# one's rounding noise held them at 0.96-0.97), a still camera's frames 0.999 and more.
DUPLICATE = 0.99


def options_for(album: Album) -> pipeline.TrainOptions:
    """The album's training options: the vision core's defaults, with the album's backbone and fps."""
    return pipeline.TrainOptions(backbone=album.backbone, fps=album.fps)


def vectors_for(image: Image.Image, backbone: str, seed: int, first: np.ndarray | None = None) -> np.ndarray:
    """The picture's embedding followed by those of its visitor-like views (`first`: the
    picture's own embedding, when already known), as the vision pipeline makes them."""
    views = pipeline.TrainOptions().views
    return pipeline.picture_vectors(image, Catalog().get(backbone), views, seed, own=first)


def store_embedding(item: MediaItem, backbone: str, vectors: np.ndarray) -> Embedding:
    embedding, _created = Embedding.objects.update_or_create(
        media=item,
        backbone=backbone,
        defaults={"vectors": vectors.astype(np.float32).tobytes(), "dim": vectors.shape[1]},
    )
    return embedding


def extract_video(job: Job, report: Reporter) -> dict:
    """Frames at the album's fps; near-duplicates dropped; each kept frame embedded.

    Frames count against the workspace's storage quota as they are kept: at the
    quota, reading stops, and the frames kept so far stay.
    """
    video, album = job.video, job.album
    if video is None:
        raise ValueError("the video was deleted before its frames were read")  # said on display: job_messages
    with default_storage.open(video.file.name, "rb") as f:
        data = f.read()
    kept, last, duration, stopped = 0, None, video.duration or 1.0, ""
    for frame in extract_frames(data, album.fps):
        report(min(0.99, frame.time / duration), f"reading frames ({frame.time:.1f} s)")
        spec = Catalog().get(album.backbone)
        own = embed([frame.image], spec, input=recognizer_input(spec))[0]
        if last is not None and float(own @ last) > DUPLICATE:
            continue  # checked before making views: a dropped frame costs one embedding only
        vectors = vectors_for(frame.image, album.backbone, video.pk * 10_000 + kept, first=own)
        try:
            item = _save_frame(video, frame)
        except QuotaExceeded:
            if not kept:
                raise
            stopped = f"stopped at {frame.time:.1f} s: the workspace's storage quota is reached"
            break
        store_embedding(item, album.backbone, vectors)
        last, kept = vectors[0], kept + 1
    video.frames = kept
    video.save(update_fields=["frames"])
    return {"frames": kept, "video": video.pk, **({"warning": stopped} if stopped else {})}


def _save_frame(video: SourceVideo, frame: Frame) -> MediaItem:
    buffer = io.BytesIO()
    frame.image.save(buffer, "JPEG", quality=90)
    return save_picture(
        video.album_class,
        f"{video.name} @ {frame.time:.1f} s",
        buffer.getvalue(),
        frame.image.width,
        frame.image.height,
        source=video,
        time=frame.time,
    )


def examples_for(album: Album, report: Reporter) -> tuple[list[heads.Example], list[str], list[dict]]:
    """One example per picture and view; embeddings computed only for media that lack them."""
    classes = [c for c in album.classes.all() if c.media.exists()]
    items = list(MediaItem.objects.filter(album_class__in=classes).select_related("album_class"))
    cached = {
        e.media_id: e.array() for e in Embedding.objects.filter(media__in=items, backbone=album.backbone)
    }
    index = {c.pk: i for i, c in enumerate(classes)}
    examples = []
    for n, item in enumerate(items):
        if item.pk not in cached:
            report(0.05 + 0.75 * n / len(items), f"embedding new pictures ({n + 1}/{len(items)})")
            cached[item.pk] = _embed_item(item, album.backbone)
        label = index[item.album_class_id]
        examples.extend(pipeline.examples_from(cached[item.pk], label, item.group, item.time, str(item.pk)))
    return examples, [c.name for c in classes], [c.info() for c in classes]


def _embed_item(item: MediaItem, backbone: str) -> np.ndarray:
    with default_storage.open(item.file.name, "rb") as f:
        image = load_image(f)
    return store_embedding(item, backbone, vectors_for(image, backbone, item.pk)).array()


def negatives_for(album: Album, limit: int = pipeline.TrainOptions.max_negatives) -> list[np.ndarray]:
    """Pictures of the workspace's other albums, with their views: things this album must call unknown.

    Pictures never trained on have no embedding yet; they are embedded here, so a
    plain album of "not our works" photos counts as soon as it is uploaded.
    """
    items = list(
        MediaItem.objects.filter(album_class__album__workspace=album.workspace_id).exclude(
            album_class__album=album
        )[:limit]
    )
    # Ids, not a sliced subquery: MariaDB refuses LIMIT inside IN.
    found = Embedding.objects.filter(media__in=[i.pk for i in items], backbone=album.backbone)
    cached = {e.media_id: e.array() for e in found}
    return [cached[item.pk] if item.pk in cached else _embed_item(item, album.backbone) for item in items]


def review_negatives(album: Album, limit: int) -> list[np.ndarray]:
    """Visitors' photos curators marked "not a work" (albums.review), with their views: the closest
    there is to what this album must call unknown. Embedded each training: they are few, and
    they go when their retention ends."""
    out = []
    for item in review.negatives(album, limit):
        with default_storage.open(item.file.name, "rb") as f:
            image = load_image(f)
        out.append(vectors_for(image, album.backbone, 1_000_000 + item.pk))
    return out


def visitor_pictures(album: Album) -> int:
    """How many of the pictures a training of the album uses came from visitors' photos."""
    return MediaItem.objects.filter(album_class__album=album, from_visitors=True).count()


def check_pictures(examples: Sequence[heads.Example], count: int) -> list[Image.Image]:
    """Up to `count` of the pictures trained on, evenly spread, for checking the exported bundle."""
    refs = list(dict.fromkeys(ex.ref for ex in examples if not ex.augmented))
    chosen = [int(r) for r in refs[:: max(1, len(refs) // max(1, count))][:count]]
    pictures = []
    for item in MediaItem.objects.filter(pk__in=chosen).order_by("pk"):
        with default_storage.open(item.file.name, "rb") as f:
            pictures.append(load_image(f))
    return pictures


class AlbumPictures:
    """`vision.train.Pictures` of an album: keypoints and calibration photos, kept beside the embeddings."""

    def __init__(self, album: Album) -> None:
        self.backbone = Catalog().get(album.backbone)

    def keypoints(self, ref: str) -> Keypoints:
        row = self._row(ref)
        if row.keypoints is None:
            row.keypoints = extract_keypoints(self._image(row)).to_bytes()
            row.save(update_fields=["keypoints"])
        return Keypoints.from_bytes(bytes(row.keypoints))

    def probe(self, ref: str) -> heads.Probe:
        row = self._row(ref)
        if row.probe is None:
            row.probe = pipeline.make_probe(self._image(row), self.backbone, row.media_id).to_bytes()
            row.save(update_fields=["probe"])
        return heads.Probe.from_bytes(bytes(row.probe))

    def _row(self, ref: str) -> Embedding:
        return Embedding.objects.select_related("media").get(media_id=int(ref), backbone=self.backbone.name)

    def _image(self, row: Embedding) -> Image.Image:
        with default_storage.open(row.media.file.name, "rb") as f:
            return load_image(f)


def train_album(job: Job, report: Reporter) -> dict:
    album = job.album
    options = options_for(album)
    examples, names, infos = examples_for(album, report)
    if len(names) < 2:
        raise ValueError("training needs at least two classes with pictures")
    from_review = review_negatives(album, options.max_negatives)
    negatives = from_review + negatives_for(album, options.max_negatives - len(from_review))
    head, metrics = pipeline.fit_head(examples, names, options, negatives, report, AlbumPictures(album))
    metrics["visitor_pictures"] = visitor_pictures(album)
    metrics["visitor_negatives"] = len(from_review)
    report(0.9, "exporting")
    version = save_version(job, head, infos, metrics, check_pictures(examples, options.checked_pictures))
    return {"version": version.number, "accuracy": metrics["accuracy"]}


def save_version(
    job: Job, head: heads.Head, infos: list[dict], metrics: dict, pictures: Sequence[Image.Image] = ()
) -> ModelVersion:
    """Export and check the bundle (the check lands in `metrics`), store it, and add the version."""
    album = job.album
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bundle.zip"
        pipeline.export_bundle(path, head, infos, metrics, album.backbone, pictures)
        data = path.read_bytes()
        bundle = default_storage.save(bundle_name(album.pk, job.pk), ContentFile(data))
    try:
        with transaction.atomic():
            number = (album.versions.aggregate(n=Max("number"))["n"] or 0) + 1
            version = ModelVersion.objects.create(
                album=album,
                number=number,
                job=job,
                backbone=album.backbone,
                classes=infos,
                head=head.to_bytes(),
                bundle=bundle,
                size=len(data),
                metrics=metrics,
            )
            # Keep it only if the job is still ours: a cancelled run never adds a version.
            if not Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING).exists():
                raise transaction.TransactionManagementError("cancelled")
            # A candidate, unless it is the album's first or auto-publish finds it as good as the live one.
            live = Album.objects.select_for_update().get(pk=album.pk)  # one decision at a time
            if goes_live(live, version):
                live.publish(version)
    except Exception:
        default_storage.delete(bundle)
        raise
    return version
