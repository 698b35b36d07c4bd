"""Training a recognizer from a folder of classes, as `museion train` does.

DATASET_DIR holds one folder per class with photos and/or videos, and an
optional `info.json` per class: {"title": ..., "description": ..., "url": ...}.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from museion.vision import head as heads
from museion.vision.augment import visitor_views
from museion.vision.bundle import Bundle, build_graph, preprocess_description, recognizer_input, write_bundle
from museion.vision.catalog import DEFAULT_CLASSIFIER, Catalog, ModelSpec
from museion.vision.embed import embed
from museion.vision.errors import ImageError, VideoError
from museion.vision.images import load_image
from museion.vision.video import extract_frames

VIDEO_SUFFIXES = {".mp4", ".mov", ".m4v", ".webm", ".mkv", ".avi"}
Progress = Callable[[float, str], None]


@dataclass
class ClassInfo:
    name: str
    title: str = ""
    description: str = ""
    url: str = ""


@dataclass
class Item:
    """One picture of a class: a photo, or a frame of a video."""

    label: int
    image: Image.Image
    group: str
    order: float = 0.0
    ref: str = ""


@dataclass
class TrainOptions:
    """Everything that decides a training run: the CLI and the web path use the same defaults."""

    backbone: str = DEFAULT_CLASSIFIER
    fps: float = 2.0
    views: int = 4  # visitor-like views per picture, for training
    val_fraction: float = 0.25
    seed: int = 0
    max_negatives: int = 300  # pictures of other things, for calibrating "unknown"
    checked_pictures: int = 50  # pictures the exported bundle is checked on


@dataclass
class Dataset:
    classes: list[ClassInfo]
    items: list[Item]
    problems: list[str] = field(default_factory=list)


def read_dataset(root: Path, fps: float) -> Dataset:
    """Read every class folder; unreadable files are listed in `problems`, not fatal."""
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    data = Dataset([], [])
    for label, folder in enumerate(folders):
        data.classes.append(_class_info(folder))
        for path in sorted(f for f in folder.iterdir() if f.is_file() and f.name != "info.json"):
            try:
                data.items.extend(_items_of(path, label, fps))
            except (ImageError, VideoError) as exc:
                data.problems.append(f"{path}: {exc}")
    return data


def _class_info(folder: Path) -> ClassInfo:
    info = ClassInfo(folder.name)
    path = folder / "info.json"
    if path.is_file():
        raw = json.loads(path.read_text("utf-8"))
        for key in ("title", "description", "url"):
            setattr(info, key, str(raw.get(key, "")))
    return info


def _items_of(path: Path, label: int, fps: float) -> Iterator[Item]:
    if path.suffix.lower() in VIDEO_SUFFIXES:
        for frame in extract_frames(path, fps):
            yield Item(label, frame.image, str(path), frame.time, f"{path}@{frame.time:.2f}")
    else:
        yield Item(label, load_image(path), str(path), 0.0, str(path))


def picture_vectors(
    image: Image.Image, backbone: ModelSpec, views: int, seed: int, own: np.ndarray | None = None
) -> np.ndarray:
    """The picture's embedding followed by those of `views` visitor-like views of it, [1 + views, D].

    `seed` makes the views: pass a number that stays the picture's own (its position,
    its database id), so that a cached result is the one a new run would compute.
    `own`: the picture's embedding, when the caller already has it.
    """
    spec = recognizer_input(backbone)
    others = visitor_views(image, views, seed) if views > 0 else []
    if own is None:  # one batch for the picture and its views
        return embed([image, *others], backbone, input=spec)
    return np.concatenate([own[None], embed(others, backbone, input=spec)]) if others else own[None]


def examples_from(
    vectors: np.ndarray, label: int, group: str, order: float = 0.0, ref: str = ""
) -> list[heads.Example]:
    """A picture's examples from its `picture_vectors`: its own embedding, then its views (augmented)."""
    return [heads.Example(v, label, group, order, ref, augmented=j > 0) for j, v in enumerate(vectors)]


def examples_of(
    items: Sequence[Item], backbone: ModelSpec, options: TrainOptions, progress: Progress
) -> list[heads.Example]:
    """Embed each picture and `options.views` visitor-like views of it."""
    out: list[heads.Example] = []
    for i, item in enumerate(items):
        vectors = picture_vectors(item.image, backbone, options.views, options.seed + i)
        out.extend(examples_from(vectors, item.label, item.group, item.order, item.ref))
        progress(0.1 + 0.7 * (i + 1) / len(items), f"embedding pictures ({i + 1}/{len(items)})")
    return out


