"""Candidate recognizers on the product's own embeddings, on the hard collections (issue 12).

Nothing in src/ changes: this imports `museion.vision` (frames, visitor views, embeddings, the
logistic head and its calibration) and builds the variants around them, on the collections of
benchmarks/hardset.py. Every parameter is fixed here, before looking at any collection, and the
same for every seed and size:

- CROPS: 7 square crops of a picture (the centre square the product uses today, the two ends of
  the long side, four 0.6-size squares around the centre); "tta" averages their embeddings.
- train crops: the same 7 crops of every kept frame, added to the training pictures.
- knn: a class's score is its best cosine similarity over all its kept pictures (frames, visitor
  views, crops), instead of the logistic head; the unknown score is the best class's score.
- thresholds: "frames" is today's rule (keep 98% of held-out views of the last quarter of each
  clip); "works" calibrates on held-out works: 4 folds of works leave the gallery in turn, and
  photo-like views of the frames (CALIBRATION_VIEWS per work, made at phone resolution by
  `phone_view` below, never the benchmark's visitor photos) of the works left out must be refused,
  while those of the works in must be kept (scored without their own frame and its neighbours);
  the threshold is where both error rates are equal.
- sift: SIFT keypoints (OpenCV) of the photo, at 640 px, are matched with those of the 2 best
  frames of each of the global shortlist's SHORTLIST classes (ratio test 0.8), a RANSAC homography
  counts the inliers, and the fused score is `global + FUSE_WEIGHT * min(inliers, INLIER_CAP) /
  INLIER_CAP`; the best fused class wins and the works-out calibration is done on the fused score,
  with the same path for the calibration views.
- operating points: "works" is where the calibration's two error rates are equal; "works5" keeps
  95% of the calibration views of known works (the issue's target for known works refused).

`--only EGH` runs some variants (by their letter); the visitor views are only computed when a
chosen variant needs them. `--merge A.json B.json` prints the tables of earlier runs.

    .venv/bin/python benchmarks/recognizer_variants.py var/hardset/w12-s0 ... --json var/variants.json

Embeddings and keypoints are cached under `--cache` (default var/variants-cache), so a second
run only re-scores. Costs (per photo and per work at training) are measured here on this
machine and reported beside the figures.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import pickle
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageFilter
from sklearn.metrics import roc_auc_score

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MUSEION_SHARED", REPO.parent / "shared"))
os.environ.setdefault("MUSEION_MODEL_MIRROR", str(SHARED / "models"))

VIEWS = 4  # visitor-like views per frame, as `museion train` makes them (TrainOptions.views)
CALIBRATION_VIEWS = 4  # phone-like views per work for the works-out calibration
SHORTLIST = 5
FUSE_WEIGHT = 0.5
INLIER_CAP = 40
SIFT_SIDE = 640
SIFT_FEATURES = 800
FOLDS = 4


def crops(image: Image.Image) -> list[Image.Image]:
    """The 7 squares: centre, both ends of the long side, four 0.6-size squares around the centre."""
    w, h = image.size
    s = min(w, h)
    boxes = [((w - s) / 2, (h - s) / 2), (0, 0), (w - s, h - s)]
    out = [image.crop((round(x), round(y), round(x) + s, round(y) + s)) for x, y in boxes]
    q = 0.6 * s
    for dx in (-0.2, 0.2):
        for dy in (-0.2, 0.2):
            x, y = w / 2 + dx * s - q / 2, h / 2 + dy * s - q / 2
            out.append(image.crop((round(x), round(y), round(x + q), round(y + q))))
    return out


def phone_view(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A photo-like view of a frame at phone resolution: off-axis, nearer or further, relit, blurred, JPEG."""
    w, h = image.size
    pts = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    jitter = np.float32(rng.uniform(-0.12, 0.12, (4, 2)) * [w, h])
    side = rng.uniform(0, 0.15) * h * rng.choice([-1, 1])
    jitter[[1, 2] if side > 0 else [0, 3], 1] += np.float32([abs(side), -abs(side)])
    matrix = cv2.getPerspectiveTransform(pts, pts + jitter)
    scale = rng.uniform(0.8, 1.4)
    zoom = np.array([[scale, 0, (1 - scale) * w / 2], [0, scale, (1 - scale) * h / 2], [0, 0, 1]])
    warped = cv2.warpPerspective(np.asarray(image), zoom @ matrix, (w, h), borderMode=cv2.BORDER_REPLICATE)
    pixels = warped.astype(np.float32) * rng.uniform(0.45, 1.4) * rng.uniform(0.85, 1.15, 3)
    view = Image.fromarray(np.clip(pixels + rng.normal(0, 3, pixels.shape), 0, 255).astype(np.uint8))
    if rng.random() < 0.4:
        view = view.filter(ImageFilter.GaussianBlur(float(rng.uniform(1, 3))))
    buffer = io.BytesIO()
    view.save(buffer, "JPEG", quality=int(rng.integers(40, 90)))
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


