"""Is there enough of each work to train on, and to judge the result? The dataset-health checks.

One function, `dataset_health`, over counts per class: training (`train.fit_head`) stores its
warnings in the version's metrics, and the version page and the API show those.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

from museion.vision import head as heads

MIN_PICTURES = 8  # pictures of a work (photos and kept frames) under which it is thinly trained
MIN_SOURCES = 2  # clips or separate photos: with one, validation comes from the training clip itself
UNBALANCED = 4.0  # the most pictured work has this many times the pictures of the least
MIN_VALIDATED_PER_CLASS = 3  # validation photos of a work under which its figures mean little
MIN_VALIDATED = 20  # validation photos in all under which no figure is worth trusting


@dataclass(frozen=True)
class ClassCounts:
    pictures: int  # photos and video frames trained on
    videos: int  # clips (a group of several pictures)
    photos: int  # single photos
    validated: int  # validation photos made of its held-out pictures


def counts_of(
    examples: Sequence[heads.Example], names: Sequence[str], scored: Sequence[heads.Scored]
) -> dict[str, ClassCounts]:
    """Per class name, what it was trained and validated on. A group of several pictures is a clip."""
    pictures: dict[int, Counter[str]] = defaultdict(Counter)
    for ex in examples:
        if not ex.augmented:
            pictures[ex.label][ex.group] += 1
    validated = Counter(s.label for s in scored)
    out = {}
    for label, name in enumerate(names):
        groups = pictures[label]
        videos = sum(1 for n in groups.values() if n > 1)
        out[name] = ClassCounts(sum(groups.values()), videos, len(groups) - videos, validated[label])
    return out


def dataset_health(counts: Mapping[str, ClassCounts]) -> list[dict]:
    """Warnings, each {"code", "message", "classes"}: what is too thin to train on or to judge by."""
    checks = [
        ("few_pictures", [n for n, c in counts.items() if c.pictures < MIN_PICTURES],
         f"few pictures (under {MIN_PICTURES}) of {{}}: add photos from other angles or a short clip"),
        ("single_video", [n for n, c in counts.items() if c.videos == 1 and c.photos == 0],
         "a single video of {}: its validation comes from the same clip, so the figures flatter it; "
         "film a second clip from other distances and angles"),
        ("single_source", [n for n, c in counts.items() if c.videos == 0 and c.photos < MIN_SOURCES],
         "a single photo of {}: there is nothing to validate it on; add more photos or a clip"),
        ("few_validated", [n for n, c in counts.items() if c.validated < MIN_VALIDATED_PER_CLASS],
         f"too little to judge {{}}: validated on under {MIN_VALIDATED_PER_CLASS} pictures each; "
         "add another clip or photos from other angles"),
    ]  # fmt: skip
    warnings = [
        {"code": code, "message": message.format(", ".join(names)), "classes": names}
        for code, names, message in checks
        if names
    ]
    pictured = {n: c.pictures for n, c in counts.items() if c.pictures}
    if len(pictured) >= 2 and max(pictured.values()) >= UNBALANCED * min(pictured.values()):
        most, least = max(pictured, key=pictured.__getitem__), min(pictured, key=pictured.__getitem__)
        warnings.append({
            "code": "unbalanced",
            "message": f"unbalanced classes: {most} has {pictured[most]} pictures, {least} only "
            f"{pictured[least]}; the model leans towards the works it saw most",
            "classes": [most, least],
        })  # fmt: skip
    validated = sum(c.validated for c in counts.values())
    if validated < MIN_VALIDATED:
        warnings.append({
            "code": "small_validation",
            "message": f"validated on {validated} photos in all: too few to trust the figures below",
            "classes": [],
        })  # fmt: skip
    return warnings


def as_dict(counts: Mapping[str, ClassCounts]) -> dict[str, dict]:
    return {name: asdict(c) for name, c in counts.items()}
