"""How long stored predictions are kept, and which files they own (for `museion cleanup`).

Predictions belong to a user, not to a workspace, so the user's personal
workspace (which only they own) decides how long theirs are kept:
`Workspace.retention_days`, or MUSEION_RETENTION_DAYS for all; 0 keeps them for ever.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from django.core.files.storage import default_storage

from museion.accounts.models import User
from museion.accounts.workspaces import personal_workspace
from museion.recognition import services
from museion.recognition.models import Prediction

FOLDER = "predictions"  # where the stored photos and thumbnails lie


def expired(now: datetime, older_than: timedelta | None = None) -> Iterator[Prediction]:
    """Stored predictions past their user's retention, or older than `older_than` when given."""
    for user in User.objects.filter(predictions__isnull=False).distinct():
        keep = older_than
        if keep is None:
            days = personal_workspace(user).retention
            keep = timedelta(days=days) if days else None
        if keep is not None:
            yield from Prediction.objects.filter(user=user, created__lt=now - keep).iterator()


def expire(now: datetime, older_than: timedelta | None = None, *, dry_run: bool = False) -> tuple[int, int]:
    """Remove the expired predictions with their files; the count and the bytes they held."""
    count = size = 0
    for prediction in expired(now, older_than):
        count += 1
        size += sum(size_of(f.name) for f in (prediction.image, prediction.thumbnail))
        if not dry_run:
            services.delete(prediction)
    return count, size


def size_of(name: str) -> int:
    """A stored file's size; 0 when it is missing (reported by the sweep)."""
    try:
        return default_storage.size(name) if name else 0
    except OSError:
        return 0


def stored_names() -> set[str]:
    """Every file a prediction row names."""
    return {name for row in Prediction.objects.values_list("image", "thumbnail") for name in row if name}
