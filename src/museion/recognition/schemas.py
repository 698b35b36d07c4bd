from __future__ import annotations

from datetime import datetime

from ninja import Schema


class PredictionItem(Schema):
    label: str
    index: int
    score: float


class DetectionItem(Schema):
    label: str
    index: int
    score: float
    box: list[float]


class PredictOut(Schema):
    id: int | None
    model: str
    task: str
    width: int
    height: int
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
