"""The gallery's review loop: visitors' photos kept (only when the album says so), the curators'
queue and its actions, the next training using them, visitor statistics, and retention."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from museion.albums import review, stats
from museion.albums.models import Album, MediaItem, ModelVersion, ReviewItem, VisitorAnswer
from museion.web.cleanup import cleanup as run_cleanup
from tests.albums.conftest import ROLES, ApiCaller, Team, cleanup, jpeg, make_album, make_team, module_data
from tests.conftest import IMAGES

SIZES = ((320, 240), (240, 320), (300, 300))
READERS = {"owner": 200, "editor": 200, "viewer": 200, "outsider": 404}
ACTORS = {"owner": 200, "editor": 200, "viewer": 403, "outsider": 404}


@dataclass
class World:
    team: Team
    album: Album
    root: Path


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[World]:
    """Owl and parrot, three photos each, trained once (v1, live), the visitors' page on."""
    root = tmp_path_factory.mktemp("review-media")
    with module_data(django_db_blocker, root):
        team = make_team("-review")
        album = make_album(team)
        api = ApiCaller(Client(), team)
        for found in album.classes.all():
            for size in SIZES:
                photo = jpeg(f"{found.name}.jpg", size)
                path = f"/albums/{album.pk}/classes/{found.pk}/media"
                assert api.upload(path, "a.jpg", photo).status_code == 202
        assert api.post(f"/albums/{album.pk}/train").status_code == 202
        Album.objects.filter(pk=album.pk).update(published=True)
        album = Album.objects.get(pk=album.pk)
    yield World(team, album, root)
    with module_data(django_db_blocker, root):
        cleanup(team)


@pytest.fixture(autouse=True)
def media(world: World, settings) -> Path:
    settings.MEDIA_ROOT = world.root
    return world.root


@pytest.fixture
def api(client: Client, world: World, db) -> ApiCaller:
    return ApiCaller(client, world.team, "editor")


@pytest.fixture
def keeping(world: World, db) -> Album:
    """The album keeps visitors' photos, and its live version calls every photo unknown."""
    Album.objects.filter(pk=world.album.pk).update(keep_visitor_photos=True, visitor_photo_days=30)
    ModelVersion.objects.filter(album=world.album).update(threshold=1.5)
    return Album.objects.get(pk=world.album.pk)


def visit(client: Client, world: World, name: str = "owl.jpg", data: bytes | None = None):
    photo = SimpleUploadedFile(name, data if data is not None else (IMAGES / name).read_bytes())
    return client.post(f"/api/v1/v/{world.album.slug}/predict", {"image": photo})


def path(world: World, tail: str = "") -> str:
    return f"/albums/{world.album.pk}{tail}"


def kept(client: Client, world: World, count: int = 1) -> list[ReviewItem]:
    for _ in range(count):
        assert visit(client, world).status_code == 200
    return list(ReviewItem.objects.filter(album=world.album).order_by("id"))


# ---- the setting -----------------------------------------------------------------------


def test_the_setting_is_off_by_default_and_in_the_album_object(api: ApiCaller, world: World) -> None:
    body = api.get(path(world)).json()
    assert (body["keep_visitor_photos"], body["visitor_photo_days"]) == (False, 30)
    changed = api.patch(path(world), {"keep_visitor_photos": True, "visitor_photo_days": 7}).json()
    assert (changed["keep_visitor_photos"], changed["visitor_photo_days"]) == (True, 7)


@pytest.mark.parametrize("days", [0, 366, -1])
def test_a_retention_outside_1_to_365_days_is_refused(api: ApiCaller, world: World, days: int) -> None:
    assert api.patch(path(world), {"visitor_photo_days": days}).status_code == 400


def test_a_viewer_cannot_turn_keeping_on(api: ApiCaller, world: World) -> None:
    assert api.as_("viewer").patch(path(world), {"keep_visitor_photos": True}).status_code == 403
    assert not Album.objects.get(pk=world.album.pk).keep_visitor_photos


