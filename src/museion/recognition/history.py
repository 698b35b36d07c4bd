"""A user's stored predictions, filtered and paginated: shared by the page and the API."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

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
    if start:
        qs = qs.filter(created__gte=datetime.combine(start, time.min, tz))
    if end:  # inclusive: the whole end day
        qs = qs.filter(created__lt=datetime.combine(end + timedelta(days=1), time.min, tz))
    return qs


def history_page(qs: QuerySet, page: int) -> HistoryPage:
    size = settings.HISTORY_PAGE_SIZE
    total = qs.count()
    pages = max(1, math.ceil(total / size))
    page = max(1, page)
    items = list(qs[(page - 1) * size : page * size]) if page <= pages else []
    return HistoryPage(items, page, pages, total)