# --- features: embeddings and keypoints, cached ------------------------------------------------------------


@dataclass
class Features:
    classes: list[str]
    frame_label: np.ndarray  # [F]
    frame_index: np.ndarray  # [F] position in its clip
    frames: np.ndarray  # [F, 7, D] crops of each frame (crop 0: the product's centre crop)
    views: np.ndarray  # [F, VIEWS, D] museion's visitor views, as `museion train` makes them
    cal_label: np.ndarray  # [Q]
    cal_frame: np.ndarray  # [Q] the frame (row of `frames`) each calibration view comes from
    cal: np.ndarray  # [Q, 7, D]
    photos: np.ndarray  # [P, 7, D]
    manifest: list[dict]
    frame_kp: list = field(default_factory=list)  # per frame: (points [n, 2], descriptors [n, 128])
    cal_kp: list = field(default_factory=list)
    photo_kp: list = field(default_factory=list)
    costs: dict = field(default_factory=dict)  # seconds per picture of each step


def keypoints(image: Image.Image, sift: cv2.SIFT) -> tuple[np.ndarray, np.ndarray]:
    gray = np.asarray(image.convert("L"))
    scale = SIFT_SIDE / max(gray.shape)
    if scale < 1:
        gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    points, descriptors = sift.detectAndCompute(gray, None)
    if descriptors is None:
        return np.zeros((0, 2), np.float32), np.zeros((0, 128), np.float32)
    return np.float32([p.pt for p in points]), descriptors


def compute_features(collection: Path, views_per_frame: int = VIEWS) -> Features:
    from museion.vision.augment import visitor_views
    from museion.vision.bundle import recognizer_input
    from museion.vision.catalog import Catalog
    from museion.vision.embed import embed
    from museion.vision.video import extract_frames

    spec = Catalog().get("imagenet-mobilenetv2")
    spec_in = recognizer_input(spec)
    costs: dict[str, float] = defaultdict(float)

    def timed(name: str, fn: Callable, *args: object) -> object:
        started = time.perf_counter()
        value = fn(*args)
        costs[name] += time.perf_counter() - started
        return value

    classes = sorted(p.name for p in (collection / "album").iterdir() if p.is_dir())
    images, labels, index = [], [], []
    for label, name in enumerate(classes):
        for i, frame in enumerate(
            timed("decode", lambda n=name: list(extract_frames(collection / "album" / n / "clip.mp4", 2.0)))
        ):
            images.append(frame.image)
            labels.append(label)
            index.append(i)
    count = len(images)
    frames = timed("embed_crops", lambda: embed([c for im in images for c in crops(im)], spec, input=spec_in))
    views_pics = timed(
        "views_make",
        lambda: [v for i, im in enumerate(images) for v in visitor_views(im, views_per_frame, i)],
    )
    views = timed("views_embed", lambda: embed(views_pics, spec, input=spec_in)) if views_pics else None
    cal_frame, cal_pics = calibration_pictures(images, labels, len(classes))
    cal = embed([c for im in cal_pics for c in crops(im)], spec, input=spec_in)
    manifest = json.loads((collection / "visitors" / "manifest.json").read_text())
    photos_pics = [Image.open(collection / e["file"]).convert("RGB") for e in manifest]
    photos = timed(
        "photo_embed_crops", lambda: embed([c for im in photos_pics for c in crops(im)], spec, input=spec_in)
    )
    sift = cv2.SIFT_create(nfeatures=SIFT_FEATURES)
    frame_kp = timed("sift_frames", lambda: [keypoints(im, sift) for im in images])
    cal_kp = [keypoints(im, sift) for im in cal_pics]
    photo_kp = timed("sift_photos", lambda: [keypoints(im, sift) for im in photos_pics])
    d = frames.shape[1]
    per = {
        "decode_per_frame": costs["decode"] / count, "embed_per_crop": costs["embed_crops"] / (7 * count),
        "views_make_per_view": costs["views_make"] / max(1, views_per_frame * count),
        "views_embed_per_view": costs["views_embed"] / max(1, views_per_frame * count),
        "photo_embed_7crops": costs["photo_embed_crops"] / len(manifest),
        "sift_per_frame": costs["sift_frames"] / count,
        "sift_per_photo": costs["sift_photos"] / len(manifest),
        "frames_per_work": count / len(classes),
    }  # fmt: skip
    return Features(
        classes, np.array(labels), np.array(index),
        frames.reshape(count, 7, d),
        np.zeros((count, 0, d), np.float32) if views is None else views.reshape(count, views_per_frame, d),
        np.array(labels)[cal_frame], cal_frame, cal.reshape(len(cal_pics), 7, d),
        photos.reshape(len(manifest), 7, d), manifest, frame_kp, cal_kp, photo_kp, per,
    )  # fmt: skip