def test_the_visitors_page_says_photos_are_kept_only_when_they_are(client: Client, world: World, db) -> None:
    page = f"/v/{world.album.slug}/"
    assert "kept for" not in client.get(page).content.decode()
    Album.objects.filter(pk=world.album.pk).update(keep_visitor_photos=True, visitor_photo_days=12)
    text = client.get(page).content.decode()
    assert "Photos that are not recognised are kept for 12 days to improve recognition" in text


# ---- keeping photos --------------------------------------------------------------------


def test_the_visitors_page_never_keeps_a_photo_when_the_setting_is_off(
    client: Client, world: World, db, media: Path
) -> None:
    ModelVersion.objects.filter(album=world.album).update(threshold=1.5)  # every answer unknown
    before = sorted(media.rglob("*"))
    answer = visit(client, world)
    assert answer.status_code == 200
    assert answer.json()["unknown"]
    assert not ReviewItem.objects.exists()
    assert sorted(media.rglob("*")) == before


def test_an_unknown_photo_is_kept_with_the_best_guesses_and_nothing_of_the_visitor(
    client: Client, world: World, keeping: Album
) -> None:
    answer = visit(client, world)
    assert answer.status_code == 200
    assert answer.json()["unknown"]
    (item,) = ReviewItem.objects.filter(album=keeping)
    assert item.reason == "unknown"
    assert [g["label"] for g in item.guesses] == [p["label"] for p in answer.json()["predictions"]][:3]
    assert {"label", "class_id", "score"} == set(item.guesses[0])
    fields = {f.name for f in ReviewItem._meta.get_fields()}
    assert not fields & {"ip", "address", "user", "user_agent", "agent", "session"}


def test_a_kept_photo_loses_its_metadata(client: Client, world: World, keeping: Album) -> None:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {2: (48.0, 51.0, 24.0)}  # GPS latitude
    buffer = io.BytesIO()
    Image.open(IMAGES / "owl.jpg").convert("RGB").save(buffer, "JPEG", exif=exif)
    assert visit(client, world, data=buffer.getvalue()).status_code == 200
    (item,) = ReviewItem.objects.filter(album=keeping)
    with item.file.open("rb") as f:
        stored = Image.open(io.BytesIO(f.read()))
    assert not stored.getexif()


def test_a_confident_answer_is_not_kept(client: Client, world: World, keeping: Album) -> None:
    ModelVersion.objects.filter(album=world.album).update(threshold=0.0)
    answer = visit(client, world).json()
    margin = answer["predictions"][0]["similarity"] - answer["predictions"][1]["similarity"]
    assert not answer["unknown"]
    assert margin >= review.LOW_MARGIN
    assert not ReviewItem.objects.exists()


def test_an_accepted_answer_with_a_low_margin_is_kept_as_low_margin() -> None:
    close = {"unknown": False, "predictions": [{"similarity": 0.80}, {"similarity": 0.78}]}
    clear = {"unknown": False, "predictions": [{"similarity": 0.80}, {"similarity": 0.50}]}
    assert review.reason_for(close) == "low_margin"
    assert review.reason_for(clear) is None
    assert review.reason_for({"unknown": True, "predictions": []}) == "unknown"


def test_past_the_daily_bound_a_photo_is_not_kept_and_the_answer_is_the_same(
    client: Client, world: World, keeping: Album, settings
) -> None:
    settings.REVIEW_PER_DAY = 1
    first, second = visit(client, world).json(), visit(client, world)
    assert second.status_code == 200
    assert second.json() == first
    assert ReviewItem.objects.filter(album=keeping).count() == 1


def test_the_daily_bound_counts_the_days_of_the_servers_time_zone(
    client: Client, world: World, keeping: Album, settings
) -> None:
    settings.TIME_ZONE = "Pacific/Auckland"  # UTC+13 in December: its day starts at 11:00 UTC
    item = kept(client, world)[0]
    ReviewItem.objects.filter(pk=item.pk).update(created=datetime(2026, 12, 3, 10, 50, tzinfo=UTC))
    just_after_midnight_there = datetime(2026, 12, 3, 11, 10, tzinfo=UTC)
    assert review.kept_today(keeping, just_after_midnight_there) == 0
    assert review.kept_today(keeping, datetime(2026, 12, 3, 10, 55, tzinfo=UTC)) == 1


