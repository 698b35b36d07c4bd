"""Recognising a photo with an album's published model."""

from __future__ import annotations

import threading
from functools import lru_cache

import numpy as np

from museion.albums.models import ModelVersion
from museion.vision.catalog import Catalog
from museion.vision.head import Head
from museion.vision.images import ImageSource
from museion.vision.train import photo_features

_lock = threading.Lock()


@lru_cache(maxsize=32)
def _head(version_id: int) -> tuple[Head, str]:
    version = ModelVersion.objects.get(pk=version_id)
    head = Head.from_bytes(bytes(version.head), [c["name"] for c in version.classes])
    return head, version.backbone


def load_head(version: ModelVersion) -> Head:
    with _lock:  # lru_cache may build the same head twice under threads; harmless but wasteful
        return _head(version.pk)[0]


def recognize(version: ModelVersion, image: ImageSource, top_k: int = 3) -> dict:
    """The best classes with their visitor information, and whether the photo is unknown."""
    head = load_head(version)
    vector, keypoints = photo_features(image, Catalog().get(version.backbone))
    probs, score = head.scores(vector[None], [keypoints])
    order = np.argsort(-score[0], kind="stable")[:top_k]
    best = int(order[0])
    return {
        "model_version": version.number,
        "unknown": bool(score[0, best] < head.threshold_for([keypoints])),
        "predictions": [
            {**_card(version.classes[int(i)]), "score": round(float(probs[0, i]), 4)} for i in order
        ],
    }


def _card(info: dict) -> dict:
    return {
        "label": info["name"],
        "title": info.get("title") or info["name"],
        "description": info.get("description", ""),
        "url": info.get("url", ""),
    }
