"""A recognizer head on top of a frozen backbone: split, train, evaluate, calibrate.

Works on embeddings only (numpy in, numpy out), so the callers decide where
embeddings come from and how they are cached.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.linear_model import LogisticRegression

PROTOTYPES_PER_CLASS = 32


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
    weights[model.classes_] = model.coef_
    bias[model.classes_] = model.intercept_
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

    With negatives: the threshold that best separates correctly recognised
    knowns from negatives (balanced accuracy). Without: one that keeps 95% of
    the knowns, which is all that can be said without examples of unknowns.
    """
    x = np.stack([ex.embedding for ex in known])
    y = np.array([ex.label for ex in known])
    best, _, _ = head.predict(x)
    _, sim = head.scores(x)
    positives = sim[np.arange(len(best)), best][best == y]
    if negatives is None or len(negatives) == 0 or len(positives) == 0:
        head.threshold = float(np.percentile(positives, 5)) if len(positives) else 0.0
        return {"threshold": head.threshold, "negatives": 0, "basis": "5th percentile of knowns"}
    neg = head.scores(negatives)[1].max(axis=1)
    candidates = np.unique(np.concatenate([positives, neg]))
    accept = (positives[None, :] >= candidates[:, None]).mean(axis=1)
    refuse = (neg[None, :] < candidates[:, None]).mean(axis=1)
    i = int(np.argmax(accept + refuse))
    head.threshold = float(candidates[i])
    return {
        "threshold": head.threshold,
        "negatives": len(neg),
        "basis": "best balance of knowns kept and negatives refused",
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
