from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import Field

from museion.albums.models import DESCRIPTION_MAX, FPS_DEFAULT, NAME_MAX, TITLE_MAX, URL_MAX
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
    published: bool | None = None


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


class VersionOut(Schema):
    version: int
    created: str
    published: bool
    backbone: str
    classes: list[dict]
    metrics: dict
    bundle_url: str


class Card(Schema):
    label: str
    score: float
    title: str
    description: str
    url: str


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
    predictions: list[Card]
