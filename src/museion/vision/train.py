"""Training a recognizer from a folder of classes, as `museion train` does.

DATASET_DIR holds one folder per class with photos and/or videos, and an
optional `info.json` per class: {"title": ..., "description": ..., "url": ...,
"translations": {"fr": {"title": ..., "description": ...}}}, the card in other languages
(labels.json carries them; the bundle's viewer shows the visitor's).
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
from PIL import Image

from museion.vision import head as heads
from museion.vision import health as dataset_health
from museion.vision import keypoints as kp
from museion.vision.augment import phone_photo, visitor_views
from museion.vision.bundle import Bundle, build_graph, preprocess_description, recognizer_input, write_bundle
from museion.vision.catalog import DEFAULT_CLASSIFIER, Catalog, ModelSpec
from museion.vision.embed import BATCH_SIZE, embed
from museion.vision.errors import ImageError, VideoError
from museion.vision.images import ImageSource, load_image, open_photo
from museion.vision.languages import card_tag
from museion.vision.video import extract_frames

VIDEO_SUFFIXES = {".mp4", ".mov", ".m4v", ".webm", ".mkv", ".avi"}
Progress = Callable[[float, str], None]


JPEG_MAX_SIDE = 65_500  # libjpeg refuses longer sides


@dataclass
class ClassInfo:
    name: str
    title: str = ""
    description: str = ""
    url: str = ""
    translations: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass
class Item:
    """One picture of a class: a photo, or a frame of a video.

    Kept as a JPEG (quality 90, as the web path stores video frames), decoded when used: forty
    works of sixteen 720p frames held decoded took 1.8 GB.
    """

    label: int
    data: bytes
    group: str
    order: float = 0.0
    ref: str = ""

    @classmethod
    def of(cls, label: int, image: Image.Image, group: str, order: float = 0.0, ref: str = "") -> Item:
        buffer = io.BytesIO()
        if max(image.size) <= JPEG_MAX_SIDE:
            image.convert("RGB").save(buffer, "JPEG", quality=90)
        else:  # a 100000x1 strip: JPEG cannot hold it
            image.convert("RGB").save(buffer, "PNG", compress_level=1)
        return cls(label, buffer.getvalue(), group, order, ref)

    @property
    def image(self) -> Image.Image:
        return Image.open(io.BytesIO(self.data)).convert("RGB")


@dataclass
class TrainOptions:
    """Everything that decides a training run: the CLI and the web path use the same defaults."""

    backbone: str = DEFAULT_CLASSIFIER
    fps: float = 2.0
    views: int = 4  # visitor-like views per picture, for training
    val_fraction: float = 0.25
    seed: int = 0
    max_negatives: int = 300  # pictures of other things, for calibrating "unknown"
    # Pictures the exported bundle is checked on: its float model agrees with the server to 1e-6
    # (benchmarks/cpu_parity.py), so 24 find a wrong export as surely as 50, in half the time.
    checked_pictures: int = 24


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
        try:
            data.classes.append(_class_info(folder))
        except ValueError as exc:  # the card is left to the folder's name; the pictures still count
            data.problems.append(f"{folder / 'info.json'}: {exc}")
            data.classes.append(ClassInfo(folder.name))
        for path in sorted(f for f in folder.iterdir() if f.is_file() and f.name != "info.json"):
            try:
                data.items.extend(_items_of(path, label, fps))
            except (ImageError, VideoError) as exc:
                data.problems.append(f"{path}: {exc}")
    return data


INFO_MAX_BYTES = 1 << 20  # a card's texts in fifty languages are far less


def _class_info(folder: Path) -> ClassInfo:
    """A class's card from its info.json, or ValueError saying what is wrong with the file."""
    info = ClassInfo(folder.name)
    path = folder / "info.json"
    if not path.is_file():
        return info
    if path.stat().st_size > INFO_MAX_BYTES:
        raise ValueError(f"info.json is over {INFO_MAX_BYTES >> 20} MB")
    try:
        raw = json.loads(path.read_text("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"info.json is not JSON text ({exc})") from None
    if not isinstance(raw, dict):
        raise ValueError('info.json must be an object: {"title": ..., "description": ..., "url": ...}')
    for key in ("title", "description", "url"):
        setattr(info, key, str(raw.get(key) or ""))
    info.translations = _translations(raw.get("translations") or {})
    return info


def _translations(raw: object) -> dict[str, dict[str, str]]:
    """{"zh-Hans": {"title", "description"}} with tags as labels.json keeps them (`zh-hans`)."""
    if not isinstance(raw, dict) or not all(isinstance(v, dict) for v in raw.values()):
        raise ValueError('info.json\'s translations must be {"fr": {"title": ..., "description": ...}, ...}')
    cards: dict[str, dict[str, str]] = {}
    for tag, text in sorted(raw.items()):
        try:
            filed = card_tag(tag)
        except ValueError as exc:
            raise ValueError(f"info.json's translations: {exc}") from None
        cards[filed] = {key: str(text.get(key) or "") for key in ("title", "description")}
    return cards


def _items_of(path: Path, label: int, fps: float) -> Iterator[Item]:
    if path.suffix.lower() in VIDEO_SUFFIXES:
        for frame in extract_frames(path, fps):
            yield Item.of(label, frame.image, str(path), frame.time, f"{path}@{frame.time:.2f}")
    else:
        yield Item.of(label, load_image(path), str(path), 0.0, str(path))


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


class Pictures(Protocol):
    """Keypoints and calibration photos of training pictures by ref, made (or read from a cache) on demand.

    The pipeline asks only for the few pictures per class it needs: references for the
    keypoint check and held-out pictures to make calibration photos of.
    """

    def keypoints(self, ref: str) -> kp.Keypoints: ...

    def probe(self, ref: str) -> heads.Probe: ...


def photo_features(image: ImageSource, backbone: ModelSpec) -> tuple[np.ndarray, kp.Keypoints]:
    """What the recognizer reads of a visitor's photo: its embedding and its keypoints, from one decode.

    `Bundle.predict` decodes the same way, so the server and `museion predict` agree.
    """
    photo = open_photo(image, target_size=kp.decode_size).image
    (vector,) = embed([photo], backbone, input=recognizer_input(backbone))
    return vector, kp.extract(photo)


def make_probe(image: Image.Image, backbone: ModelSpec, seed: int) -> heads.Probe:
    """A phone photo of the picture (`augment.phone_photo`), embedded and with its keypoints."""
    photo, condition = phone_photo(image, seed)
    (vector,) = embed([photo], backbone, input=recognizer_input(backbone))
    return heads.Probe(vector, kp.extract(photo), condition)


class ItemPictures:
    """`Pictures` of a dataset read from folders, computed once each."""

    def __init__(self, items: Sequence[Item], backbone: ModelSpec, seed: int) -> None:
        self.items = {item.ref: (i, item) for i, item in enumerate(items)}
        self.backbone, self.seed = backbone, seed
        self._keypoints: dict[str, kp.Keypoints] = {}

    def keypoints(self, ref: str) -> kp.Keypoints:
        if ref not in self._keypoints:
            self._keypoints[ref] = kp.extract(self.items[ref][1].image)
        return self._keypoints[ref]

    def probe(self, ref: str) -> heads.Probe:
        index, item = self.items[ref]
        return make_probe(item.image, self.backbone, self.seed + index)


def train(dataset: Dataset, options: TrainOptions, negatives: Sequence[Image.Image] = (),
          progress: Progress | None = None) -> tuple[heads.Head, dict]:  # fmt: skip
    """Embed the dataset's pictures, then `fit_head`; returns the head and its metrics."""
    progress = progress or _quiet
    started = time.perf_counter()
    backbone = Catalog().get(options.backbone)
    examples = examples_of(dataset.items, backbone, options, progress)
    neg = negative_vectors(negatives, backbone, options)
    pictures = ItemPictures(dataset.items, backbone, options.seed)
    head, metrics = fit_head(examples, [c.name for c in dataset.classes], options, neg, progress, pictures)
    metrics["seconds"] = round(time.perf_counter() - started, 2)
    return head, metrics


def fit_head(
    examples: Sequence[heads.Example],
    names: Sequence[str],
    options: TrainOptions,
    negatives: Sequence[np.ndarray] = (),
    progress: Progress | None = None,
    pictures: Pictures | None = None,
) -> tuple[heads.Head, dict]:
    """Split, fit, calibrate on works left out, evaluate, refit on all: the one place a head is trained.

    `examples` are pictures and their visitor-like views (`examples_of`, or a cache of them);
    `negatives` holds, per picture of other things, its `picture_vectors`; `pictures` gives
    keypoints and calibration photos (without it the head has no keypoint check, and is
    calibrated on the held-out pictures' visitor-like views).
    """
    progress = progress or _quiet
    started = time.perf_counter()
    names = list(names)
    if len({ex.label for ex in examples}) < 2:
        raise ValueError("training needs at least two classes with pictures")
    parts = heads.split(examples, names, options.val_fraction, options.seed)
    held_out = [ex for ex in parts.val if not ex.augmented]
    references = _keypoints(pictures, examples, progress)
    trained_on = {ex.ref for ex in parts.train} if parts.train else {ex.ref for ex in examples}
    # The trial head checks keypoints against the final head's references that it trained on.
    trial_refs = {ref: k for ref, k in references.items() if ref in trained_on} if references else None
    trial = heads.fit(parts.train or examples, names, trial_refs)
    progress(0.88, "calibrating on works left out")
    probes = _probes(pictures, held_out or [ex for ex in examples if not ex.augmented], parts.val)
    scored = heads.score_probes(trial, probes)
    neg = np.concatenate(negatives) if negatives else None
    calibration = heads.calibrate(trial, scored, neg)
    if calibration["negatives"]:
        calibration["negatives"] = len(negatives)  # pictures, as given, each with its views
    progress(0.9, "training the recognizer")
    head = heads.fit(examples, names, references)
    head.threshold, head.global_threshold = trial.threshold, trial.global_threshold
    counts = dataset_health.counts_of(examples, names, scored)
    health = dataset_health.dataset_health(counts)
    metrics = {
        **heads.evaluate(trial, scored, neg),
        "unknown_threshold": head.global_threshold,
        "verified_threshold": head.threshold,
        "verification": "keypoints" if head.references is not None else None,
        "calibration": calibration,
        "warnings": _warnings(held_out) + [w["message"] for w in health],
        "health": health,
        "dataset": dataset_health.as_dict(counts),
        "classes": names,
        "pictures": len({ex.ref for ex in examples if not ex.augmented}),
        "train_examples": len(parts.train),
        "split_in_time": parts.by_time,
        "backbone": options.backbone,
        "seconds": round(time.perf_counter() - started, 2),
    }
    return head, metrics


CALIBRATION_PHOTOS_PER_CLASS = 6  # phone photos made per work, of its held-out pictures


def _keypoints(
    pictures: Pictures | None, examples: Sequence[heads.Example], progress: Progress
) -> dict | None:
    if pictures is None:
        return None
    refs = heads.reference_refs(examples)
    progress(0.86, f"keypoints of {len(refs)} reference pictures")
    return {ref: pictures.keypoints(ref) for ref in refs}


def _probes(
    pictures: Pictures | None, candidates: Sequence[heads.Example], val: Sequence[heads.Example]
) -> list[tuple[heads.Example, heads.Probe]]:
    """Calibration photos: phone photos of held-out pictures, or (without `pictures`) their views."""
    if pictures is None:
        views = [ex for ex in val if ex.augmented]
        return [(ex, heads.Probe(ex.embedding, kp.Keypoints.none(), "visitor view")) for ex in views]
    refs = heads.reference_refs(candidates, CALIBRATION_PHOTOS_PER_CLASS)
    own = {ex.ref: ex for ex in candidates}
    return [(own[ref], pictures.probe(ref)) for ref in refs]


def _warnings(held_out: Sequence[heads.Example]) -> list[str]:
    if held_out:
        return []
    return ["no picture could be held out: the figures come from the training pictures themselves"]


def _quiet(fraction: float, stage: str) -> None:
    """Progress nobody watches."""


def export(path: Path, head: heads.Head, dataset: Dataset, metrics: dict, backbone: str) -> dict:
    """`export_bundle` for a dataset read from folders."""
    labels = [asdict(c) for c in dataset.classes]
    items = dataset.items[:: max(1, len(dataset.items) // TrainOptions.checked_pictures)]
    return export_bundle(path, head, labels, metrics, backbone, [item.image for item in items])


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
    write_bundle(path, graph, labels, preprocess, metrics, head)
    sample = list(pictures)[:: max(1, len(pictures) // max(1, checked))][:checked]
    check = verify(path, head, sample, spec)
    metrics["export_check"] = check
    write_bundle(path, graph, labels, preprocess, metrics, head)
    return check


VERIFIED_CHECKS = 10  # of the checked pictures, those also run through the keypoint stage (SIFT each)


def _run_bundle(bundle: Bundle, images: Sequence[Image.Image]) -> tuple[np.ndarray, np.ndarray]:
    """model.onnx's similarity and embedding of `images`, in the embedding's small batches: fifty
    pictures at once held 400 MB of activations."""
    sims, embs = [], []
    for start in range(0, len(images), BATCH_SIZE):
        batch = np.stack([bundle.pixels(i) for i in images[start : start + BATCH_SIZE]])
        sim, emb = bundle.session.run(["similarity", "embedding"], {"image": batch})
        sims.append(sim)
        embs.append(emb)
    return np.concatenate(sims), np.concatenate(embs)


def verify(path: Path, head: heads.Head, images: Sequence[Image.Image], backbone: ModelSpec) -> dict:
    """Do the bundle and the server's path agree, stage by stage?

    model.onnx against the server's global stage (backbone session + numpy head), label and
    unknown verdict; and `Bundle.predict` with its keypoint check against the server's.
    """
    if not images:
        return {"checked": 0, "agree": 0, "ok": False}
    bundle = Bundle.load(path)
    embeddings = embed(images, backbone, input=recognizer_input(backbone))
    ours, _, our_unknown = head.predict(embeddings)
    sims, embs = _run_bundle(bundle, images)
    theirs = sims.argmax(axis=1)
    their_unknown = sims[np.arange(len(theirs)), theirs] < bundle.threshold
    agree = int(((ours == theirs) & (our_unknown == their_unknown)).sum())
    check = {"checked": len(images), "agree": agree, "ok": agree == len(images)}
    if head.references is not None and bundle.head is not None:
        # The keypoint stage: model.onnx's embedding and similarity with the bundle's head.npz,
        # against the server's embedding and head, on the same keypoints.
        sample = list(images)[:VERIFIED_CHECKS]
        keys = [kp.extract(i) for i in sample]
        best, _, unknown = head.predict(embeddings[: len(sample)], keys)
        theirs, _, their_unknown = bundle.head.predict(embs[: len(sample)], keys)
        same = int(((best == theirs) & (unknown == their_unknown)).sum())
        check.update(verified_checked=len(sample), verified_agree=same)
        check["ok"] = check["ok"] and same == len(sample)
    return check