def negative_vectors(
    images: Sequence[Image.Image], backbone: ModelSpec, options: TrainOptions
) -> list[np.ndarray]:
    """Up to `options.max_negatives` pictures of other things, each with its visitor-like views."""
    chosen = list(images)[: options.max_negatives]
    return [
        picture_vectors(image, backbone, options.views, options.seed + i) for i, image in enumerate(chosen)
    ]


def train(dataset: Dataset, options: TrainOptions, negatives: Sequence[Image.Image] = (),
          progress: Progress | None = None) -> tuple[heads.Head, dict]:  # fmt: skip
    """Embed the dataset's pictures, then `fit_head`; returns the head and its metrics."""
    progress = progress or _quiet
    started = time.perf_counter()
    backbone = Catalog().get(options.backbone)
    examples = examples_of(dataset.items, backbone, options, progress)
    neg = negative_vectors(negatives, backbone, options)
    head, metrics = fit_head(examples, [c.name for c in dataset.classes], options, neg, progress)
    metrics["seconds"] = round(time.perf_counter() - started, 2)
    return head, metrics


def fit_head(
    examples: Sequence[heads.Example],
    names: Sequence[str],
    options: TrainOptions,
    negatives: Sequence[np.ndarray] = (),
    progress: Progress | None = None,
) -> tuple[heads.Head, dict]:
    """Split, fit, evaluate and calibrate: the one place a head is trained.

    `examples` are pictures and their visitor-like views (`examples_of`, or a
    cache of them); `negatives` holds, per picture of other things, its
    `picture_vectors` (`negative_vectors`, or a cache of them).
    """
    progress = progress or _quiet
    started = time.perf_counter()
    names = list(names)
    if len({ex.label for ex in examples}) < 2:
        raise ValueError("training needs at least two classes with pictures")
    parts = heads.split(examples, names, options.val_fraction, options.seed)
    progress(0.85, "training the head")
    head = heads.fit(parts.train, names, options.seed)
    calibration = heads.calibrate(
        head, parts.val or parts.train, np.concatenate(negatives) if negatives else None
    )
    if calibration["negatives"]:
        calibration["negatives"] = len(negatives)  # pictures, as given, each with its views
    metrics = {
        **heads.evaluate(head, [ex for ex in parts.val if not ex.augmented]),
        "visitor_views": heads.evaluate(head, [ex for ex in parts.val if ex.augmented]),
        "unknown_threshold": head.threshold,
        "calibration": calibration,
        "classes": names,
        "pictures": len({ex.ref for ex in examples if not ex.augmented}),
        "train_examples": len(parts.train),
        "split_in_time": parts.by_time,
        "backbone": options.backbone,
        "seconds": round(time.perf_counter() - started, 2),
    }
    metrics["visitor_views"].pop("misclassified", None)  # absent when nothing was held out
    return head, metrics


def _quiet(fraction: float, stage: str) -> None:
    """Progress nobody watches."""


def export(path: Path, head: heads.Head, dataset: Dataset, metrics: dict, backbone: str) -> dict:
    """`export_bundle` for a dataset read from folders."""
    labels = [asdict(c) for c in dataset.classes]
    return export_bundle(path, head, labels, metrics, backbone, [item.image for item in dataset.items])


def export_bundle(
    path: Path,
    head: heads.Head,
    labels: list[dict],
    metrics: dict,
    backbone: str,
    pictures: Sequence[Image.Image],
    checked: int = TrainOptions.checked_pictures,
) -> dict:
    """Write the bundle, check it with plain onnxruntime against the head's own answers on
    up to `checked` of `pictures`, and write it again with the check in its metrics.

    `metrics["export_check"]` holds the check afterwards, for the caller to store.
    """
    spec = Catalog().get(backbone)
    graph, preprocess = build_graph(spec, head), preprocess_description(recognizer_input(spec))
    write_bundle(path, graph, labels, preprocess, metrics)
    sample = list(pictures)[:: max(1, len(pictures) // max(1, checked))][:checked]
    check = verify(path, head, sample, spec)
    metrics["export_check"] = check
    write_bundle(path, graph, labels, preprocess, metrics)
    return check


def verify(path: Path, head: heads.Head, images: Sequence[Image.Image], backbone: ModelSpec) -> dict:
    """Do the bundle and the server's path (backbone session + numpy head) agree?"""
    if not images:
        return {"checked": 0, "agree": 0, "ok": False}
    bundle = Bundle.load(path)
    ours = head.predict(embed(images, backbone, input=recognizer_input(backbone)))[0]
    theirs = [int(np.argmax(p)) for p in bundle.session.run(
        ["probabilities"], {"image": np.stack([bundle.pixels(i) for i in images])})[0]]  # fmt: skip
    agree = int(sum(int(a) == b for a, b in zip(ours, theirs, strict=True)))
    return {"checked": len(images), "agree": agree, "ok": agree == len(images)}
