"""The review queue: visitors' photos the recognizer was unsure of, kept for the album's curators.

Kept only when the album says so (`Album.keep_visitor_photos`), and only photos
refused as unknown or accepted with a low margin. Privacy first: the photo is
decoded and written again as a JPEG (its EXIF, with any GPS position, is left
behind), people in it are blurred with the built-in detector's person boxes,
and nothing about the visitor is stored. Keeping is bounded (REVIEW_PER_DAY per
album and day, and the workspace quota); over a bound the photo is simply not
kept: the visitor's answer never depends on it.

A curator then assigns a photo to a work (it becomes ordinary training media,
marked `from_visitors`), marks it "not a work" (a negative the next training
calibrates the unknown threshold with) or discards it.
"""

from __future__ import annotations

import io
import logging
import math
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageFilter

from museion.albums.errors import QuotaExceeded
from museion.albums.models import Album, AlbumClass, MediaItem, ReviewItem
from museion.albums.quota import stored_within_quota
from museion.errors import DomainError, NotFound
from museion.vision.errors import ImageError
from museion.vision.images import open_photo

log = logging.getLogger(__name__)

# An accepted answer whose best work beats the second by less than this (in cosine similarity, the
# deciding score) is one the recognizer nearly got wrong: worth a curator's look.
LOW_MARGIN = 0.05
KEPT_SIDE = 1280  # the longest side of a kept photo: enough to train on, small in storage
GUESSES = 3
PAGE_SIZE = 48
ACTIONS = ("assign", "negative", "discard")
BLUR_LABEL, BLUR_SCORE = "person", 0.3


def reason_for(answer: dict) -> str | None:
    """Why a visitor's answer is worth keeping for review ("unknown" or "low_margin"), or None."""
    if answer["unknown"]:
        return ReviewItem.Reason.UNKNOWN
    similarities = [p["similarity"] for p in answer["predictions"]]
    if len(similarities) >= 2 and similarities[0] - similarities[1] < LOW_MARGIN:
        return ReviewItem.Reason.LOW_MARGIN
    return None


def kept_today(album: Album, now: datetime) -> int:
    """Photos kept since midnight in the server's TIME_ZONE: the day the statistics count by too."""
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return ReviewItem.objects.filter(album=album, created__gte=start).count()


def keep(album: Album, data: bytes, answer: dict) -> ReviewItem | None:
    """Keep a visitor's photo for review when the album wants it and the bounds allow; never raises
    for the visitor's sake (a photo that cannot be kept is simply not kept)."""
    reason = reason_for(answer)
    if not album.keep_visitor_photos or reason is None:
        return None
    if kept_today(album, timezone.now()) >= settings.REVIEW_PER_DAY:
        return None
    try:
        jpeg, width, height = privacy_copy(data)
    except ImageError:
        return None
    guesses = [
        {"label": p["label"], "class_id": p["class_id"], "score": p["score"]}
        for p in answer["predictions"][:GUESSES]
    ]
    name = f"albums/{album.pk}/review/{uuid.uuid4().hex}.jpg"
    try:
        with stored_within_quota(album.workspace, name, jpeg) as path:
            return ReviewItem.objects.create(
                album=album,
                file=path,
                size=len(jpeg),
                width=width,
                height=height,
                guesses=guesses,
                reason=reason,
            )
    except QuotaExceeded:
        return None


def privacy_copy(data: bytes) -> tuple[bytes, int, int]:
    """The photo reduced to KEPT_SIDE, people blurred, as a JPEG without metadata."""
    photo = open_photo(data, target_size=lambda w, h: _fit(w, h))
    image = photo.image
    if max(image.size) > KEPT_SIDE:
        image = image.resize(_fit(*image.size), Image.Resampling.LANCZOS)
    image = blur_people(image)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88)
    return buffer.getvalue(), image.width, image.height


