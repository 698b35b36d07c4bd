"""A model version judged for the curator: its operating point in plain words, and against the live one.

A version's figures are those of its validation photos at its threshold (the curator's, or the
calibrated one): `operating_point`. A candidate is "at least as good" as the live version when its
top-1 is not lower and its share of known works refused is not higher (`compare`); the album's
`auto_publish` setting publishes such a candidate by itself (`services.version_trained`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext_lazy

from museion.vision.head import global_threshold_for, rates_at

if TYPE_CHECKING:
    from museion.albums.models import Album, ModelVersion

NICE_DENOMINATORS = (2, 3, 4, 5, 10, 20)
COMPARED = ("accuracy", "known_refused", "unknown_refused")


def calibrated_threshold(version: ModelVersion) -> float | None:
    """The threshold training chose for the stage the server decides on."""
    scores = version.metrics.get("scores")
    if scores:
        return float(scores["threshold"])
    value = version.metrics.get("verified_threshold", version.metrics.get("unknown_threshold"))
    return None if value is None else float(value)


def effective_threshold(version: ModelVersion) -> float | None:
    return version.threshold if version.threshold is not None else calibrated_threshold(version)


def global_threshold(version: ModelVersion) -> float | None:
    """The threshold in use for model.onnx's own similarity (the stage without the keypoint check):
    the one a bundle or a phone decides "unknown" with, moved with the curator's threshold."""
    scores, threshold = version.metrics.get("scores"), effective_threshold(version)
    if scores and threshold is not None:
        return global_threshold_for(scores, threshold)
    value = version.metrics.get("unknown_threshold")
    return None if value is None else float(value)


def operating_point(version: ModelVersion) -> dict:
    """Top-1 right, known works refused and other things refused at the version's threshold, with
    the same in sentences. From the stored validation scores where the version has them."""
    metrics, scores, threshold = version.metrics, version.metrics.get("scores"), effective_threshold(version)
    if scores and threshold is not None:
        point = rates_at(scores, threshold)
        point["accuracy"] = metrics.get("accuracy")
    else:  # versions trained before the scores were kept: their figures at the calibrated threshold
        point = {key: metrics.get(key) for key in ("accuracy", "known_refused", "unknown_refused")}
        point.update(threshold=threshold, answered_right=metrics.get("answered_right"))
        point.update(known_photos=metrics.get("validated", 0), unknown_photos=None)
    return {**point, "sentences": sentences(point)}


def sentences(point: dict) -> list[str]:
    """The operating point as a curator reads it: "about 1 photo in 20 of your works is refused".

    Whole sentences for each case, so that a translation need not follow English word order."""
    if not point.get("known_photos") or point.get("known_refused") is None:
        return [_("There were no validation photos, so nothing can be said of how this version will do.")]
    total = {"total": point["known_photos"]}
    out = [
        _share(
            point["known_refused"],
            _(
                "At this setting, none of the %(total)s photos of your works is refused"
                " as not one of the album's works."
            )
            % total,
            _("At this setting, all the photos of your works are refused as not one of the album's works."),
            ngettext_lazy(
                "At this setting, about %(k)s photo in %(m)s of your works is refused"
                " as not one of the album's works.",
                "At this setting, about %(k)s photos in %(m)s of your works are refused"
                " as not one of the album's works.",
                "k",
            ),
        )
    ]
    if point.get("unknown_refused") is not None:
        some = ngettext_lazy(
            "About %(k)s photo in %(m)s of other things is refused.",
            "About %(k)s photos in %(m)s of other things are refused.",
            "k",
        )
        none = _("No photo of other things is refused.")
        every = _("All the photos of other things are refused.")
        out.append(_share(point["unknown_refused"], none, every, some))
    if point.get("answered_right") is not None:
        some = ngettext_lazy(
            "About %(k)s photo in %(m)s of your works is named right.",
            "About %(k)s photos in %(m)s of your works are named right.",
            "k",
        )
        none = _("No photo of your works is named right.")
        every = _("All the photos of your works are named right.")
        out.append(_share(point["answered_right"], none, every, some))
    return out


def _share(rate: float, none: str, every: str, some: Any) -> str:
    """The sentence for no share, all of it, or "about k in m" (`some`, plural by k) of it."""
    if rate <= 0:
        return none
    if rate >= 1:
        return every
    k, m = fraction(rate)
    return str(some % {"k": k, "m": m})


def fraction(rate: float) -> tuple[int, int]:
    """A simple fraction close to `rate` (0 < rate < 1): 1 in 20, 2 in 3, 19 in 20, 1 in 14."""
    for m in NICE_DENOMINATORS:
        k = round(rate * m)
        if 0 < k < m and abs(k / m - rate) <= 0.1 * min(rate, 1 - rate) + 0.002:
            return k, m
    if rate < 0.5:
        return 1, max(2, round(1 / rate))
    m = max(2, round(1 / (1 - rate)))
    return m - 1, m


def compare(candidate: ModelVersion, live: ModelVersion | None) -> dict | None:
    """How `candidate` does against the live version, None when it is live or nothing is.

    `better` is true when it is at least as good: top-1 not lower and known works refused not
    higher, each at its own threshold. `deltas` are candidate minus live."""
    if live is None or live.pk == candidate.pk:
        return None
    ours, theirs = operating_point(candidate), operating_point(live)
    deltas = {
        key: None if ours.get(key) is None or theirs.get(key) is None else round(ours[key] - theirs[key], 4)
        for key in COMPARED
    }
    better = (
        deltas["accuracy"] is not None
        and deltas["known_refused"] is not None
        and deltas["accuracy"] >= 0
        and deltas["known_refused"] <= 0
    )
    return {"live_version": live.number, "better": better, "deltas": deltas}


def goes_live(album: Album, version: ModelVersion) -> bool:
    """Whether a freshly trained version is published at once: always the album's first (a curator who
    has just trained expects the visitors' page to answer), otherwise only with `auto_publish` on
    and when it is at least as good as the live one."""
    live = album.published_version
    if live is None:
        return True
    comparison = compare(version, live)
    return album.auto_publish and comparison is not None and comparison["better"]