def calibration_pictures(images: list, labels: list[int], n: int) -> tuple[np.ndarray, list[Image.Image]]:
    """CALIBRATION_VIEWS frames per work, and a phone-like view of each (seeded: the same every time)."""
    rng = np.random.default_rng(7)
    cal_frame = np.array([f for label in range(n) for f in rng.choice(
        np.flatnonzero(np.array(labels) == label), CALIBRATION_VIEWS, replace=False)])  # fmt: skip
    return cal_frame, [phone_view(images[f], rng) for f in cal_frame]


ORB: dict[int, tuple] = {}
ORB_FEATURES = 1500
collection_of: dict[int, Path] = {}


def orb_keypoints(f: Features, collection: Path) -> tuple:
    """ORB keypoints of the frames, calibration views and photos (made on demand: not cached)."""
    from museion.vision.video import extract_frames

    if id(f) in ORB:
        return ORB[id(f)]
    images, labels = [], []
    for label, name in enumerate(f.classes):
        for frame in extract_frames(collection / "album" / name / "clip.mp4", 2.0):
            images.append(frame.image)
            labels.append(label)
    cal_frame, cal_pics = calibration_pictures(images, labels, len(f.classes))
    assert (cal_frame == f.cal_frame).all()
    orb = cv2.ORB_create(nfeatures=ORB_FEATURES)
    photos = [Image.open(collection / e["file"]).convert("RGB") for e in f.manifest]
    ORB[id(f)] = tuple([keypoints(im, orb) for im in group] for group in (images, cal_pics, photos))
    return ORB[id(f)]


def load_features(collection: Path, cache: Path, views: bool = True) -> Features:
    path = cache / f"{collection.name}{'' if views else '-noviews'}.pkl"
    full = cache / f"{collection.name}.pkl"
    for candidate in (full, path) if not views else (path,):
        if candidate.is_file():
            return pickle.loads(candidate.read_bytes())
    features = compute_features(collection, VIEWS if views else 0)
    cache.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(features))
    return features


# --- scoring -----------------------------------------------------------------------------------------------


def unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def query(emb: np.ndarray, mode: str) -> np.ndarray:
    """[N, 7, D] -> [N, D]: the centre crop, or the average of the 7 crops."""
    return emb[:, 0] if mode == "centre" else unit(emb.mean(axis=1))


