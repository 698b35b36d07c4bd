"""A recognizer on top of a frozen backbone: a gallery of embeddings, checked by local features.

Works on embeddings and keypoints only (numpy in, numpy out), so the callers decide where they
come from and how they are cached. Two stages:

1. Global: a photo's similarity to each work is its best cosine similarity to the work's
   prototypes (frames and visitor-like views of them, up to PROTOTYPES_PER_CLASS, chosen to
   cover the work's views). This stage is all an exported model.onnx does, so it runs anywhere.
2. Verification, where the photo's keypoints are known (the server, `museion predict`): the
   SHORTLIST most similar works are re-scored by the RANSAC inliers between the photo and
   their reference pictures (`keypoints.inliers`), fused as `similarity + FUSE_WEIGHT *
   min(inliers, INLIER_CAP) / INLIER_CAP`. Works of one artist share palette and style, so the
   pooled feature confuses them; the arrangement of their details does not match.

A photo is unknown when its best work's score (fused, or global without keypoints) is under the
threshold of its stage, both calibrated on works left out (`calibrate`).
"""

from __future__ import annotations

import io
import itertools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from museion.vision.keypoints import Keypoints, inliers

PROTOTYPES_PER_CLASS = 64
REFERENCES_PER_CLASS = 8  # pictures per work whose keypoints are kept, spread over its clips
SHORTLIST = 5  # works verified by keypoints per photo
COMPARED = 2  # of each shortlisted work, the references most similar to the photo are matched
FUSE_WEIGHT = 0.5
INLIER_CAP = 40
SHARPNESS = 30.0  # the softmax over similarities that gives the displayed scores


@dataclass(frozen=True)
class Example:
    """One training picture: a media item, or a visitor-like view of one."""

    embedding: np.ndarray  # [D], unit length
    label: int
    group: str  # the source video (or the photo itself): never on both sides of the split
    order: float = 0.0  # position in the source video, seconds
    ref: str = ""  # the media item it comes from
    augmented: bool = False


@dataclass(frozen=True)
class Probe:
    """A phone photo made from a training picture, for calibration: what a visitor would send."""

    embedding: np.ndarray  # [D]
    keypoints: Keypoints
    condition: str  # augment.PHOTO_CONDITIONS

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez(buffer, embedding=self.embedding.astype(np.float32), points=self.keypoints.points,
                 descriptors=self.keypoints.descriptors, condition=np.array(self.condition))  # fmt: skip
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Probe:
        with np.load(io.BytesIO(data), allow_pickle=False) as stored:
            keypoints = Keypoints(stored["points"], stored["descriptors"])
            return cls(stored["embedding"], keypoints, str(stored["condition"]))


