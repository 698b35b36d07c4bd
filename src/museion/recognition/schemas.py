from __future__ import annotations

from datetime import datetime

from ninja import Schema


class PredictionItem(Schema):
    label: str  # the common name, in the answer's `lang`: ImageNet's first synonym in English
    index: int
    score: float
    # The catalog's whole English label, synonyms and all (absent on older predictions).
    full_label: str | None = None
    label_en: str | None = None  # the English common name (a fresh answer only: the history keeps English)


class DetectionItem(Schema):
    label: str
    index: int
    score: float
    box: list[float]
    full_label: str | None = None
    label_en: str | None = None


class PredictOut(Schema):
    id: int | None
    model: str
    task: str
    width: int
    height: int
    lang: str = "en"  # the language of the labels: en, zh-hans, fr or de
    predictions: list[PredictionItem] | None = None
    detections: list[DetectionItem] | None = None
    image: str | None = None


class PredictionSummary(Schema):
    id: int
    model: str
    label: str
    score: float | None
    created: datetime
    image_url: str


class PredictionPage(Schema):
    items: list[PredictionSummary]
    page: int
    pages: int
    total: int


class PredictionDetail(PredictionSummary):
    task: str
    width: int
    height: int
    thumbnail_url: str
    predictions: list[PredictionItem] | None = None
    detections: list[DetectionItem] | None = None


class HeatMapOut(Schema):
    model: str
    width: int
    height: int
    label: str  # in `lang`
    label_en: str
    full_label: str
    lang: str
    index: int
    score: float  # the label's score on the whole photo
    grid: int
    region: list[float]  # x0, y0, x1, y1 in the photo's pixels: the part the model sees, cut in grid x grid
    scores: list[list[float]]  # [row][column]: the label's score with that cell greyed