@dataclass
class Gallery:
    emb: np.ndarray  # [G, D]
    label: np.ndarray  # [G]
    frame: np.ndarray  # [G] the row of Features.frames each entry comes from

    def class_scores(self, q: np.ndarray, n_classes: int, allowed: np.ndarray | None = None) -> np.ndarray:
        """[N, C]: per class, the best similarity of each query to its entries (-1 for none)."""
        sims = q @ self.emb.T
        out = np.full((len(q), n_classes), -1.0, np.float32)
        for c in range(n_classes):
            cols = self.label == c
            if allowed is not None:
                cols = cols[None, :] & allowed
                out[:, c] = np.where(cols, sims, -1).max(axis=1)
            elif cols.any():
                out[:, c] = sims[:, cols].max(axis=1)
        return out


def gallery(f: Features, parts: str, train_rows: np.ndarray | None = None) -> Gallery:
    rows = np.arange(len(f.frame_label)) if train_rows is None else train_rows
    embs, labels, frames = [], [], []
    for name, block in (("frames", f.frames[:, :1]), ("crops", f.frames[:, 1:]), ("views", f.views)):
        if name in parts:
            embs.append(block[rows].reshape(-1, block.shape[-1]))
            labels.append(np.repeat(f.frame_label[rows], block.shape[1]))
            frames.append(np.repeat(rows, block.shape[1]))
    return Gallery(np.concatenate(embs), np.concatenate(labels), np.concatenate(frames))


def eer_threshold(positives: np.ndarray, negatives: np.ndarray) -> float:
    """Where the share of positives refused equals the share of negatives accepted."""
    grid = np.unique(np.concatenate([positives, negatives]))
    refused = (positives[None, :] < grid[:, None]).mean(axis=1)
    accepted = (negatives[None, :] >= grid[:, None]).mean(axis=1)
    return float(grid[int(np.argmin(np.maximum(refused, accepted)))])


def works_out_scores(f: Features, g: Gallery, score: Callable, mode: str) -> tuple[np.ndarray, np.ndarray]:
    """Unknown scores of calibration views: with their work in the gallery (positives) and out (negatives)."""
    q = query(f.cal, mode)
    n = len(f.classes)
    near = np.abs(f.frame_index[g.frame][None, :] - f.frame_index[f.cal_frame][:, None]) <= 1
    own = (g.label[None, :] == f.cal_label[:, None]) & near
    positives = score(q, np.arange(len(q)), ~own, "cal")
    folds = np.random.default_rng(11).permutation(n) % FOLDS
    negatives = []
    for k in range(FOLDS):
        out_classes = np.flatnonzero(folds == k)
        rows = np.flatnonzero(np.isin(f.cal_label, out_classes))
        allowed = ~np.isin(g.label, out_classes)[None, :].repeat(len(rows), axis=0)
        negatives.append(score(q[rows], rows, allowed, "cal"))
    return positives, np.concatenate(negatives)


def frames_out_threshold(f: Features, parts: str, mode: str) -> float:
    """Today's rule on the kNN score: the last quarter of each clip held out, keep 98% of its views."""
    cut = np.array([np.percentile(f.frame_index[f.frame_label == c], 75) for c in range(len(f.classes))])
    held = f.frame_index >= cut[f.frame_label]
    g = gallery(f, parts, np.flatnonzero(~held))
    rows = np.flatnonzero(held)
    v = unit(f.views[rows].reshape(-1, f.views.shape[-1]))
    scores = g.class_scores(v, len(f.classes))
    best = scores.argmax(axis=1)
    right = best == np.repeat(f.frame_label[rows], VIEWS)
    return float(np.percentile(scores.max(axis=1)[right], 2)) if right.any() else 0.0


# --- local features ----------------------------------------------------------------------------------------

_matchers = {"sift": cv2.BFMatcher(cv2.NORM_L2), "orb": cv2.BFMatcher(cv2.NORM_HAMMING)}


def inliers(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray], local: str = "sift") -> int:
    (pa, da), (pb, db) = a, b
    if len(da) < 8 or len(db) < 8:
        return 0
    pairs = _matchers[local].knnMatch(da, db, k=2)
    good = [m for m, *rest in pairs if rest and m.distance < 0.8 * rest[0].distance]
    if len(good) < 8:
        return 0
    src = pa[[m.queryIdx for m in good]]
    dst = pb[[m.trainIdx for m in good]]
    _, mask = cv2.findHomography(src, dst, cv2.RANSAC, 6.0)
    return int(mask.sum()) if mask is not None else 0


