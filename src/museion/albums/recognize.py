"""Recognising a photo with an album's published model, answered with the works' current information.

The model's output order is the version's snapshot of classes (`ModelVersion.classes`); each is
mapped to the album's class row of today (by id, or by name for versions trained before the
snapshot kept ids), so a title, description, link or picture edited since training is what the
visitor reads. A class deleted since training is not in the collection any more: it is left out
of the ranking, and a photo whose best match it was is answered as not recognized.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np
from PIL import Image

from museion.albums.models import DEFAULT_LANGUAGE, AlbumClass, ModelVersion
from museion.albums.versions import effective_threshold
from museion.vision import second_look
from museion.vision.catalog import Catalog
from museion.vision.head import SHARPNESS, Head, softmax
from museion.vision.images import ImageSource
from museion.vision.train import photo_features

_lock = threading.Lock()

PictureUrl = Callable[[AlbumClass], str | None]


@lru_cache(maxsize=32)
def _head(version_id: int) -> tuple[Head, str]:
    version = ModelVersion.objects.get(pk=version_id)
    head = Head.from_bytes(bytes(version.head), [c["name"] for c in version.classes])
    return head, version.backbone


def load_head(version: ModelVersion) -> Head:
    with _lock:  # lru_cache may build the same head twice under threads; harmless but wasteful
        return _head(version.pk)[0]


def current_classes(version: ModelVersion) -> list[AlbumClass | None]:
    """Per output of the version's model, the album's class row now (None: deleted since)."""
    rows = list(AlbumClass.objects.filter(album_id=version.album_id))
    by_id, by_name = {c.pk: c for c in rows}, {c.name: c for c in rows}
    return [by_id.get(info["id"]) if "id" in info else by_name.get(info["name"]) for info in version.classes]


def recognize(
    version: ModelVersion,
    image: ImageSource,
    picture_url: PictureUrl,
    asked: Sequence[str] = (),
    default_language: str = DEFAULT_LANGUAGE,
    top_k: int = 3,
) -> dict:
    """The best classes with their current visitor information, and whether the photo is unknown.

    Each card is in the best of the `asked` languages its class is written in, field by field
    falling back to `default_language` (the album's); its `lang` says which, as does the answer's
    (its best card's).

    `score` is the displayed probability (as before); `decision_score` and `threshold` are what
    the unknown verdict was decided on: the best class's similarity (fused with the keypoint
    check when it ran) against the version's threshold. A photo refused at first sight is looked
    at again at its centre (`museion.vision.second_look`).
    """
    head = load_head(version)
    backbone = Catalog().get(version.backbone)
    threshold = effective_threshold(version)
    threshold = head.threshold_for(()) if threshold is None else threshold  # keypoints are given

    def look(picture: Image.Image, compared: int) -> np.ndarray:
        vector, keypoints = photo_features(picture, backbone)
        return head.scores(vector[None], [keypoints], compared)[1][0]

    score = second_look.decided(image, look, threshold)[None]
    probs = softmax(score * SHARPNESS)
    rows = current_classes(version)
    order = np.argsort(-score[0], kind="stable")
    best = int(order[0])
    kept = [int(i) for i in order if rows[int(i)] is not None][:top_k]
    cards = [_card(rows[i], picture_url, asked, default_language) for i in kept]
    return {
        "model_version": version.number,
        "lang": cards[0]["lang"] if cards else default_language,
        "unknown": bool(score[0, best] < threshold or rows[best] is None),
        "decision_score": round(float(score[0, best]), 4),
        "threshold": round(float(threshold), 4),
        "predictions": [
            {**card, "score": round(float(probs[0, i]), 4), "similarity": round(float(score[0, i]), 4)}
            for card, i in zip(cards, kept, strict=True)
        ],
    }


def _card(found: AlbumClass | None, picture_url: PictureUrl, asked: Sequence[str], default: str) -> dict:
    assert found is not None
    return {
        "label": found.name,
        **found.text_in(list(asked), default),
        "url": found.url,
        "class_id": found.pk,
        "picture_url": picture_url(found),
    }
