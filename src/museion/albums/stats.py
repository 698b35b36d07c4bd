"""Visitor statistics without personal data: what was recognised, per day, and how fast.

Every answer a visitor gets is one `VisitorAnswer` row: the album, the day, the
work (None: not recognised) and the milliseconds it took; answers made on the
phone itself are reported afterwards (`POST /api/v1/v/{slug}/answers`). No
address, browser or account is ever recorded. The album page draws the figures
as server-rendered SVG (`charts`).
"""

from __future__ import annotations

import csv
import io
import statistics
from dataclasses import dataclass
from datetime import date, timedelta
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _

from museion.albums.models import Album, VisitorAnswer
from museion.errors import DomainError, NotFound

MAX_DAYS = 366  # one request's period: bounded work and a bounded answer
DEFAULT_DAYS = 30
MAX_MS = 600_000.0  # a reported answer time past ten minutes is not an answer time


def record(album: Album, work: int | None, ms: float, *, unknown: bool, on_device: bool = False) -> None:
    VisitorAnswer.objects.create(
        album=album,
        day=timezone.localdate(),
        work_id=work,
        unknown=unknown or work is None,
        ms=round(float(ms), 1),
        on_device=on_device,
    )


def record_reported(album: Album, work: int | None, ms: float) -> None:
    """An answer the phone made itself; its work must be one of the album's (or None: unknown)."""
    if not (0 <= ms <= MAX_MS):
        raise DomainError("invalid_answer", _("ms must be between 0 and %(max)s") % {"max": f"{MAX_MS:.0f}"})
    if work is not None and not album.classes.filter(pk=work).exists():
        raise NotFound(_("no such work in this album"))
    record(album, work, ms, unknown=work is None, on_device=True)


def period(start: date | None, end: date | None) -> tuple[date, date]:
    """The days asked for (default: the last DEFAULT_DAYS), both ends included."""
    end = end or timezone.localdate()
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise DomainError("invalid_period", _("start must not be after end"))
    if (end - start).days + 1 > MAX_DAYS:
        raise DomainError("invalid_period", _("a period is at most %(days)s days") % {"days": MAX_DAYS})
    return start, end


@dataclass
class Day:
    day: date
    answers: int
    unknown: int
    median_ms: float | None
    works: dict[int, int]  # class id -> recognitions

    @property
    def unknown_share(self) -> float | None:
        return round(self.unknown / self.answers, 4) if self.answers else None

    def to_dict(self, names: dict[int, str]) -> dict:
        return {
            "day": self.day.isoformat(),
            "answers": self.answers,
            "unknown": self.unknown,
            "unknown_share": self.unknown_share,
            "median_ms": self.median_ms,
            "works": [
                {"class_id": cid, "label": names.get(cid, f"#{cid}"), "count": n}
                for cid, n in sorted(self.works.items(), key=lambda kv: (-kv[1], kv[0]))
            ],
        }


def days(album: Album, start: date, end: date) -> list[Day]:
    """Every day of the period, those without answers too (a chart shows the gaps)."""
    rows = VisitorAnswer.objects.filter(album=album, day__gte=start, day__lte=end).values_list(
        "day", "work_id", "unknown", "ms"
    )
    by_day: dict[date, list[tuple[int | None, bool, float]]] = {}
    for day, work, unknown, ms in rows.iterator():
        by_day.setdefault(day, []).append((work, unknown, ms))
    out = []
    for n in range((end - start).days + 1):
        day = start + timedelta(days=n)
        answers = by_day.get(day, [])
        works: dict[int, int] = {}
        for work, unknown, _ms in answers:
            if not unknown and work is not None:
                works[work] = works.get(work, 0) + 1
        out.append(
            Day(
                day=day,
                answers=len(answers),
                unknown=sum(1 for _, unknown, _ in answers if unknown),
                median_ms=round(statistics.median(ms for *_, ms in answers), 1) if answers else None,
                works=works,
            )
        )
    return out


def report(album: Album, start: date | None = None, end: date | None = None) -> dict:
    start, end = period(start, end)
    names = dict(album.classes.values_list("pk", "name"))
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "days": [d.to_dict(names) for d in days(album, start, end)],
    }


CSV_HEADER = ("day", "class_id", "work", "recognitions", "answers", "unknown", "unknown_share", "median_ms")


def as_csv(album: Album, start: date | None = None, end: date | None = None) -> str:
    """One row per day and work (work empty: the day's totals), for a spreadsheet."""
    data = report(album, start, end)
    buffer = io.StringIO()
    out = csv.writer(buffer)
    out.writerow(
        ["day", "class_id", "work", "recognitions", "answers", "unknown", "unknown_share", "median_ms"]
    )
    for day in data["days"]:
        out.writerow(
            [day["day"], "", "", "", day["answers"], day["unknown"], _blank(day["unknown_share"]),
             _blank(day["median_ms"])]
        )  # fmt: skip
        for work in day["works"]:
            out.writerow([day["day"], work["class_id"], _cell(work["label"]), work["count"], "", "", "", ""])
    return buffer.getvalue()


def _blank(value: object) -> object:
    return "" if value is None else value


def _cell(text: str) -> str:
    # A name a spreadsheet would run as a formula is written as text.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# ---- charts ----------------------------------------------------------------------------

WIDTH, HEIGHT, PAD = 600, 160, 24


def bar_chart(values: list[float | None], title: str, unit: str = "") -> str:
    """A small SVG bar chart, one bar per day, scaled to the largest value (it shrinks to the page)."""
    top = max((v for v in values if v is not None), default=0) or 1
    step = (WIDTH - 2 * PAD) / max(1, len(values))
    bars = []
    for i, value in enumerate(values):
        if not value:
            continue
        h = (HEIGHT - 2 * PAD) * value / top
        x, y = PAD + i * step, HEIGHT - PAD - h
        bars.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(1.0, step - 1):.1f}" height="{h:.1f}">'
            f"<title>{escape(f'{value:g}{unit}')}</title></rect>"
        )
    return (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
        f'preserveAspectRatio="none" xmlns="http://www.w3.org/2000/svg">'
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" class="axis"/>'
        f'<text x="{PAD}" y="14" class="label">{escape(title)} (max {top:g}{escape(unit)})</text>'
        f"{''.join(bars)}</svg>"
    )


def charts(album: Album, start: date | None = None, end: date | None = None) -> dict:
    """The album page's figures: answers, unknown share and median time per day, and the top works."""
    start, end = period(start, end)
    period_days = days(album, start, end)
    names = dict(album.classes.values_list("pk", "name"))
    totals: dict[int, int] = {}
    for day in period_days:
        for cid, n in day.works.items():
            totals[cid] = totals.get(cid, 0) + n
    answers = sum(d.answers for d in period_days)
    return {
        "start": start,
        "end": end,
        "answers": answers,
        "unknown": sum(d.unknown for d in period_days),
        "answers_svg": bar_chart([d.answers for d in period_days], "Answers per day"),
        "unknown_svg": bar_chart(
            [None if d.unknown_share is None else round(100 * d.unknown_share, 1) for d in period_days],
            "Not recognised, % of the day's answers",
            "%",
        ),
        "ms_svg": bar_chart([d.median_ms for d in period_days], "Median answer time", " ms"),
        "top_works": [
            {"label": names.get(cid, f"#{cid}"), "count": n}
            for cid, n in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
        ],
    }