@dataclass
class References:
    """The pictures whose keypoints the verification stage matches photos against."""

    labels: np.ndarray  # [R]
    embeddings: np.ndarray  # [R, D]
    keypoints: list[Keypoints]

    def of(self, label: int) -> np.ndarray:
        return np.flatnonzero(self.labels == label)

    def to_arrays(self) -> dict[str, np.ndarray]:
        counts = np.array([len(k) for k in self.keypoints], np.int64)
        empty = Keypoints.none()
        return {
            "ref_labels": self.labels.astype(np.int64),
            "ref_embeddings": self.embeddings.astype(np.float32),
            "ref_counts": counts,
            "ref_points": np.concatenate([k.points for k in self.keypoints] or [empty.points]),
            "ref_descriptors": np.concatenate([k.descriptors for k in self.keypoints] or [empty.descriptors]),
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> References:
        bounds = np.concatenate([[0], np.cumsum(arrays["ref_counts"])])
        points, descriptors = arrays["ref_points"], arrays["ref_descriptors"]
        keypoints = [Keypoints(points[a:b], descriptors[a:b]) for a, b in itertools.pairwise(bounds)]
        return cls(arrays["ref_labels"], arrays["ref_embeddings"], keypoints)


@dataclass
class Head:
    classes: list[str]
    prototypes: np.ndarray  # [C, K, D]: per class, embeddings that stand for it
    threshold: float = 0.0  # under this score of its best class (fused when verified), unknown
    global_threshold: float = 0.0  # the same for the global stage alone (what model.onnx gives)
    references: References | None = None

    def to_bytes(self) -> bytes:
        """The one stored form of a head: an .npz of its arrays, thresholds and classes."""
        buffer = io.BytesIO()
        arrays = {
            "prototypes": self.prototypes,
            "threshold": np.float64(self.threshold),
            "global_threshold": np.float64(self.global_threshold),
            "classes": np.array(self.classes, dtype=str),
        }
        np.savez(buffer, **arrays, **(self.references.to_arrays() if self.references else {}))
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes, classes: Sequence[str] | None = None) -> Head:
        """Read `to_bytes`, and heads stored before verification (their threshold is global).

        `classes` names them for heads stored before they held their names.
        """
        with np.load(io.BytesIO(data), allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
        names = [str(n) for n in arrays["classes"]] if "classes" in arrays else list(classes or [])
        if len(names) != len(arrays["prototypes"]):
            raise ValueError(
                f"the head has {len(arrays['prototypes'])} classes, {len(names)} names were given"
            )
        threshold = float(arrays["threshold"])
        references = References.from_arrays(arrays) if "ref_labels" in arrays else None
        return cls(names, arrays["prototypes"], threshold,
                   float(arrays.get("global_threshold", threshold)), references)  # fmt: skip

    def similarity(self, embeddings: np.ndarray) -> np.ndarray:
        """Per class, the best cosine similarity to its prototypes [N, C]."""
        c, k, d = self.prototypes.shape
        return (embeddings @ self.prototypes.reshape(c * k, d).T).reshape(len(embeddings), c, k).max(axis=2)

    def scores(
        self, embeddings: np.ndarray, keypoints: Sequence[Keypoints] | None = None, compared: int = COMPARED
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per photo and class, the displayed probability [N, C] and the deciding score [N, C].

        The deciding score is the global similarity, fused with keypoint inliers for the
        shortlisted classes when `keypoints` (one per photo) are given and the head has references.
        """
        score = self.similarity(embeddings)
        if keypoints is not None and self.references is not None:
            for row, photo in enumerate(keypoints):
                score[row] = self.verified(embeddings[row], score[row], photo, compared=compared)
        return softmax(score * SHARPNESS), score

    def verified(
        self,
        embedding: np.ndarray,
        similarity: np.ndarray,
        photo: Keypoints,
        exclude: np.ndarray | None = None,
        counted: dict[int, int] | None = None,
        compared: int = COMPARED,
    ) -> np.ndarray:
        """`similarity` [C] with the shortlist's inlier bonus added. `exclude`: references not to use;
        `counted`: inliers already counted for this photo, by reference (filled in as it goes);
        `compared`: references matched per shortlisted work, those most similar to the photo."""
        counted = {} if counted is None else counted
        refs = self.references
        assert refs is not None
        fused = similarity.copy()
        best = -np.inf
        for label in np.argsort(-similarity, kind="stable")[:SHORTLIST]:
            if similarity[label] + FUSE_WEIGHT <= best:
                break  # even a full bonus could not lift this work, or any after it, above the best
            rows = refs.of(int(label))
            if exclude is not None:
                rows = rows[~exclude[rows]]
            if len(rows) == 0:
                continue
            closest = rows[np.argsort(-(refs.embeddings[rows] @ embedding), kind="stable")[:compared]]
            for r in closest:
                if int(r) not in counted:
                    counted[int(r)] = inliers(photo, refs.keypoints[r])
            count = max(counted[int(r)] for r in closest)
            fused[label] += FUSE_WEIGHT * min(count, INLIER_CAP) / INLIER_CAP
            best = max(best, fused[label])
        return fused

    def threshold_for(self, keypoints: object) -> float:
        """The unknown threshold of the stage that scored: verified when keypoints were given."""
        return (
            self.threshold if keypoints is not None and self.references is not None else self.global_threshold
        )

    def predict(
        self, embeddings: np.ndarray, keypoints: Sequence[Keypoints] | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Best class, its displayed probability, and whether it is unknown, per row."""
        probs, score = self.scores(embeddings, keypoints)
        best = score.argmax(axis=1)
        rows = np.arange(len(best))
        return best, probs[rows, best], score[rows, best] < self.threshold_for(keypoints)


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@dataclass
class Split:
    train: list[Example]
    val: list[Example]
    by_time: list[str] = field(default_factory=list)  # classes split inside one video


def split(examples: Sequence[Example], classes: Sequence[str], val_fraction: float, seed: int) -> Split:
    """Hold out whole groups per class; a class with one video is cut in time instead."""
    rng = np.random.default_rng(seed)
    groups: dict[int, list[str]] = defaultdict(list)
    for ex in examples:
        if ex.group not in groups[ex.label]:
            groups[ex.label].append(ex.group)
    val_groups: set[str] = set()
    cut: dict[int, float] = {}
    for label, names in groups.items():
        if len(names) >= 2:
            k = max(1, round(len(names) * val_fraction))
            val_groups.update(rng.choice(names, size=k, replace=False).tolist())
        else:
            orders = sorted(ex.order for ex in examples if ex.label == label and not ex.augmented)
            if len(orders) >= 2:
                cut[label] = orders[min(len(orders) - 1, int(len(orders) * (1 - val_fraction)))]
    train, val = [], []
    for ex in examples:
        held = ex.group in val_groups or (ex.label in cut and ex.order >= cut[ex.label])
        (val if held else train).append(ex)
    return Split(train, val, [classes[label] for label in sorted(cut)])


def fit(
    examples: Sequence[Example], classes: Sequence[str], keypoints: dict[str, Keypoints] | None = None
) -> Head:
    """A head over `examples`: prototypes per class, and references where `keypoints` has them.

    `keypoints` maps a picture's ref to its keypoints (see `reference_refs` for which are wanted).
    """
    if len({ex.label for ex in examples}) < 2:
        raise ValueError("training needs at least two classes with pictures")
    head = Head(list(classes), prototypes(examples, len(classes)))
    if keypoints:
        own = {ex.ref: ex for ex in examples if not ex.augmented}
        chosen = [own[ref] for ref in keypoints if ref in own]
        head.references = References(
            np.array([ex.label for ex in chosen], np.int64),
            np.stack([ex.embedding for ex in chosen]).astype(np.float32),
            [keypoints[ex.ref] for ex in chosen],
        )
    return head


def prototypes(examples: Sequence[Example], n_classes: int) -> np.ndarray:
    """Per class, up to PROTOTYPES_PER_CLASS embeddings that cover its examples, padded by repetition.

    Chosen farthest-first: each next prototype is the example least like those chosen, so a
    few views from an unusual angle are kept rather than many near-copies of one frame.
    """
    dim = len(examples[0].embedding)
    out = np.zeros((n_classes, PROTOTYPES_PER_CLASS, dim), np.float32)
    by_label: dict[int, list[np.ndarray]] = defaultdict(list)
    for ex in examples:
        by_label[ex.label].append(ex.embedding)
    for label, rows in by_label.items():
        x = np.stack(rows).astype(np.float32)
        chosen = [0]
        nearest = x @ x[0]
        while len(chosen) < min(PROTOTYPES_PER_CLASS, len(x)):
            pick = int(np.argmin(nearest))
            chosen.append(pick)
            nearest = np.maximum(nearest, x @ x[pick])
        out[label] = x[chosen][np.arange(PROTOTYPES_PER_CLASS) % len(chosen)]
    return out


def reference_refs(examples: Sequence[Example], per_class: int = REFERENCES_PER_CLASS) -> list[str]:
    """Which pictures' keypoints a head wants: per class, up to `per_class`, spread evenly."""
    by_label: dict[int, list[Example]] = defaultdict(list)
    for ex in examples:
        if not ex.augmented:
            by_label[ex.label].append(ex)
    refs = []
    for label in sorted(by_label):
        pictures = sorted(by_label[label], key=lambda ex: (ex.group, ex.order))
        step = len(pictures) / min(per_class, len(pictures))
        refs += [pictures[int(i * step)].ref for i in range(min(per_class, len(pictures)))]
    return refs


@dataclass(frozen=True)
class Scored:
    """A calibration photo scored by a head: as a known work, and as if its work were not in the album."""

    label: int
    ref: str
    condition: str
    best: int
    best_global: int  # the best class of the global stage alone
    known: float  # deciding score of the best class, its own work in the gallery
    unknown: float  # the same with its work left out: what a work outside the album scores
    known_global: float
    unknown_global: float


def score_probes(head: Head, probes: Sequence[tuple[Example, Probe]]) -> list[Scored]:
    """Each probe against `head` (trained without the probe's picture) with and without its own work."""
    out = []
    refs = head.references
    for ex, probe in probes:
        sim = head.similarity(probe.embedding[None])[0]
        out_sim = sim.copy()
        out_sim[ex.label] = -np.inf  # the work left out: only the others remain
        fused, out_fused = sim, out_sim
        if refs is not None:
            counted: dict[int, int] = {}  # the two scorings share most of their matches
            fused = head.verified(probe.embedding, sim, probe.keypoints, counted=counted)
            out_fused = head.verified(
                probe.embedding, out_sim, probe.keypoints, exclude=refs.labels == ex.label, counted=counted
            )
        best = int(np.argmax(fused))
        out.append(Scored(ex.label, ex.ref, probe.condition, best, int(np.argmax(sim)), float(fused[best]),
                          float(out_fused.max()), float(sim.max()), float(out_sim.max())))  # fmt: skip
    return out


def equal_error_threshold(positives: np.ndarray, negatives: np.ndarray) -> float:
    """A threshold where the share of positives refused equals the share of negatives accepted.

    Every threshold between two neighbouring scores behaves alike; of the range that errs
    least, the middle is taken, not its edge: photos of the gallery are a little harder than
    the calibration photos, and a threshold at the lowest known's score would refuse them.
    """
    grid = np.unique(np.concatenate([positives, negatives]))
    refused = (positives[None, :] < grid[:, None]).mean(axis=1)
    accepted = (negatives[None, :] >= grid[:, None]).mean(axis=1)
    error = np.maximum(refused, accepted)
    best = np.flatnonzero(error == error.min())
    last = best[0] + int(np.argmax(np.diff(np.append(best, best[-1] + 2)) > 1))  # end of the first run
    low = grid[best[0] - 1] if best[0] > 0 else grid[best[0]]
    return float((low + grid[last]) / 2)


# The operating point: of the calibration's unknowns, refuse at least this share (the product's
# target). They are the album's own works photographed in the same rooms, frames and light, so they
# match more of a known work's surroundings than most works outside the album do.
UNKNOWNS_REFUSED = 0.95


# Where the calibration separates knowns from unknowns, the threshold sits this share of the gap
# above the highest unknown. Not the middle: the calibration's phone photos of known works are
# kinder than a gallery's (a dim room, a third of the work cut off score lower), while its unknowns,
# the album's own works left out, are as close as works outside the album come. Scored offline on
# the three 12-work hard sets: known works refused 4.2/6.2/5.2% -> 3.1/4.2/5.2%, unknowns refused
# 100% either way (at 40 works their calibration overlapped, and the other rule decided).
GAP_SHARE = 0.25


def operating_threshold(positives: np.ndarray, negatives: np.ndarray) -> float:
    """Where a photo's score stops counting as one of the album's works.

    Where the calibration separates knowns from unknowns, GAP_SHARE of the gap above the highest
    unknown. Otherwise the lowest threshold that refuses UNKNOWNS_REFUSED of `negatives`, never
    above the balanced (equal error) one: refusing a work in front of the visitor is the costlier
    mistake, so it refuses no more knowns than the target on unknowns needs.
    """
    lowest_known, highest_unknown = float(positives.min()), float(negatives.max())
    if lowest_known > highest_unknown:
        return highest_unknown + GAP_SHARE * (lowest_known - highest_unknown)
    balanced = equal_error_threshold(positives, negatives)
    ordered = np.sort(negatives)
    index = min(len(ordered) - 1, int(np.ceil(UNKNOWNS_REFUSED * len(ordered))) - 1)
    # Just above the negative at the target's rank: it and all below it are refused.
    return float(min(balanced, np.nextafter(ordered[index], np.inf)))


def calibrate(head: Head, scored: Sequence[Scored], negatives: np.ndarray | None = None) -> dict:
    """Set both thresholds from calibration photos of works left out; return what they achieve.

    Positives are the photos scored with their work in the album, negatives the same photos with
    their work left out (the nearest thing to a work of the same artist that is not in the
    album), plus `negatives`: embeddings of pictures of other things [M, D] (global stage only:
    they bring no keypoint bonus). Each threshold is `operating_threshold` of its stage.
    """
    if not scored:
        return {"threshold": head.threshold, "global_threshold": head.global_threshold, "negatives": 0,
                "basis": "no calibration photos: too little to judge"}  # fmt: skip
    others = (
        head.similarity(negatives).max(axis=1) if negatives is not None and len(negatives) else np.zeros(0)
    )
    spread = {}
    for stage, known_of, unknown_of in (
        ("threshold", lambda s: s.known, lambda s: s.unknown),
        ("global_threshold", lambda s: s.known_global, lambda s: s.unknown_global),
    ):
        positives = np.array([known_of(s) for s in scored])
        unknowns = np.concatenate([[unknown_of(s) for s in scored], others])
        setattr(head, stage, operating_threshold(positives, unknowns))
        quantiles = (0.05, 0.25, 0.5, 0.75, 0.95)
        spread[stage] = {"knowns": np.quantile(positives, quantiles).round(4).tolist(),
                         "unknowns": np.quantile(unknowns, quantiles).round(4).tolist()}  # fmt: skip
    return {
        "threshold": head.threshold,
        "global_threshold": head.global_threshold,
        "negatives": len(others),
        "basis": f"works left out: {UNKNOWNS_REFUSED:.0%} of them refused, or {GAP_SHARE:.0%} into a gap",
        "score_quantiles": spread,  # 5/25/50/75/95% of each stage's scores, knowns and unknowns
    }


def evaluate(head: Head, scored: Sequence[Scored], negatives: np.ndarray | None = None) -> dict:
    """What the thresholds give on the calibration photos: top-1, refusals, per class and condition."""
    if not scored:
        return {"accuracy": None, "validated": 0}
    y = np.array([s.label for s in scored])
    best = np.array([s.best for s in scored])
    refused = np.array([s.known < head.threshold for s in scored])
    outside = np.array([s.unknown < head.threshold for s in scored])
    others = (
        head.similarity(negatives).max(axis=1) if negatives is not None and len(negatives) else np.zeros(0)
    )
    n = len(head.classes)
    confusion = np.zeros((n, n), int)
    np.add.at(confusion, (y, best), 1)
    return {
        "accuracy": float((best == y).mean()),
        "known_refused": float(refused.mean()),
        "unknown_refused": float(np.concatenate([outside, others < head.global_threshold]).mean()),
        "answered_right": float(((best == y) & ~refused).mean()),
        "global_stage": {
            "accuracy": float(np.mean([s.best_global == s.label for s in scored])),
            "known_refused": float(np.mean([s.known_global < head.global_threshold for s in scored])),
            "unknown_refused": float(np.mean([s.unknown_global < head.global_threshold for s in scored])),
        },
        "validated": len(scored),
        "per_class": _per_class(head.classes, confusion),
        "per_condition": _per_condition(scored, best == y, refused),
        "confusion": confusion.tolist(),
        "misclassified": [_miss(head, s) for s in scored if s.best != s.label],
        "scores": validation_scores(head, scored, others),
    }


def validation_scores(head: Head, scored: Sequence[Scored], others: np.ndarray) -> dict:
    """The deciding scores of the validation photos, so that any other threshold can be judged
    (`rates_at`) without the photos: the version page's slider moves over these.

    `known`: [score, top-1 right (1/0)] of each photo with its work in the album; `unknown`: the same
    photos' best score with their work left out; `others`: pictures of other things, global stage.
    """
    return {
        "threshold": head.threshold,
        "global_threshold": head.global_threshold,
        "known": [[s.known, int(s.best == s.label)] for s in scored],
        "unknown": [s.unknown for s in scored],
        "others": others.astype(float).tolist(),  # unrounded: a rounded score can cross the threshold
    }


def global_threshold_for(scores: dict, threshold: float) -> float:
    """The global stage's threshold that goes with `threshold` of the verified stage: moved by as much
    as the curator moved the verified one from its calibrated value (both are cosine-scaled)."""
    return float(scores["global_threshold"] + threshold - scores["threshold"])


def rates_at(scores: dict, threshold: float) -> dict:
    """What `threshold` gives on a version's validation photos (`validation_scores`): the shares of
    known photos refused and answered right, and of unknown ones refused. At the calibrated threshold
    these are `evaluate`'s figures; static/museion/album.js computes the same for the slider."""
    known = np.array(scores["known"], np.float64).reshape(-1, 2)
    unknown = np.array(scores["unknown"], np.float64)
    others = np.array(scores.get("others", []), np.float64)
    refused = known[:, 0] < threshold
    outside = np.concatenate([unknown < threshold, others < global_threshold_for(scores, threshold)])
    return {
        "threshold": float(threshold),
        "known_refused": float(refused.mean()) if len(known) else None,
        "answered_right": float(((known[:, 1] == 1) & ~refused).mean()) if len(known) else None,
        "unknown_refused": float(outside.mean()) if len(outside) else None,
        "known_photos": len(known),
        "unknown_photos": len(outside),
    }


def _miss(head: Head, s: Scored) -> dict:
    return {"ref": s.ref, "condition": s.condition, "label": head.classes[s.label],
            "predicted": head.classes[s.best], "score": round(s.known, 4)}  # fmt: skip


def _per_class(classes: Sequence[str], confusion: np.ndarray) -> dict:
    out = {}
    for i, name in enumerate(classes):
        predicted, actual = confusion[:, i].sum(), confusion[i].sum()
        out[name] = {
            "precision": float(confusion[i, i] / predicted) if predicted else None,
            "recall": float(confusion[i, i] / actual) if actual else None,
            "support": int(actual),
        }
    return out


def _per_condition(scored: Sequence[Scored], right: np.ndarray, refused: np.ndarray) -> dict:
    out = {}
    for condition in sorted({s.condition for s in scored}):
        rows = np.array([s.condition == condition for s in scored])
        out[condition] = {"photos": int(rows.sum()), "top1": float(right[rows].mean()),
                          "known_refused": float(refused[rows].mean())}  # fmt: skip
    return out
