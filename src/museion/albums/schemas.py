from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import Field

from museion.albums.models import (
    DESCRIPTION_MAX,
    FPS_DEFAULT,
    NAME_MAX,
    THRESHOLD_MAX,
    THRESHOLD_MIN,
    TITLE_MAX,
    URL_MAX,
)
from museion.vision.video import FPS_MAX, FPS_MIN

NAME = r"\S"  # something besides spaces: names are stripped before they are stored
LINK = r"^((?i:https?)://\S+)?$"  # shown to visitors as a link: http(s) only, never javascript:


class AlbumIn(Schema):
    name: str = Field(min_length=1, max_length=NAME_MAX, pattern=NAME)
    description: str = Field("", max_length=DESCRIPTION_MAX)
    workspace: int | None = None
    fps: float = Field(FPS_DEFAULT, ge=FPS_MIN, le=FPS_MAX)


class AlbumPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=NAME_MAX, pattern=NAME)
    description: str | None = Field(None, max_length=DESCRIPTION_MAX)
    fps: float | None = Field(None, ge=FPS_MIN, le=FPS_MAX)
    published: bool | None = None  # the visitors' page is on
    auto_publish: bool | None = None


class StorageOut(Schema):
    used_bytes: int  # photos, frames, videos and model bundles of every album of the workspace
    quota_bytes: int  # 0: no limit


class AlbumOut(Schema):
    id: int
    slug: str
    name: str
    description: str
    workspace: int
    fps: float
    backbone: str
    published: bool
    published_version: int | None
    auto_publish: bool
    classes: int
    viewer_url: str
    storage: StorageOut | None = None  # the workspace's, on a single album


class ClassIn(Schema):
    name: str = Field(min_length=1, max_length=NAME_MAX, pattern=NAME)
    title: str = Field("", max_length=TITLE_MAX)
    description: str = Field("", max_length=DESCRIPTION_MAX)
    url: str = Field("", max_length=URL_MAX, pattern=LINK)


class ClassPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=NAME_MAX, pattern=NAME)
    title: str | None = Field(None, max_length=TITLE_MAX)
    description: str | None = Field(None, max_length=DESCRIPTION_MAX)
    url: str | None = Field(None, max_length=URL_MAX, pattern=LINK)


class ClassOut(Schema):
    id: int
    name: str
    title: str
    description: str
    url: str
    media: int


class MediaOut(Schema):
    id: int
    name: str
    kind: str
    width: int
    height: int
    time: float
    video: int | None
    image_url: str


class JobOut(Schema):
    id: int
    kind: str
    status: str
    progress: float
    stage: str
    error: str | None
    result: dict | None
    created: datetime
    started: datetime | None  # None while queued
    finished: datetime | None  # None until it succeeded, failed or was cancelled


class UploadOut(Schema):
    items: list[MediaOut]
    job: JobOut | None
    problems: list[dict]


class JobEnvelope(Schema):
    job: JobOut


class MoveIn(Schema):
    to_class: int


class RotateIn(Schema):
    degrees: int = Field(ge=90, le=270, multiple_of=90)  # clockwise


class BulkMoveIn(Schema):
    items: list[int] = Field(min_length=1, max_length=2000)
    to_class: int


class BulkDeleteIn(Schema):
    items: list[int] = Field(min_length=1, max_length=2000)


class CountOut(Schema):
    count: int


class OperatingPoint(Schema):
    threshold: float | None
    accuracy: float | None  # top-1 on the validation photos, whatever the threshold
    known_refused: float | None  # of the album's works, the share refused as unknown
    unknown_refused: float | None  # of other things (works left out, pictures of other albums)
    answered_right: float | None  # named right and not refused
    known_photos: int | None
    unknown_photos: int | None
    sentences: list[str]


class Comparison(Schema):
    live_version: int
    better: bool  # at least as good as the live version: top-1 not lower, known refused not higher
    deltas: dict[str, float | None]  # this version minus the live one


class HealthWarning(Schema):
    code: str
    message: str
    classes: list[str]


class VersionOut(Schema):
    version: int
    created: str
    published: bool
    status: str  # "live" or "candidate"
    threshold: float | None  # the one in use: the curator's, or the calibrated one
    calibrated_threshold: float | None
    operating_point: OperatingPoint
    health: list[HealthWarning]
    comparison: Comparison | None  # None for the live version, or when nothing is live
    backbone: str
    classes: list[dict]
    metrics: dict
    bundle_url: str


class VersionPatch(Schema):
    threshold: float | None = Field(None, ge=THRESHOLD_MIN, le=THRESHOLD_MAX)  # null: the calibrated one


class Card(Schema):
    label: str
    score: float  # the displayed probability
    similarity: float  # the deciding score of this class
    title: str
    description: str
    url: str
    class_id: int
    picture_url: str | None


class WorkOut(Schema):
    id: int
    name: str
    title: str
    description: str
    url: str
    picture_url: str | None  # the work's picture, served to anyone while the visitors' page is on


class AlbumPrediction(Schema):
    model_version: int
    unknown: bool
    decision_score: float  # the best class's deciding score, compared with `threshold`
    threshold: float
    predictions: list[Card]
