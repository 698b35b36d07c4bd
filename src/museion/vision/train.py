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
    backbone: str = DEFAULT_CLASSIFIER
    fps: float = 2.0
    views: int = 4  # visitor-like views per picture, for training
    val_fraction: float = 0.25
    seed: int = 0


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


def examples_of(
    items: Sequence[Item], backbone: ModelSpec, views: int, seed: int, progress: Progress
) -> list:
    """Embed each picture and `views` visitor-like views of it."""
    input_spec = recognizer_input(backbone)
    out: list[heads.Example] = []
    for i, item in enumerate(items):
        pictures = [item.image, *visitor_views(item.image, views, seed + i)]
        vectors = embed(pictures, backbone, input=input_spec)
        for j, vector in enumerate(vectors):
            out.append(heads.Example(vector, item.label, item.group, item.order, item.ref, augmented=j > 0))
        progress(0.1 + 0.7 * (i + 1) / len(items), f"embedding pictures ({i + 1}/{len(items)})")
    return out


def train(dataset: Dataset, options: TrainOptions, negatives: Sequence[Image.Image] = (),
          progress: Progress | None = None) -> tuple[heads.Head, dict]:  # fmt: skip
    """Split, fit, evaluate and calibrate; returns the head and its metrics."""
    progress = progress or (lambda fraction, stage: None)
    started = time.perf_counter()
    backbone = Catalog().get(options.backbone)
    names = [c.name for c in dataset.classes]
    examples = examples_of(dataset.items, backbone, options.views, options.seed, progress)
    parts = heads.split(examples, names, options.val_fraction, options.seed)
    progress(0.85, "training the head")
    head = heads.fit(parts.train, names, options.seed)
    neg = embed(negatives, backbone, input=recognizer_input(backbone)) if negatives else None
    calibration = heads.calibrate(head, parts.val or parts.train, neg)
    metrics = {
        **heads.evaluate(head, [ex for ex in parts.val if not ex.augmented]),
        "visitor_views": heads.evaluate(head, [ex for ex in parts.val if ex.augmented]),
        "unknown_threshold": head.threshold,
        "calibration": calibration,
        "classes": names,
        "pictures": len(dataset.items),
        "train_examples": len(parts.train),
        "split_in_time": parts.by_time,
        "backbone": backbone.name,
        "seconds": round(time.perf_counter() - started, 2),
    }
    metrics["visitor_views"].pop("misclassified", None)
    return head, metrics


def export(path: Path, head: heads.Head, dataset: Dataset, metrics: dict, backbone: str) -> dict:
    """Write the bundle, then check it with plain onnxruntime against the head's own answers."""
    spec = Catalog().get(backbone)
    labels = [asdict(c) for c in dataset.classes]
    write_bundle(
        path, build_graph(spec, head), labels, preprocess_description(recognizer_input(spec)), metrics
    )
    check = verify(
        path, head, [item.image for item in dataset.items[:: max(1, len(dataset.items) // 50)]], spec
    )
    metrics["export_check"] = check
    write_bundle(
        path, build_graph(spec, head), labels, preprocess_description(recognizer_input(spec)), metrics
    )
    return check


def verify(path: Path, head: heads.Head, images: Sequence[Image.Image], backbone: ModelSpec) -> dict:
    """Do the bundle and the server's path (backbone session + numpy head) agree?"""
    bundle = Bundle.load(path)
    ours = head.predict(embed(images, backbone, input=recognizer_input(backbone)))[0]
    theirs = [int(np.argmax(p)) for p in bundle.session.run(
        ["probabilities"], {"image": np.stack([bundle.pixels(i) for i in images])})[0]]  # fmt: skip
    agree = int(sum(int(a) == b for a, b in zip(ours, theirs, strict=True)))
    return {"checked": len(images), "agree": agree, "ok": agree == len(images)}
