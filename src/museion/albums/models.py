"""Albums of works, their media, training jobs and model versions."""

from __future__ import annotations

import secrets

import numpy as np
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from museion.accounts.models import User, Workspace
from museion.albums import job_messages, languages, versions
from museion.vision.catalog import DEFAULT_CLASSIFIER

# Bounds of what people type, here once: the page forms and the API schemas both read them.
NAME_MAX = 100
TITLE_MAX = 200
DESCRIPTION_MAX = 5000
URL_MAX = 500
# The unknown threshold a curator may set: deciding scores are cosine similarities (up to 1) plus the
# keypoint check's bonus (up to vision.head.FUSE_WEIGHT).
THRESHOLD_MIN, THRESHOLD_MAX = 0.0, 1.5
FPS_DEFAULT = 2.0  # frames taken per second of an uploaded video: museion.vision.video.FPS_MIN to FPS_MAX
# How long a visitor's photo kept for review may stay (days), when the album keeps them.
VISITOR_PHOTO_DAYS_DEFAULT, VISITOR_PHOTO_DAYS_MIN, VISITOR_PHOTO_DAYS_MAX = 30, 1, 365
DEFAULT_LANGUAGE = "en"  # of a new album's cards (albums.languages)


class Album(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="albums")
    name = models.CharField(max_length=NAME_MAX)
    description = models.TextField(blank=True, max_length=DESCRIPTION_MAX)
    slug = models.SlugField(max_length=60, unique=True)
    fps = models.FloatField(default=FPS_DEFAULT)  # frames taken per second of uploaded video
    backbone = models.CharField(max_length=100, default=DEFAULT_CLASSIFIER)
    published = models.BooleanField(default=False)  # the visitors' page is on
    # A finished training makes a candidate; with this on, it goes live by itself when it is at least
    # as good on validation as the live one (albums.versions.compare).
    auto_publish = models.BooleanField(default=False)
    published_version = models.ForeignKey(
        "ModelVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Visitors' photos the recognizer was unsure of are kept for the curators' review (albums.review).
    keep_visitor_photos = models.BooleanField(default=False)
    visitor_photo_days = models.PositiveIntegerField(default=VISITOR_PHOTO_DAYS_DEFAULT)
    # The language of its classes' own titles and descriptions; others are in each class's translations.
    default_language = models.CharField(max_length=languages.TAG_MAX, default=DEFAULT_LANGUAGE)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return self.name

    def to_dict(self) -> dict:
        return {
            "id": self.pk,
            "slug": self.slug,
            "name": self.name,
            "description": self.description,
            "workspace": self.workspace_id,
            "fps": self.fps,
            "backbone": self.backbone,
            "published": self.published,
            "published_version": self.published_version.number if self.published_version else None,
            "auto_publish": self.auto_publish,
            "keep_visitor_photos": self.keep_visitor_photos,
            "visitor_photo_days": self.visitor_photo_days,
            "default_language": self.default_language,
            "classes": self.classes.count(),
            "viewer_url": reverse("viewer", kwargs={"slug": self.slug}),
        }

    def publish(self, version: ModelVersion) -> None:
        """Make `version` the one that answers predictions and visitors."""
        Album.objects.filter(pk=self.pk).update(published_version=version)
        self.published_version = version

    def save(self, *args: object, **kwargs: object) -> None:
        if not self.slug:
            self.slug = unique_slug(self.name)
        super().save(*args, **kwargs)  # type: ignore[arg-type]


SLUG_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
SLUG_SUFFIX = 8


def unique_slug(name: str) -> str:
    """The name, then random letters: `hall-k3x9p2qa`.

    The suffix is random and always there, so an album's slug says nothing about the albums of other
    workspaces (a counter gave `hall-2` when someone's unpublished "Hall" existed), and the visitor
    address of an album cannot be guessed from its name. Slugs made before keep working: a slug, once
    given, never changes.
    """
    base = slugify(name)[:50] or "album"
    while True:
        slug = f"{base}-{''.join(secrets.choice(SLUG_ALPHABET) for _ in range(SLUG_SUFFIX))}"
        if not Album.objects.filter(slug=slug).exists():
            return slug


class AlbumClass(models.Model):
    """A work (or anything) the recognizer must tell apart, with what a visitor sees about it."""

    album = models.ForeignKey(Album, on_delete=models.CASCADE, related_name="classes")
    name = models.CharField(max_length=NAME_MAX)
    title = models.CharField(max_length=TITLE_MAX, blank=True)
    description = models.TextField(blank=True, max_length=DESCRIPTION_MAX)
    url = models.URLField(blank=True, max_length=URL_MAX)
    cover = models.FileField(blank=True, max_length=255)
    # Title and description in other languages than the album's default: {"ar": {"title", "description"}}
    # (albums.languages; services.set_translation checks the tags and lengths).
    translations = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["album", "name"], name="class_name_unique_in_album")]

    def __str__(self) -> str:
        return self.name

    def to_dict(self) -> dict:
        return {
            "id": self.pk,
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "url": self.url,
            "translations": self.translations,
            "media": self.media.count(),
        }

    def shown_media(self) -> MediaItem | None:
        """The picture a work is known by when it has no cover: its first photo, else its first frame.

        Photos before frames: a photo is what the curator chose to take; a frame is any moment of a clip.
        """
        return self.media.order_by(models.F("source_id").asc(nulls_first=True), "time", "id").first()

    def info(self) -> dict:
        """What visitors see, as a version's snapshot keeps it (the id maps the model's output back);
        `translations` has every other language's title and description."""
        return {
            "id": self.pk,
            "name": self.name,
            "title": self.title or self.name,
            "description": self.description,
            "url": self.url,
            "translations": self.translations,
        }

    def text_in(self, asked: list[str], default_language: str) -> dict:
        """Title, description and `lang` for a visitor who asked for those languages."""
        return languages.card_text(
            self.title or self.name, self.description, self.translations, default_language, asked
        )


