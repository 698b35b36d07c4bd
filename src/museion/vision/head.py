"""A recognizer head on top of a frozen backbone: split, train, evaluate, calibrate.

Works on embeddings only (numpy in, numpy out), so the callers decide where
embeddings come from and how they are cached.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.linear_model import LogisticRegression

PROTOTYPES_PER_CLASS = 64
KEEP_PERCENTILE = 2  # without negatives, 2% of the knowns' visitor-like views fall under the threshold
# With negatives, never refuse more of the knowns' views than this: look-alike negatives
# (another cat, when the album has a cat) would otherwise push the threshold up too far.
MAX_REFUSED_PERCENTILE = 10


@dataclass(frozen=True)
class Example:
    """One training picture: a media item, or a visitor-like view of one."""

    embedding: np.ndarray  # [D], unit length
    label: int
    group: str  # the source video (or the photo itself): never on both sides of the split
    order: float = 0.0  # position in the source video, seconds
    ref: str = ""  # the media item it comes from
    augmented: bool = False


@dataclass
class Head:
    classes: list[str]
    weights: np.ndarray  # [C, D]
    bias: np.ndarray  # [C]
    prototypes: np.ndarray  # [C, K, D]: per class, embeddings that stand for it
    threshold: float = 0.0  # below this similarity to its best class, a picture is unknown

    def to_bytes(self) -> bytes:
        """The one stored form of a head: an .npz of its arrays, its threshold and its classes."""
        buffer = io.BytesIO()
        np.savez(
            buffer,
            weights=self.weights,
            bias=self.bias,
            prototypes=self.prototypes,
            threshold=np.float64(self.threshold),
            classes=np.array(self.classes, dtype=str),
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes, classes: Sequence[str] | None = None) -> Head:
        """Read `to_bytes`. `classes` names them for heads stored before they held their names."""
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            names = [str(n) for n in arrays["classes"]] if "classes" in arrays.files else list(classes or [])
            if len(names) != len(arrays["bias"]):
                raise ValueError(f"the head has {len(arrays['bias'])} classes, {len(names)} names were given")
            return cls(
                names, arrays["weights"], arrays["bias"], arrays["prototypes"], float(arrays["threshold"])
            )

    def scores(self, embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Probabilities [N, C] and, per class, the best similarity to its prototypes [N, C]."""
        logits = embeddings @ self.weights.T + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        similarity = np.einsum("nd,ckd->nck", embeddings, self.prototypes).max(axis=2)
        return probs, similarity

    def predict(self, embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Best class, its probability, and whether it is unknown, per row."""
        probs, similarity = self.scores(embeddings)
        best = probs.argmax(axis=1)
        rows = np.arange(len(best))
        return best, probs[rows, best], similarity[rows, best] < self.threshold


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


def fit(train: Sequence[Example], classes: Sequence[str], seed: int = 0) -> Head:
    x = np.stack([ex.embedding for ex in train])
    y = np.array([ex.label for ex in train])
    present = sorted(set(y.tolist()))
    if len(present) < 2:
        raise ValueError("training needs at least two classes with pictures")
    model = LogisticRegression(C=10.0, max_iter=2000, class_weight="balanced", random_state=seed)
    model.fit(x, y)
    weights = np.zeros((len(classes), x.shape[1]), np.float32)
    bias = np.full(len(classes), -1e4, np.float32)  # a class with no pictures is never chosen
    coef, intercept = model.coef_, model.intercept_
    if len(model.classes_) == 2:
        # scikit-learn keeps one row for two classes (the second class's log-odds); split it
        # in halves so a softmax over both rows gives the same probabilities.
        coef, intercept = (
            np.concatenate([-coef / 2, coef / 2]),
            np.concatenate([-intercept / 2, intercept / 2]),
        )
    weights[model.classes_] = coef
    bias[model.classes_] = intercept
    return Head(list(classes), weights, bias, prototypes(x, y, len(classes), seed))


def prototypes(x: np.ndarray, y: np.ndarray, n_classes: int, seed: int) -> np.ndarray:
    """Up to PROTOTYPES_PER_CLASS embeddings per class, padded by repetition to one shape."""
    rng = np.random.default_rng(seed)
    out = np.zeros((n_classes, PROTOTYPES_PER_CLASS, x.shape[1]), np.float32)
    for label in range(n_classes):
        rows = x[y == label]
        if len(rows) == 0:
            continue
        if len(rows) > PROTOTYPES_PER_CLASS:
            rows = rows[rng.choice(len(rows), PROTOTYPES_PER_CLASS, replace=False)]
        out[label] = rows[np.arange(PROTOTYPES_PER_CLASS) % len(rows)]
    return out


def calibrate(head: Head, known: Sequence[Example], negatives: np.ndarray | None) -> dict:
    """Choose the unknown threshold; return what it achieves on the data it saw.

    Knowns are judged by their visitor-like views when there are some: held-out
    frames are near-copies of training frames and would set the bar too high.
    With negatives: the middle of the range of thresholds that best separates
    knowns recognised right from negatives, but never refusing more than 10% of
    the knowns' views. Without: a threshold that keeps 98% of the knowns' views,
    which are easier than real visitors' photos (measured in benchmarks/recognizer.py).
    """
    pool = [ex for ex in known if ex.augmented] or list(known)
    x = np.stack([ex.embedding for ex in pool])
    y = np.array([ex.label for ex in pool])
    best, _, _ = head.predict(x)
    _, sim = head.scores(x)
    positives = sim[np.arange(len(best)), best][best == y]
    if negatives is None or len(negatives) == 0 or len(positives) == 0:
        head.threshold = float(np.percentile(positives, KEEP_PERCENTILE)) if len(positives) else 0.0
        return {
            "threshold": head.threshold,
            "negatives": 0,
            "basis": "keeps 90% of visitor-like views of knowns",
        }
    neg = head.scores(negatives)[1].max(axis=1)
    grid = np.linspace(min(positives.min(), neg.min()), max(positives.max(), neg.max()), 2001)
    accept = (positives[None, :] >= grid[:, None]).mean(axis=1)
    refuse = (neg[None, :] < grid[:, None]).mean(axis=1)
    score = accept + refuse
    best = np.flatnonzero(score == score.max())
    breaks = np.flatnonzero(np.diff(best) > 1)
    first_range = best[: breaks[0] + 1] if len(breaks) else best
    i = int(first_range[len(first_range) // 2])  # the middle of the best range, not its edge
    cap = np.percentile(positives, MAX_REFUSED_PERCENTILE)
    i = min(i, int(np.searchsorted(grid, cap, side="right")) - 1)
    head.threshold = float(grid[i])
    return {
        "threshold": head.threshold,
        "negatives": len(neg),
        "basis": "middle of the best balance of knowns kept and negatives refused",
        "knowns_kept": float(accept[i]),
        "negatives_refused": float(refuse[i]),
    }


def evaluate(head: Head, val: Sequence[Example]) -> dict:
    """Accuracy, per-class precision and recall, confusion matrix and the misses."""
    if not val:
        return {"accuracy": None, "validated": 0}
    x = np.stack([ex.embedding for ex in val])
    y = np.array([ex.label for ex in val])
    best, prob, unknown = head.predict(x)
    n = len(head.classes)
    confusion = np.zeros((n, n), int)
    np.add.at(confusion, (y, best), 1)
    per_class = {}
    for i, name in enumerate(head.classes):
        predicted, actual = confusion[:, i].sum(), confusion[i].sum()
        per_class[name] = {
            "precision": float(confusion[i, i] / predicted) if predicted else None,
            "recall": float(confusion[i, i] / actual) if actual else None,
            "support": int(actual),
        }
    misses = [
        {"ref": ex.ref, "augmented": ex.augmented, "label": head.classes[ex.label],
         "predicted": head.classes[b], "score": round(float(p), 4)}
        for ex, b, p in zip(val, best, prob, strict=True) if b != ex.label
    ]  # fmt: skip
    return {
        "accuracy": float((best == y).mean()),
        "known_refused": float(unknown.mean()),
        "validated": len(val),
        "per_class": per_class,
        "confusion": confusion.tolist(),
        "misclassified": misses,
    }