def fused(
    f: Features, g: Gallery, q: np.ndarray, q_kp: Sequence, allowed: np.ndarray | None, local: str = "sift"
) -> tuple[np.ndarray, np.ndarray]:
    """Best class and fused score per query: global shortlist, SIFT inliers against its best frames."""
    frame_kp = f.frame_kp if local == "sift" else ORB[id(f)][0]
    n = len(f.classes)
    scores = g.class_scores(q, n, allowed)
    frame_sims = q @ f.frames[:, 0].T  # [N, F]: similarity to each frame's centre crop
    best, value = np.zeros(len(q), int), np.zeros(len(q), np.float32)
    for i in range(len(q)):
        shortlist = np.argsort(-scores[i])[:SHORTLIST]
        fused_scores = []
        for c in shortlist:
            rows = np.flatnonzero(f.frame_label == c)
            if allowed is not None:
                ok = np.isin(rows, g.frame[allowed[i] & (g.label == c)])
                rows = rows[ok]
            if len(rows) == 0 or scores[i, c] <= -1:
                fused_scores.append(-1.0)
                continue
            top = rows[np.argsort(-frame_sims[i, rows])[:2]]
            count = max(inliers(q_kp[i], frame_kp[r], local) for r in top)
            fused_scores.append(scores[i, c] + FUSE_WEIGHT * min(count, INLIER_CAP) / INLIER_CAP)
        k = int(np.argmax(fused_scores))
        best[i], value[i] = shortlist[k], fused_scores[k]
    return best, value


# --- the variants ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    name: str
    head: str  # "lr" (today's logistic head) or "knn"
    train: str  # what the head learns from: "frames+views", "frames+views+crops", ...
    query: str  # "centre" or "tta"
    threshold: str  # "frames" (today's rule) or "works"
    sift: bool = False
    local: str = "sift"  # or "orb": ORB_FEATURES binary features, Hamming distance


VARIANTS = (
    Variant("A today (lr, centre, frames-out)", "lr", "frames+views", "centre", "frames"),
    Variant("B lr + tta", "lr", "frames+views", "tta", "frames"),
    Variant("C lr + train crops + tta", "lr", "frames+views+crops", "tta", "frames"),
    Variant("D knn(frames+views+crops) + tta, frames-out", "knn", "frames+views+crops", "tta", "frames"),
    Variant("E knn(frames+views+crops) + tta, works-out", "knn", "frames+views+crops", "tta", "works"),
    Variant("F knn(frames+crops) + tta, works-out", "knn", "frames+crops", "tta", "works"),
    Variant("G E + sift rerank", "knn", "frames+views+crops", "tta", "works", True),
    Variant("H F + sift rerank", "knn", "frames+crops", "tta", "works", True),
    Variant(
        "I H, threshold keeping 95% of the calibration knowns", "knn", "frames+crops", "tta", "works5", True
    ),
    Variant("J H with ORB instead of SIFT", "knn", "frames+crops", "tta", "works", True, "orb"),
)


@dataclass
class LogisticHead:
    """The head `museion train` shipped before the keypoint check (museion.vision.head until 2026-12-03),
    kept here so the variants are compared with it whatever src/ holds now: a logistic regression on
    the pooled feature, 64 random prototypes per class, and an unknown threshold keeping 98% of the
    held-out views of the last quarter of each clip."""

    model: object
    prototypes: np.ndarray  # [C, 64, D]
    threshold: float = 0.0

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Best class and its similarity to that class's prototypes."""
        best = self.model.predict(x)
        sim = np.einsum("nd,ckd->nck", x, self.prototypes).max(axis=2)
        return best, sim[np.arange(len(best)), best]


_heads: dict[tuple[int, str], LogisticHead] = {}