def _fit(width: int, height: int) -> tuple[int, int]:
    scale = min(1.0, KEPT_SIDE / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def blur_people(image: Image.Image) -> Image.Image:
    """Every person the built-in detector finds, blurred beyond recognition (measured: ~230 ms on a
    busy 2-core machine, in the visitor request of a kept photo only)."""
    from museion.vision.detect import detect  # the detector loads on the first kept photo only

    boxes = [d.box for d in detect(image, threshold=BLUR_SCORE) if d.label == BLUR_LABEL]
    if not boxes:
        return image
    image = image.copy()
    radius = max(8, max(image.size) // 40)
    for x0, y0, x1, y1 in boxes:
        box = (math.floor(x0), math.floor(y0), math.ceil(x1), math.ceil(y1))
        if box[2] > box[0] and box[3] > box[1]:
            image.paste(image.crop(box).filter(ImageFilter.GaussianBlur(radius)), box[:2])
    return image


# ---- the curators' side ----------------------------------------------------------------


def waiting(album: Album):
    return ReviewItem.objects.filter(album=album, state=ReviewItem.State.WAITING)


def page_of(album: Album, page: int, size: int | None = None) -> dict:
    """One page of the photos waiting, newest first."""
    size = size or PAGE_SIZE
    items = waiting(album)
    total = items.count()
    pages = max(1, math.ceil(total / size))
    page = min(max(1, page), pages)
    rows = items[(page - 1) * size : page * size]
    return {"items": [r.to_dict() for r in rows], "page": page, "pages": pages, "total": total}


def item_of(album: Album, item_id: int) -> ReviewItem:
    found = waiting(album).filter(pk=item_id).first()
    if found is None:
        raise NotFound()
    return found


def items_of(album: Album, ids: list[int]) -> list[ReviewItem]:
    """The waiting photos named, all of them or NotFound (nothing is half done)."""
    found = list(waiting(album).filter(pk__in=ids))
    if len(found) != len(set(ids)):
        raise NotFound()
    return found


def act(items: list[ReviewItem], action: str, album_class: AlbumClass | None = None) -> int:
    """Assign, mark "not a work" or discard each photo; how many."""
    if action not in ACTIONS:
        raise DomainError(
            "invalid_action", _("action must be one of %(actions)s") % {"actions": ", ".join(ACTIONS)}
        )
    if action == "assign" and album_class is None:
        raise DomainError("class_required", _("assigning a photo needs the class it shows"))
    with transaction.atomic():
        for item in items:
            if action == "assign":
                assert album_class is not None
                assign(item, album_class)
            elif action == "negative":
                mark_negative(item)
            else:
                discard(item)
    return len(items)


def assign(item: ReviewItem, album_class: AlbumClass) -> MediaItem:
    """The photo becomes a training picture of the class, marked as coming from visitors.

    The file stays where it is and keeps counting against the quota, now as media.
    """
    if album_class.album_id != item.album_id:
        raise NotFound()
    media = MediaItem.objects.create(
        album_class=album_class,
        file=item.file.name,
        size=item.size,
        name=f"visitor photo {item.created:%Y-%m-%d %H:%M}",
        width=item.width,
        height=item.height,
        from_visitors=True,
    )
    ReviewItem.objects.filter(pk=item.pk).delete()
    return media


def mark_negative(item: ReviewItem) -> None:
    item.state = ReviewItem.State.NEGATIVE
    item.save(update_fields=["state"])


def discard(item: ReviewItem) -> None:
    name = item.file.name
    item.delete()
    # Once the row is gone for good, so a rolled-back discard keeps its file.
    transaction.on_commit(lambda: default_storage.delete(name))


def negatives(album: Album, limit: int) -> list[ReviewItem]:
    """Photos curators marked "not a work", newest first: the next training's unknown examples."""
    return list(ReviewItem.objects.filter(album=album, state=ReviewItem.State.NEGATIVE)[:limit])


# ---- retention -------------------------------------------------------------------------


def expired(now: datetime) -> list[ReviewItem]:
    """Kept photos past their album's retention (waiting or marked "not a work" alike)."""
    old = []
    for album in Album.objects.filter(review_items__isnull=False).distinct():
        cutoff = now - timedelta(days=album.visitor_photo_days)
        old.extend(ReviewItem.objects.filter(album=album, created__lt=cutoff))
    return old


def expire(now: datetime, *, dry_run: bool = False) -> tuple[int, int]:
    """Remove the photos past retention with their files; the count and the bytes they held."""
    old = expired(now)
    if not dry_run:
        for item in old:
            name = item.file.name
            item.delete()
            default_storage.delete(name)
    return len(old), sum(i.size for i in old)