def test_past_the_workspace_quota_a_photo_is_not_kept_and_the_answer_is_given(
    client: Client, world: World, keeping: Album
) -> None:
    workspace = keeping.workspace
    workspace.quota_mb = 1  # the album's pictures and bundle already use more
    workspace.save()
    answer = visit(client, world)
    assert answer.status_code == 200
    assert answer.json()["unknown"]
    assert not ReviewItem.objects.exists()


def test_kept_photos_count_against_the_workspace_storage(
    client: Client, api: ApiCaller, world: World, keeping: Album
) -> None:
    before = api.get(path(world)).json()["storage"]["used_bytes"]
    (item,) = kept(client, world)
    assert api.get(path(world)).json()["storage"]["used_bytes"] == before + item.size > before


def _detail(image: Image.Image) -> float:
    return float(np.abs(np.diff(np.asarray(image, dtype=np.float32), axis=1)).mean())


def test_people_in_a_kept_photo_are_blurred(db) -> None:
    data = (IMAGES / "grace_hopper.bmp").read_bytes()
    original = Image.open(io.BytesIO(data)).convert("L")
    jpeg_bytes, width, height = review.privacy_copy(data)
    kept_image = Image.open(io.BytesIO(jpeg_bytes)).convert("L").resize(original.size)
    # The portrait is mostly person: blurred, its fine detail (neighbouring pixels' differences) goes.
    detail = [
        float(np.abs(np.diff(np.asarray(i, dtype=np.float32), axis=1)).mean()) for i in (original, kept_image)
    ]
    assert detail[1] < 0.5 * detail[0]
    assert (width, height) == Image.open(io.BytesIO(jpeg_bytes)).size


# ---- the queue -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_who_may_read_the_review_queue(
    client: Client, api: ApiCaller, world: World, keeping: Album, role: str
) -> None:
    (item,) = kept(client, world)
    answer = api.as_(role).get(path(world, "/review"))
    assert answer.status_code == READERS[role]
    if answer.status_code == 200:
        body = answer.json()
        assert (body["total"], body["page"], body["pages"]) == (1, 1, 1)
        (row,) = body["items"]
        assert (row["id"], row["reason"]) == (item.pk, "unknown")
        assert api.as_(role).get(row["image_url"].removeprefix("/api/v1")).status_code == 200
    else:
        image = api.as_(role).get(path(world, f"/review/{item.pk}/file"))
        assert image.status_code == 404


def test_anonymous_callers_cannot_read_the_queue(api: ApiCaller, world: World) -> None:
    assert api.as_("anonymous").get(path(world, "/review")).status_code == 401


@pytest.mark.parametrize("role", ROLES)
def test_who_may_act_on_a_photo_of_the_queue(
    client: Client, api: ApiCaller, world: World, keeping: Album, role: str
) -> None:
    (item,) = kept(client, world)
    answer = api.as_(role).post(path(world, f"/review/{item.pk}"), {"action": "negative"})
    assert answer.status_code == ACTORS[role]
    state = ReviewItem.objects.get(pk=item.pk).state
    assert state == ("negative" if answer.status_code == 200 else "waiting")


@pytest.mark.parametrize("role", ROLES)
def test_who_may_act_on_several_photos_at_once(
    client: Client, api: ApiCaller, world: World, keeping: Album, role: str
) -> None:
    items = kept(client, world, 2)
    body = {"ids": [i.pk for i in items], "action": "discard"}
    answer = api.as_(role).post(path(world, "/review"), body)
    assert answer.status_code == ACTORS[role]
    left = ReviewItem.objects.filter(pk__in=[i.pk for i in items]).count()
    assert left == (0 if answer.status_code == 200 else 2)