def run_lr(f: Features, v: Variant) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    head = _heads.get((id(f), v.train))
    if head is None:
        head = _heads[(id(f), v.train)] = fit_lr(f, v)
    best, sim = head.predict(query(f.photos, v.query))
    return best, sim, sim >= head.threshold


def fit_lr(f: Features, v: Variant) -> LogisticHead:
    from sklearn.linear_model import LogisticRegression

    blocks = [f.frames[:, :1], f.views] + ([f.frames[:, 1:]] if "crops" in v.train else [])
    x = np.concatenate(blocks, axis=1)  # [F, 1 + views (+ 6), D]; column 0 the frame itself
    order = f.frame_index
    # One clip per class: its last quarter (by time) is held out, views and crops with their frame.
    cut = np.array([
        np.sort(order[f.frame_label == c])[min(int((f.frame_label == c).sum()) - 1,
                                             int((f.frame_label == c).sum() * 0.75))]
        for c in range(len(f.classes))
    ])  # fmt: skip
    held = order >= cut[f.frame_label]
    per = x.shape[1]
    train_x = x[~held].reshape(-1, x.shape[-1])
    train_y = np.repeat(f.frame_label[~held], per)
    model = LogisticRegression(C=10.0, max_iter=2000, class_weight="balanced", random_state=0)
    model.fit(train_x, train_y)
    rng = np.random.default_rng(0)
    protos = np.zeros((len(f.classes), 64, x.shape[-1]), np.float32)
    for c in range(len(f.classes)):
        rows = train_x[train_y == c]
        if len(rows) > 64:
            rows = rows[rng.choice(len(rows), 64, replace=False)]
        protos[c] = rows[np.arange(64) % len(rows)]
    head = LogisticHead(model, protos)
    views = x[held][:, 1:].reshape(-1, x.shape[-1])  # the held-out views (and crops)
    labels = np.repeat(f.frame_label[held], per - 1)
    best, sim = head.predict(views)
    right = sim[best == labels]
    head.threshold = float(np.percentile(right, 2)) if len(right) else 0.0
    return head


CALIBRATION: dict[str, dict] = {}
_fused_cache: dict[tuple, tuple] = {}


def run_knn(f: Features, v: Variant) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    g = gallery(f, v.train)
    n = len(f.classes)
    if v.sift:
        # Variants that differ only in their threshold share the (slow) matching of photos and views.
        memo = _fused_cache.setdefault((id(f), v.train, v.query, v.local), {})
        kps = (f.cal_kp, f.photo_kp) if v.local == "sift" else orb_keypoints(f, collection_of[id(f)])[1:]
        cal_kp, photo_kp = kps

        def score(q: np.ndarray, rows: np.ndarray, allowed: np.ndarray, _: str) -> np.ndarray:
            key = (tuple(rows.tolist()), allowed.tobytes() if allowed is not None else b"")
            if key not in memo:
                memo[key] = fused(f, g, q, [cal_kp[r] for r in rows], allowed, v.local)[1]
            return memo[key]

        if "photos" not in memo:
            started = time.perf_counter()
            memo["photos"] = fused(f, g, query(f.photos, v.query), photo_kp, None, v.local)
            memo["photo_ms"] = (time.perf_counter() - started) * 1000 / len(f.photos)
        best, value = memo["photos"]
        PHOTO_MS[v.name] = memo["photo_ms"]
    else:

        def score(q: np.ndarray, rows: np.ndarray, allowed: np.ndarray, _: str) -> np.ndarray:
            return g.class_scores(q, n, allowed).max(axis=1)

        started = time.perf_counter()
        scores = g.class_scores(query(f.photos, v.query), n)
        best, value = scores.argmax(axis=1), scores.max(axis=1)
        PHOTO_MS[v.name] = (time.perf_counter() - started) * 1000 / len(f.photos)
    if v.threshold.startswith("works"):
        positives, negatives = works_out_scores(f, g, score, v.query)
        # "works": equal error rates; "works5": keep 95% of the known works' calibration views.
        eer = eer_threshold(positives, negatives)
        threshold = eer if v.threshold == "works" else float(np.percentile(positives, 5))
        CALIBRATION[v.name] = {
            "threshold": round(threshold, 4),
            "expected_known_refused": round(float((positives < threshold).mean()), 4),
            "expected_unknown_refused": round(float((negatives < threshold).mean()), 4),
        }
    else:
        threshold = frames_out_threshold(f, v.train, v.query)
    return best, value, value >= threshold