class SourceVideo(models.Model):
    """An uploaded clip; its frames become media items."""

    album_class = models.ForeignKey(AlbumClass, on_delete=models.CASCADE, related_name="videos")
    file = models.FileField(max_length=255)
    size = models.PositiveBigIntegerField(default=0)  # bytes in storage: the workspace quota
    name = models.CharField(max_length=255)
    duration = models.FloatField(null=True)
    frames = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(default=timezone.now)


class MediaItem(models.Model):
    """One training picture: an uploaded photo or a frame of a video."""

    album_class = models.ForeignKey(AlbumClass, on_delete=models.CASCADE, related_name="media")
    file = models.FileField(max_length=255)
    size = models.PositiveBigIntegerField(default=0)  # bytes in storage: the workspace quota
    name = models.CharField(max_length=255)
    source = models.ForeignKey(
        SourceVideo, null=True, blank=True, on_delete=models.CASCADE, related_name="items"
    )
    time = models.FloatField(default=0.0)  # seconds into the source video
    # A visitor's photo a curator assigned from the review queue (albums.review).
    from_visitors = models.BooleanField(default=False)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created", "id"]

    def to_dict(self) -> dict:
        return {
            "id": self.pk,
            "name": self.name,
            "kind": "frame" if self.source_id else "photo",
            "width": self.width,
            "height": self.height,
            "time": self.time,
            "video": self.source_id,
            "from_visitors": self.from_visitors,
            "image_url": reverse(
                "api:album_media_file", kwargs={"album_id": self.album_class.album_id, "media_id": self.pk}
            ),
        }

    @property
    def group(self) -> str:
        """Frames of one clip are one group: never split between training and validation."""
        return f"video-{self.source_id}" if self.source_id else f"photo-{self.pk}"


class Embedding(models.Model):
    """A media item's embedding and its visitor-like views, computed once per backbone."""

    media = models.ForeignKey(MediaItem, on_delete=models.CASCADE, related_name="embeddings")
    backbone = models.CharField(max_length=100)
    vectors = models.BinaryField()  # float32 [1 + views, D]: the picture, then its views
    dim = models.PositiveIntegerField()
    # Made when the recognizer first asks for them (a few pictures per work): the picture's
    # keypoints (vision.keypoints), and a phone photo made of it for calibration (vision.head.Probe).
    keypoints = models.BinaryField(null=True)
    probe = models.BinaryField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["media", "backbone"], name="one_embedding_per_backbone")
        ]

    def array(self) -> np.ndarray:
        return np.frombuffer(bytes(self.vectors), dtype=np.float32).reshape(-1, self.dim)