def test_an_assigned_photo_becomes_training_media_from_visitors(
    client: Client, api: ApiCaller, world: World, keeping: Album
) -> None:
    (item,) = kept(client, world)
    owl = keeping.classes.get(name="owl")
    answer = api.post(path(world, f"/review/{item.pk}"), {"action": "assign", "class": owl.pk})
    assert answer.json() == {"count": 1}
    media = MediaItem.objects.get(album_class=owl, from_visitors=True)
    assert media.file.name == item.file.name
    assert media.size == item.size
    assert not ReviewItem.objects.filter(pk=item.pk).exists()
    listed = api.get(path(world, f"/classes/{owl.pk}/media")).json()
    assert [m["from_visitors"] for m in listed].count(True) == 1
    assert api.get(path(world, "/review")).json()["total"] == 0


def test_a_photo_marked_not_a_work_leaves_the_queue_and_waits_as_a_negative(
    client: Client, api: ApiCaller, world: World, keeping: Album
) -> None:
    (item,) = kept(client, world)
    assert api.post(path(world, f"/review/{item.pk}"), {"action": "negative"}).status_code == 200
    assert api.get(path(world, "/review")).json()["total"] == 0
    assert [n.pk for n in review.negatives(keeping, 10)] == [item.pk]


def test_a_discarded_photo_goes_with_its_file(
    client: Client, api: ApiCaller, world: World, keeping: Album, commit, media: Path
) -> None:
    (item,) = kept(client, world)
    file = media / item.file.name
    assert file.is_file()
    with commit():
        assert api.post(path(world, f"/review/{item.pk}"), {"action": "discard"}).status_code == 200
    assert not ReviewItem.objects.filter(pk=item.pk).exists()
    assert not file.exists()


def test_bulk_assign_moves_every_photo_named_or_none(
    client: Client, api: ApiCaller, world: World, keeping: Album
) -> None:
    items = kept(client, world, 2)
    parrot = keeping.classes.get(name="parrot")
    missing = {"ids": [items[0].pk, 999_999], "action": "assign", "class": parrot.pk}
    assert api.post(path(world, "/review"), missing).status_code == 404
    assert ReviewItem.objects.filter(album=keeping).count() == 2
    body = {"ids": [i.pk for i in items], "action": "assign", "class": parrot.pk}
    assert api.post(path(world, "/review"), body).json() == {"count": 2}
    assert MediaItem.objects.filter(album_class=parrot, from_visitors=True).count() == 2


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"action": "frame it"}, 400, "invalid_action"),
        ({"action": "assign"}, 400, "class_required"),
        ({"action": "assign", "class": 999_999}, 404, "not_found"),
    ],
)
def test_a_wrong_action_is_refused_and_changes_nothing(
    client: Client, api: ApiCaller, world: World, keeping: Album, body: dict, status: int, code: str
) -> None:
    (item,) = kept(client, world)
    answer = api.post(path(world, f"/review/{item.pk}"), body)
    assert (answer.status_code, answer.json()["error"]["code"]) == (status, code)
    assert ReviewItem.objects.get(pk=item.pk).state == "waiting"


def test_a_class_of_another_album_cannot_take_a_photo(
    client: Client, api: ApiCaller, world: World, keeping: Album
) -> None:
    (item,) = kept(client, world)
    other = make_album(world.team, "Other", ("elsewhere",)).classes.get()
    answer = api.post(path(world, f"/review/{item.pk}"), {"action": "assign", "class": other.pk})
    assert answer.status_code == 404
    assert not MediaItem.objects.filter(album_class=other).exists()


def test_the_queue_is_paged(
    client: Client, api: ApiCaller, world: World, keeping: Album, monkeypatch
) -> None:
    monkeypatch.setattr(review, "PAGE_SIZE", 2)
    items = kept(client, world, 3)
    first, second = (api.get(path(world, f"/review?page={n}")).json() for n in (1, 2))
    assert (first["pages"], first["total"], len(first["items"]), len(second["items"])) == (2, 3, 2, 1)
    assert second["items"][0]["id"] == items[0].pk  # newest first
    assert api.get(path(world, "/review?page=0")).status_code == 400


# ---- training from the queue -----------------------------------------------------------


