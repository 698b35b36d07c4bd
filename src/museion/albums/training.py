"""The work of video and training jobs, on top of `museion.vision`."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import numpy as np
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max
from PIL import Image

from museion.albums.jobs import Reporter, bundle_name
from museion.albums.media import MediaError, save_picture
from museion.albums.models import Album, Embedding, Job, MediaItem, ModelVersion, SourceVideo
from museion.vision import head as heads
from museion.vision.augment import visitor_views
from museion.vision.bundle import build_graph, preprocess_description, recognizer_input, write_bundle
from museion.vision.catalog import Catalog
from museion.vision.embed import embed
from museion.vision.images import load_image
from museion.vision.video import Frame, extract_frames

VIEWS = 4  # visitor-like views embedded per picture
DUPLICATE = 0.97  # frames closer than this to the last kept one add nothing
MAX_NEGATIVES = 300


def vectors_for(image: Image.Image, backbone: str, seed: int, first: np.ndarray | None = None) -> np.ndarray:
    """The picture's embedding followed by those of its visitor-like views (`first`: the
    picture's own embedding, when already known)."""
    spec = Catalog().get(backbone)
    views = embed(visitor_views(image, VIEWS, seed), spec, input=recognizer_input(spec))
    own = first if first is not None else embed([image], spec, input=recognizer_input(spec))[0]
    return np.concatenate([own[None], views])


def store_embedding(item: MediaItem, backbone: str, vectors: np.ndarray) -> Embedding:
    embedding, _ = Embedding.objects.update_or_create(
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
        raise ValueError("the video was deleted before its frames were read")
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
        except MediaError as exc:
            if exc.code != "quota_exceeded" or not kept:
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
            report(0.05 + 0.6 * n / len(items), f"embedding new pictures ({n + 1}/{len(items)})")
            with default_storage.open(item.file.name, "rb") as f:
                cached[item.pk] = store_embedding(
                    item, album.backbone, vectors_for(load_image(f), album.backbone, item.pk)
                ).array()
        for j, vector in enumerate(cached[item.pk]):
            examples.append(
                heads.Example(vector, index[item.album_class_id], item.group, item.time, str(item.pk), j > 0)
            )
    return examples, [c.name for c in classes], [c.info() for c in classes]


def negatives_for(album: Album) -> np.ndarray | None:
    """Pictures of the workspace's other albums: things this album must call unknown.

    Pictures never trained on have no embedding yet; they are embedded here, so a
    plain album of "not our works" photos counts as soon as it is uploaded.
    """
    items = list(
        MediaItem.objects.filter(album_class__album__workspace=album.workspace_id).exclude(
            album_class__album=album
        )[:MAX_NEGATIVES]
    )
    # Ids, not a sliced subquery: MariaDB refuses LIMIT inside IN.
    found = Embedding.objects.filter(media__in=[i.pk for i in items], backbone=album.backbone)
    cached = {e.media_id: e.array() for e in found}
    vectors = []
    for item in items:
        if item.pk not in cached:
            with default_storage.open(item.file.name, "rb") as f:
                image = load_image(f)
            cached[item.pk] = store_embedding(
                item, album.backbone, vectors_for(image, album.backbone, item.pk)
            ).array()
        vectors.extend(cached[item.pk])  # the picture and its views
    return np.stack(vectors) if vectors else None


def train_album(job: Job, report: Reporter) -> dict:
    album = job.album
    examples, names, infos = examples_for(album, report)
    if len(names) < 2:
        raise ValueError("training needs at least two classes with pictures")
    report(0.7, "training")
    parts = heads.split(examples, names, 0.25, seed=0)
    head = heads.fit(parts.train, names)
    calibration = heads.calibrate(head, parts.val or parts.train, negatives_for(album))
    metrics = {
        **heads.evaluate(head, [e for e in parts.val if not e.augmented]),
        "visitor_views": heads.evaluate(head, [e for e in parts.val if e.augmented]),
        "unknown_threshold": head.threshold,
        "calibration": calibration,
        "classes": names,
        "pictures": len({e.ref for e in examples}),
        "split_in_time": parts.by_time,
        "backbone": album.backbone,
    }
    metrics["visitor_views"].pop("misclassified", None)  # absent when nothing was held out
    report(0.85, "exporting")
    version = save_version(job, head, infos, metrics)
    return {"version": version.number, "accuracy": metrics["accuracy"]}


def save_version(job: Job, head: heads.Head, infos: list[dict], metrics: dict) -> ModelVersion:
    album = job.album
    spec = Catalog().get(album.backbone)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bundle.zip"
        write_bundle(
            path, build_graph(spec, head), infos, preprocess_description(recognizer_input(spec)), metrics
        )
        data = path.read_bytes()
        bundle = default_storage.save(bundle_name(album.pk, job.pk), ContentFile(data))
    buffer = io.BytesIO()
    np.savez(
        buffer, weights=head.weights, bias=head.bias, prototypes=head.prototypes, threshold=head.threshold
    )
    try:
        with transaction.atomic():
            number = (album.versions.aggregate(n=Max("number"))["n"] or 0) + 1
            version = ModelVersion.objects.create(
                album=album,
                number=number,
                job=job,
                backbone=album.backbone,
                classes=infos,
                head=buffer.getvalue(),
                bundle=bundle,
                size=len(data),
                metrics=metrics,
            )
            # Publish only if the job is still ours: a cancelled run never replaces the model.
            if Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING).exists():
                Album.objects.filter(pk=album.pk).update(published_version=version)
            else:
                raise transaction.TransactionManagementError("cancelled")
    except Exception:
        default_storage.delete(bundle)
        raise
    return version