def evaluate(
    f: Features, artist_of: dict[str, str], best: np.ndarray, value: np.ndarray, accepted: np.ndarray
) -> dict:
    known = np.array([e["kind"] == "known" for e in f.manifest])
    truth = np.array([f.classes.index(e["work"]) if e["work"] else -1 for e in f.manifest])
    right = (best == truth) & known
    wrong = known & ~right
    same = [
        artist_of[f.classes[b]] == e["artist"] for b, e, w in zip(best, f.manifest, wrong, strict=True) if w
    ]
    conditions: dict[str, dict] = {}
    for c in sorted({e["condition"] for e in f.manifest}):
        rows = np.array([e["condition"] == c for e in f.manifest]) & known
        if rows.any():
            conditions[c] = {"n": int(rows.sum()), "top1": float(right[rows].mean()),
                             "refused": float((~accepted[rows]).mean())}  # fmt: skip
    kinds = np.array([e["kind"] for e in f.manifest])
    return {
        "top1": float(right[known].mean()), "known_refused": float((~accepted[known]).mean()),
        "answered_right": float((right & accepted)[known].mean()),
        "unknown_refused": float((~accepted[~known]).mean()),
        "unknown_artist_refused": float((~accepted[kinds == "unknown_artist"]).mean()),
        "unrelated_refused": float((~accepted[kinds == "unrelated"]).mean()),
        "wrong_same_artist": float(np.mean(same)) if same else None,
        "auroc": float(roc_auc_score(known, value)), "per_condition": conditions,
    }  # fmt: skip


PHOTO_MS: dict[str, float] = {}


def _gallery_rows(f: Features, v: Variant) -> float:
    per_frame = {"frames": 1, "crops": 6, "views": VIEWS}
    return f.costs["frames_per_work"] * sum(k for name, k in per_frame.items() if name in v.train)


def measure(collection: Path, cache: Path, only: str = "") -> dict:
    info = json.loads((collection / "collection.json").read_text())
    artist_of = {w["name"]: w["artist"] for w in info["collection"]}
    chosen = [v for v in VARIANTS if not only or v.name[0] in only]
    f = load_features(collection, cache, views=any(v.head == "lr" or "views" in v.train for v in chosen))
    collection_of[id(f)] = collection
    out = {
        "set": collection.name,
        "works": info["works"],
        "seed": info["seed"],
        "costs": f.costs,
        "variants": {},
    }
    for v in chosen:
        started = time.perf_counter()
        best, value, accepted = (run_lr if v.head == "lr" else run_knn)(f, v)
        result = evaluate(f, artist_of, best, value, accepted)
        result["score_s"] = round(time.perf_counter() - started, 2)
        # Scoring a photo once its crops are embedded and its keypoints found (kNN, matching, RANSAC).
        result["photo_scoring_ms"] = round(PHOTO_MS.get(v.name, 0.0), 2)
        result["gallery_rows_per_work"] = _gallery_rows(f, v)
        result["calibration"] = CALIBRATION.get(v.name)
        out["variants"][v.name] = result
        print(f"... {collection.name} {v.name}: top-1 {result['top1']:.2f} known refused "
              f"{result['known_refused']:.2f} unknown refused {result['unknown_refused']:.2f} "
              f"auroc {result['auroc']:.2f}", file=sys.stderr, flush=True)  # fmt: skip
    return out