def test_assigned_photos_are_used_by_the_next_training_and_counted_in_its_metrics(
    client: Client, api: ApiCaller, world: World, keeping: Album, eager, commit
) -> None:
    items = kept(client, world, 2)
    owl = keeping.classes.get(name="owl")
    api.post(path(world, f"/review/{items[0].pk}"), {"action": "assign", "class": owl.pk})
    api.post(path(world, f"/review/{items[1].pk}"), {"action": "negative"})
    with commit():
        assert api.post(path(world, "/train")).status_code == 202
    job = keeping.jobs.order_by("-id").first()
    assert job.status == "succeeded", job.error
    version = ModelVersion.objects.filter(album=keeping).order_by("-number").first()
    assert version.number == 2
    assert version.metrics["visitor_pictures"] == 1
    assert version.metrics["visitor_negatives"] == 1
    assigned = MediaItem.objects.get(album_class=owl, from_visitors=True)
    assert assigned.embeddings.exists()  # trained on
    client.force_login(world.team.editor)
    row = client.get(f"/albums/{keeping.pk}/").content.decode()
    assert '<td class="from-visitors">1 picture, 1 “not a work”</td>' in row


# ---- statistics ------------------------------------------------------------------------


def seed_day(album: Album, day: date) -> None:
    owl, parrot = album.classes.get(name="owl"), album.classes.get(name="parrot")
    for work, ms in ((owl, 100), (owl, 300), (parrot, 200), (None, 900)):
        VisitorAnswer.objects.create(album=album, day=day, work=work, unknown=work is None, ms=ms)


def test_stats_are_right_for_a_seeded_day_of_answers(api: ApiCaller, world: World) -> None:
    day = date(2026, 5, 4)
    seed_day(world.album, day)
    seed_day(world.album, day + timedelta(days=5))  # outside the period asked for
    body = api.get(path(world, "/stats?start=2026-05-03&end=2026-05-05")).json()
    assert [d["day"] for d in body["days"]] == ["2026-05-03", "2026-05-04", "2026-05-05"]
    quiet, seeded, _ = body["days"]
    assert (quiet["answers"], quiet["unknown_share"], quiet["median_ms"]) == (0, None, None)
    assert (seeded["answers"], seeded["unknown"], seeded["unknown_share"]) == (4, 1, 0.25)
    assert seeded["median_ms"] == 250.0
    assert [(w["label"], w["count"]) for w in seeded["works"]] == [("owl", 2), ("parrot", 1)]


def test_stats_come_as_csv_too(api: ApiCaller, world: World) -> None:
    seed_day(world.album, date(2026, 5, 4))
    for url in (
        "/stats?start=2026-05-04&end=2026-05-04&format=csv",
        "/stats.csv?start=2026-05-04&end=2026-05-04",
    ):
        answer = api.get(path(world, url))
        assert answer["Content-Type"].startswith("text/csv")
        assert "attachment" in answer["Content-Disposition"]
        lines = answer.content.decode().splitlines()
        assert lines[0].startswith("day,class_id,work,recognitions")
        assert "2026-05-04,,,,4,1,0.25,250.0" in lines
        assert any(line.endswith(",owl,2,,,,") for line in lines)


@pytest.mark.parametrize("role", ROLES)
def test_who_may_read_the_stats(api: ApiCaller, world: World, role: str) -> None:
    for url in ("/stats", "/stats?format=csv", "/stats.csv"):
        assert api.as_(role).get(path(world, url)).status_code == READERS[role]


@pytest.mark.parametrize(
    "query",
    ["start=2026-05-05&end=2026-05-04", "start=2020-01-01&end=2026-01-01", "start=yesterday", "format=xls"],
)
def test_a_wrong_period_is_a_400(api: ApiCaller, world: World, query: str) -> None:
    assert api.get(path(world, f"/stats?{query}")).status_code == 400


def test_every_visitor_answer_is_counted_without_personal_data(client: Client, world: World, db) -> None:
    assert visit(client, world).status_code == 200
    (row,) = VisitorAnswer.objects.filter(album=world.album)
    assert row.day == timezone.localdate()
    assert row.ms > 0
    assert not row.on_device
    fields = {f.name for f in VisitorAnswer._meta.get_fields()}
    assert fields == {"id", "album", "day", "work", "unknown", "ms", "on_device"}