class Job(models.Model):
    """Every background task, with an explicit life: queued -> running -> succeeded / failed / cancelled."""

    class Kind(models.TextChoices):
        VIDEO = "video"
        TRAIN = "train"

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        CANCELLED = "cancelled"

    album = models.ForeignKey(Album, on_delete=models.CASCADE, related_name="jobs")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.FloatField(default=0.0)
    stage = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    result = models.JSONField(default=dict, blank=True)
    video = models.ForeignKey(
        SourceVideo, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    # Who asked for it: a user's video jobs in flight are limited (albums.heavy).
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(default=timezone.now)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    heartbeat = models.DateTimeField(null=True, blank=True)  # a running job's worker touches this

    class Meta:
        ordering = ["-created", "-id"]

    FINAL = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)

    def to_dict(self) -> dict:
        return {
            "id": self.pk,
            "kind": self.kind,
            "status": self.status,
            "progress": round(self.progress, 3),
            # English as stored, said again in the reader's language (a worker has none).
            "stage": job_messages.stage_text(self.stage),
            "error": job_messages.error_text(self.error) if self.error else None,
            "result": self.result or None,
            "created": self.created,
            "started": self.started,
            "finished": self.finished,
        }


class ModelVersion(models.Model):
    album = models.ForeignKey(Album, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    job = models.ForeignKey(Job, null=True, on_delete=models.SET_NULL, related_name="+")
    backbone = models.CharField(max_length=100)
    classes = models.JSONField()  # visitor information per class, in the model's output order
    head = models.BinaryField()  # npz: weights, bias, prototypes, threshold
    bundle = models.FileField(max_length=255)
    size = models.PositiveBigIntegerField(default=0)  # of the bundle: the workspace quota
    metrics = models.JSONField(default=dict)
    # The curator's unknown threshold (the slider); None: the calibrated one. Per version, since the
    # scores of two versions are not on the same scale.
    threshold = models.FloatField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["album", "number"], name="version_number_unique")]

    @property
    def label(self) -> str:
        return f"v{self.number}"

    @property
    def live(self) -> bool:
        return self.album.published_version_id == self.pk

    def to_dict(self) -> dict:
        live = self.live
        return {
            "version": self.number,
            "created": self.created.isoformat(),
            "backbone": self.backbone,
            "published": live,
            "status": "live" if live else "candidate",
            "threshold": versions.effective_threshold(self),
            "calibrated_threshold": versions.calibrated_threshold(self),
            "operating_point": versions.operating_point(self),
            "health": self.metrics.get("health", []),
            "comparison": versions.compare(self, self.album.published_version),
            "classes": self.classes,
            "metrics": self.metrics,
            "bundle_url": reverse(
                "api:album_bundle", kwargs={"album_id": self.album_id, "number": self.number}
            ),
        }


class ReviewItem(models.Model):
    """A visitor's photo the recognizer was unsure of, waiting for a curator (albums.review).

    Nothing about the visitor is kept: no address, no browser, no account; only the
    photo, when it came and what the recognizer guessed.
    """

    class Reason(models.TextChoices):
        UNKNOWN = "unknown"
        LOW_MARGIN = "low_margin"

    class State(models.TextChoices):
        WAITING = "waiting"
        NEGATIVE = "negative"  # "not a work": an example the album must call unknown

    album = models.ForeignKey(Album, on_delete=models.CASCADE, related_name="review_items")
    file = models.FileField(max_length=255)
    size = models.PositiveBigIntegerField(default=0)  # bytes in storage: the workspace quota
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    guesses = models.JSONField(default=list)  # top 3: [{"label", "class_id", "score"}]
    reason = models.CharField(max_length=12, choices=Reason.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.WAITING)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["album", "state", "created"], name="review_album_state_created")]

    def to_dict(self) -> dict:
        return {
            "id": self.pk,
            "created": self.created.isoformat(),
            "image_url": reverse(
                "api:album_review_file", kwargs={"album_id": self.album_id, "item_id": self.pk}
            ),
            "guesses": [
                {"label": g["label"], "class_id": g.get("class_id"), "score": g["score"]}
                for g in self.guesses
            ],
            "reason": self.reason,
            "state": self.state,
        }


class VisitorAnswer(models.Model):
    """One answer given to a visitor: which work (None: not recognised) and how long it took.

    The visitors' statistics are made of these; like the review queue they hold
    nothing about who asked.
    """

    album = models.ForeignKey(Album, on_delete=models.CASCADE, related_name="visitor_answers")
    day = models.DateField()
    work = models.ForeignKey(AlbumClass, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    unknown = models.BooleanField(default=False)
    ms = models.FloatField()
    on_device = models.BooleanField(default=False)  # recognised on the phone, reported afterwards

    class Meta:
        indexes = [models.Index(fields=["album", "day"], name="visitor_answer_album_day")]