def markdown(results: list[dict]) -> str:
    lines = ["| variant | " + " | ".join(r["set"] for r in results) + " |", "|---|" + "---|" * len(results)]
    for name in results[0]["variants"]:
        cells = []
        for r in results:
            m = r["variants"][name]
            cells.append(
                f"{m['top1']:.0%} / {m['known_refused']:.0%} / {m['unknown_refused']:.0%} / {m['auroc']:.2f}"
            )
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("cells: top-1 / known refused / unknown refused / AUROC of the unknown score")
    lines += [
        "",
        "| variant | mean top-1 | worst top-1 | mean known refused | worst | mean unknown refused | worst "
        "| mean AUROC | scoring ms/photo (after embedding) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name in results[0]["variants"]:
        ms = [r["variants"][name] for r in results]
        col = {k: [m[k] for m in ms] for k in ("top1", "known_refused", "unknown_refused", "auroc")}
        lines.append(
            f"| {name} | {np.mean(col['top1']):.1%} | {min(col['top1']):.1%} "
            f"| {np.mean(col['known_refused']):.1%} "
            f"| {max(col['known_refused']):.1%} | {np.mean(col['unknown_refused']):.1%} "
            f"| {min(col['unknown_refused']):.1%} | {np.mean(col['auroc']):.3f} "
            f"| {np.mean([m.get('photo_scoring_ms', 0) for m in ms]):.1f} |"
        )
    lines += ["", "Costs measured (seconds per picture; wall, on this machine at the time):", ""]
    keys = list(results[0]["costs"])
    lines += ["| set | " + " | ".join(keys) + " |", "|---|" + "---|" * len(keys)]
    for r in results:
        lines.append(f"| {r['set']} | " + " | ".join(f"{r['costs'][k]:.3f}" for k in keys) + " |")
    return "\n".join(lines)


def photo_costs(collection: Path, cache: Path, photos: int = 30) -> dict:
    """CPU milliseconds per photo of each step of the winning path (process time: less sensitive to a
    busy machine than wall time; the embedding runs on MUSEION_THREADS threads, so it adds them up)."""
    from museion.vision.bundle import recognizer_input
    from museion.vision.catalog import Catalog
    from museion.vision.embed import embed

    f = load_features(collection, cache, views=False)
    spec = Catalog().get("imagenet-mobilenetv2")
    sift, steps = cv2.SIFT_create(nfeatures=SIFT_FEATURES), defaultdict(float)
    g = gallery(f, "frames+crops")
    for entry in f.manifest[:photos]:
        data = (collection / entry["file"]).read_bytes()
        t = time.process_time()
        image = Image.open(io.BytesIO(data)).convert("RGB")
        steps["decode"] += time.process_time() - t
        t = time.process_time()
        e = embed(crops(image), spec, input=recognizer_input(spec))
        steps["embed_1_crop"] += (time.process_time() - t) / 7
        steps["embed_7_crops"] += time.process_time() - t
        t = time.process_time()
        kp = keypoints(image, sift)
        steps["sift_detect"] += time.process_time() - t
        t = time.process_time()
        q = unit(e.mean(axis=0))[None]
        scores = g.class_scores(q, len(f.classes))
        steps["knn"] += time.process_time() - t
        t = time.process_time()
        shortlist = np.argsort(-scores[0])[:SHORTLIST]
        for c in shortlist:
            rows = np.flatnonzero(f.frame_label == c)
            for r in rows[np.argsort(-(q @ f.frames[rows, 0].T)[0])[:2]]:
                inliers(kp, f.frame_kp[r])
        steps["match_ransac_10_frames"] += time.process_time() - t
    return {k: round(v * 1000 / photos, 1) for k, v in steps.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sets", nargs="*", type=Path)
    parser.add_argument("--cache", type=Path, default=REPO / "var" / "variants-cache")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--costs", action="store_true", help="CPU ms per photo of each step of variant H")
    parser.add_argument("--only", default="", help="letters of the variants to run (default: all), e.g. FH")
    parser.add_argument("--merge", nargs="+", type=Path, help="print the tables of earlier --json files")
    args = parser.parse_args()
    if args.merge:
        print(markdown([r for path in args.merge for r in json.loads(path.read_text())]))
        return
    if args.costs:
        for collection in args.sets:
            print(collection.name, json.dumps(photo_costs(collection, args.cache)))
        return
    results = []
    for collection in args.sets:
        results.append(measure(collection, args.cache, args.only))
        if args.json:
            args.json.write_text(json.dumps(results, indent=1))
    print(markdown(results))


if __name__ == "__main__":
    main()
