"""A user's stored predictions, filtered and paginated: shared by the page and the API."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from museion.accounts.models import User
from museion.recognition.models import Prediction


@dataclass(frozen=True)
class HistoryPage:
    items: list[Prediction]
    page: int
    pages: int
    total: int


def filtered(user: User, model: str = "", start: date | None = None, end: date | None = None) -> QuerySet:
    qs = Prediction.objects.filter(user=user)
    if model:
        qs = qs.filter(model=model)
    tz = timezone.get_current_timezone()
    if start and (since := _day_start(start, tz)):
        qs = qs.filter(created__gte=since)
    if end and end < date.max and (until := _day_start(end + timedelta(days=1), tz)):
        qs = qs.filter(created__lt=until)  # inclusive: the whole end day
    return qs


def _day_start(day: date, tz: tzinfo) -> datetime | None:
    """Midnight starting `day`, or None where that is before the first moment the database
    (in UTC) can hold: no bound then, rather than an OverflowError (a 500)."""
    moment = datetime.combine(day, time.min, tz)
    try:
        moment.astimezone(UTC)
    except OverflowError:
        return None
    return moment


def history_page(qs: QuerySet, page: int) -> HistoryPage:
    size = settings.HISTORY_PAGE_SIZE
    total = qs.count()
    pages = max(1, math.ceil(total / size))
    page = max(1, page)
    items = list(qs[(page - 1) * size : page * size]) if page <= pages else []
    return HistoryPage(items, page, pages, total)
