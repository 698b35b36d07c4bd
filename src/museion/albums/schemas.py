from __future__ import annotations

from datetime import date, datetime

from ninja import Schema
from pydantic import BaseModel, Field

from museion.albums.languages import LANGUAGES_MAX, TAG_MAX
from museion.albums.models import (
    DESCRIPTION_MAX,
    FPS_DEFAULT,
    NAME_MAX,
    THRESHOLD_MAX,
    THRESHOLD_MIN,
    TITLE_MAX,
    URL_MAX,
    VISITOR_PHOTO_DAYS_MAX,
    VISITOR_PHOTO_DAYS_MIN,
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
    keep_visitor_photos: bool | None = None  # visitors' unsure photos kept for review
    visitor_photo_days: int | None = Field(None, ge=VISITOR_PHOTO_DAYS_MIN, le=VISITOR_PHOTO_DAYS_MAX)
    default_language: str | None = Field(None, min_length=1, max_length=TAG_MAX)  # BCP 47, of the cards


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
    keep_visitor_photos: bool
    visitor_photo_days: int
    default_language: str  # the language of the classes' own title and description
    classes: int
    viewer_url: str
    storage: StorageOut | None = None  # the workspace's, on a single album


class Translation(BaseModel):
    """A class's title and description in one language (either may be empty: the default's is shown).

    A plain pydantic model: a ninja Schema would read any object's attributes, and take the string
    "Hibou" for a translation titled "Hibou" (str.title)."""

    title: str = Field("", max_length=TITLE_MAX)
    description: str = Field("", max_length=DESCRIPTION_MAX)


# Keyed by a BCP 47 tag (`zh-Hans`, `ar`), stored in lower case; the services check the tags.
Translations = dict[str, Translation]


class ClassIn(Schema):
    name: str = Field(min_length=1, max_length=NAME_MAX, pattern=NAME)
    title: str = Field("", max_length=TITLE_MAX)
    description: str = Field("", max_length=DESCRIPTION_MAX)
    url: str = Field("", max_length=URL_MAX, pattern=LINK)
    translations: Translations = Field(default_factory=dict, max_length=LANGUAGES_MAX)


class ClassPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=NAME_MAX, pattern=NAME)
    title: str | None = Field(None, max_length=TITLE_MAX)
    description: str | None = Field(None, max_length=DESCRIPTION_MAX)
    url: str | None = Field(None, max_length=URL_MAX, pattern=LINK)
    # Only the languages named change: each is replaced whole; null (or both texts empty) removes it.
    translations: dict[str, Translation | None] | None = Field(None, max_length=LANGUAGES_MAX)


class ClassOut(Schema):
    id: int
    name: str
    title: str
    description: str
    url: str
    translations: Translations
    media: int


class MediaOut(Schema):
    id: int
    name: str
    kind: str
    width: int
    height: int
    time: float
    video: int | None
    from_visitors: bool
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
    title: str  # in `lang`, or the album's default language where `lang` has none
    description: str
    lang: str  # the language the card was answered in
    url: str
    class_id: int
    picture_url: str | None


class WorkOut(Schema):
    id: int
    name: str
    title: str  # in `lang`: the album's default language
    description: str
    lang: str
    translations: Translations  # the other languages, for the page to show the visitor's
    url: str
    picture_url: str | None  # the work's picture, served to anyone while the visitors' page is on


class AlbumPrediction(Schema):
    model_version: int
    lang: str  # the best card's language: the visitor's where the work is written in it
    unknown: bool
    decision_score: float  # the best class's deciding score, compared with `threshold`
    threshold: float
    predictions: list[Card]


class LanguageQuery(Schema):
    lang: str | None = Field(None, max_length=TAG_MAX)  # BCP 47; before the Accept-Language header


class ReviewGuess(Schema):
    label: str
    class_id: int | None
    score: float


class ReviewItemOut(Schema):
    id: int
    created: str
    image_url: str
    guesses: list[ReviewGuess]
    reason: str  # "unknown" | "low_margin"


class ReviewPage(Schema):
    items: list[ReviewItemOut]
    page: int
    pages: int
    total: int


class ReviewQuery(Schema):
    page: int = Field(1, ge=1, le=1_000_000)


class ReviewActionIn(Schema):
    action: str = Field(max_length=20)  # "assign" | "negative" | "discard"
    # "class" is a Python keyword: the field is `class_id`, sent as "class"
    class_id: int | None = Field(None, alias="class")


class ReviewBulkIn(ReviewActionIn):
    ids: list[int] = Field(min_length=1, max_length=500)


class AnswerIn(Schema):
    work: int | None = None  # the class id recognised, or null: not recognised
    ms: float  # how long the phone took to answer


class StatsQuery(Schema):
    start: date | None = None
    end: date | None = None
    format: str = Field("json", pattern="^(json|csv)$")


class StatsWork(Schema):
    class_id: int
    label: str
    count: int


class StatsDay(Schema):
    day: str
    answers: int
    unknown: int
    unknown_share: float | None  # None on a day without answers
    median_ms: float | None
    works: list[StatsWork]  # recognitions per work, most first


class StatsOut(Schema):
    start: str
    end: str
    days: list[StatsDay]