def test_a_phone_reports_an_answer_it_made_itself(client: Client, world: World, db) -> None:
    owl = world.album.classes.get(name="owl")
    url = f"/api/v1/v/{world.album.slug}/answers"
    assert client.post(url, {"work": owl.pk, "ms": 42.5}, content_type="application/json").status_code == 204
    assert client.post(url, {"work": None, "ms": 80}, content_type="application/json").status_code == 204
    rows = VisitorAnswer.objects.filter(album=world.album, on_device=True).order_by("id")
    assert [(r.work_id, r.unknown, r.ms) for r in rows] == [(owl.pk, False, 42.5), (None, True, 80.0)]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"work": None, "ms": -1}, 400),
        ({"work": None, "ms": 1e12}, 400),
        ({"work": None}, 400),
        ({"work": "owl", "ms": 10}, 400),
        ({"work": 999_999, "ms": 10}, 404),
    ],
)
def test_a_wrong_answer_report_is_refused(client: Client, world: World, db, body: dict, status: int) -> None:
    url = f"/api/v1/v/{world.album.slug}/answers"
    assert client.post(url, body, content_type="application/json").status_code == status
    assert not VisitorAnswer.objects.exists()


def test_answers_of_an_album_whose_page_is_off_are_a_404(client: Client, world: World, db) -> None:
    Album.objects.filter(pk=world.album.pk).update(published=False)
    url = f"/api/v1/v/{world.album.slug}/answers"
    assert client.post(url, {"work": None, "ms": 5}, content_type="application/json").status_code == 404


def test_answer_reports_are_rate_limited(client: Client, world: World, db, settings) -> None:
    settings.RATE_LIMIT_IP = (2, 60)
    url = f"/api/v1/v/{world.album.slug}/answers"
    codes = [
        client.post(url, {"work": None, "ms": 5}, content_type="application/json").status_code
        for _ in range(3)
    ]
    assert codes == [204, 204, 429]


def test_the_charts_are_drawn_for_the_period(world: World, db) -> None:
    seed_day(world.album, timezone.localdate())
    charts = stats.charts(world.album)
    assert charts["answers"] == 4
    assert charts["unknown"] == 1
    assert charts["answers_svg"].startswith("<svg")
    assert "<rect" in charts["answers_svg"]
    assert [w["label"] for w in charts["top_works"]] == ["owl", "parrot"]


# ---- retention -------------------------------------------------------------------------


def test_cleanup_removes_kept_photos_past_their_retention_with_their_files(
    client: Client, world: World, keeping: Album, media: Path
) -> None:
    old, recent = kept(client, world, 2)
    negative = kept(client, world)[-1]
    review.mark_negative(negative)
    past = timezone.now() - timedelta(days=31)
    ReviewItem.objects.filter(pk__in=[old.pk, negative.pk]).update(created=past)
    report = run_cleanup()
    assert (report.review_photos, report.review_photo_bytes) == (2, old.size + negative.size)
    assert list(ReviewItem.objects.filter(album=keeping)) == [recent]
    assert not (media / old.file.name).exists()
    assert not (media / negative.file.name).exists()
    assert (media / recent.file.name).is_file()


def test_cleanup_keeps_a_photo_within_a_longer_retention(
    client: Client, world: World, keeping: Album
) -> None:
    (item,) = kept(client, world)
    Album.objects.filter(pk=keeping.pk).update(visitor_photo_days=60)
    ReviewItem.objects.filter(pk=item.pk).update(created=timezone.now() - timedelta(days=31))
    assert run_cleanup().review_photos == 0
    assert ReviewItem.objects.filter(pk=item.pk).exists()


def test_a_dry_run_removes_nothing(client: Client, world: World, keeping: Album, media: Path) -> None:
    (item,) = kept(client, world)
    ReviewItem.objects.filter(pk=item.pk).update(created=timezone.now() - timedelta(days=31))
    assert run_cleanup(dry_run=True).review_photos == 1
    assert ReviewItem.objects.filter(pk=item.pk).exists()
    assert (media / item.file.name).is_file()
