"""`/api/v1/predictions`: the caller's own stored predictions, listed, fetched and deleted."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.test import Client
from PIL import Image

from museion.accounts.models import User
from museion.recognition import services
from museion.recognition.models import Prediction
from museion.vision.catalog import DEFAULT_CLASSIFIER, DEFAULT_DETECTOR
from tests.conftest import IMAGES
from tests.web.conftest import bearer

SUMMARY_KEYS = ["created", "id", "image_url", "label", "model", "score"]
Store = Callable[..., Prediction]


@pytest.fixture(scope="module")
def photo() -> bytes:
    buffer = io.BytesIO()
    Image.open(IMAGES / "parrot.jpg").resize((128, 232)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def outcomes(photo: bytes) -> dict[str, services.Outcome]:
    return {
        name: services.predict(photo, services.servable_model(name))
        for name in (DEFAULT_CLASSIFIER, DEFAULT_DETECTOR)
    }


@pytest.fixture
def store(outcomes: dict[str, services.Outcome], photo: bytes, owner: User) -> Store:
    """Store a prediction the way the API does, optionally for another user, model or date."""

    def make(
        user: User = owner, model: str = DEFAULT_CLASSIFIER, created: datetime | None = None
    ) -> Prediction:
        row = services.store(user, outcomes[model], photo)
        if created is not None:
            Prediction.objects.filter(pk=row.pk).update(created=created)
            row.refresh_from_db()
        return row

    return make


def listing(client: Client, user: User, query: str = "") -> dict:
    response = client.get(f"/api/v1/predictions{query}", headers=bearer(user))
    assert response.status_code == 200
    return response.json()


def ids(page: dict) -> list[int]:
    return [item["id"] for item in page["items"]]


def at(day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(2024, 3, day, hour, minute, tzinfo=UTC)


def test_the_list_answers_the_documented_shape(client: Client, owner: User, store: Store) -> None:
    row = store()
    page = listing(client, owner)
    assert sorted(page) == ["items", "page", "pages", "total"]
    assert (page["page"], page["pages"], page["total"]) == (1, 1, 1)
    (item,) = page["items"]
    assert sorted(item) == SUMMARY_KEYS
    assert (item["id"], item["model"], item["label"]) == (row.pk, row.model, row.label)
    assert item["score"] == pytest.approx(row.score)
    assert item["image_url"] == f"/api/v1/predictions/{row.pk}/image"


def test_an_empty_list_has_one_empty_page(client: Client, owner: User) -> None:
    assert listing(client, owner) == {"items": [], "page": 1, "pages": 1, "total": 0}


def test_45_predictions_make_3_pages_of_20_20_and_5_newest_first(
    client: Client, owner: User, store: Store
) -> None:
    start = at(1)
    rows = [store(created=start + timedelta(minutes=i)) for i in range(45)]
    pages = [listing(client, owner, f"?page={n}") for n in (1, 2, 3)]
    assert [len(p["items"]) for p in pages] == [20, 20, 5]
    assert {(p["pages"], p["total"]) for p in pages} == {(3, 45)}
    assert [p["page"] for p in pages] == [1, 2, 3]
    assert [pk for p in pages for pk in ids(p)] == [row.pk for row in reversed(rows)]


def test_the_newest_prediction_comes_first_whatever_the_order_of_storing(
    client: Client, owner: User, store: Store
) -> None:
    older, newer, oldest = store(created=at(2)), store(created=at(3)), store(created=at(1))
    assert ids(listing(client, owner)) == [newer.pk, older.pk, oldest.pk]


def test_a_page_past_the_end_is_empty(client: Client, owner: User, store: Store) -> None:
    store()
    assert listing(client, owner, "?page=2")["items"] == []


def test_a_page_below_1_is_a_400(client: Client, owner: User) -> None:
    response = client.get("/api/v1/predictions?page=0", headers=bearer(owner))
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid_request",
        "message": "page: Input should be greater than or equal to 1",
    }


def test_the_list_filters_by_model(client: Client, owner: User, store: Store) -> None:
    classified, detected = store(), store(model=DEFAULT_DETECTOR)
    assert ids(listing(client, owner, f"?model={DEFAULT_DETECTOR}")) == [detected.pk]
    assert ids(listing(client, owner, f"?model={DEFAULT_CLASSIFIER}")) == [classified.pk]
    assert listing(client, owner, "?model=no-such-model")["total"] == 0


def test_the_list_filters_by_start_and_end_dates_inclusive(client: Client, owner: User, store: Store) -> None:
    before = store(created=at(1, 23, 59))
    first = store(created=at(2, 0, 0))
    middle = store(created=at(3, 12))
    last = store(created=at(4, 23, 59))
    after = store(created=at(5, 0, 0))
    assert ids(listing(client, owner, "?start=2024-03-02&end=2024-03-04")) == [last.pk, middle.pk, first.pk]
    assert ids(listing(client, owner, "?start=2024-03-04")) == [after.pk, last.pk]
    assert ids(listing(client, owner, "?end=2024-03-02")) == [first.pk, before.pk]
    assert ids(listing(client, owner, "?start=2024-03-03&end=2024-03-03")) == [middle.pk]


@pytest.mark.parametrize("start", ["03/02/2024", "0", "1709337600", "2024-03-02T00:00"])
def test_a_malformed_date_is_a_400(client: Client, owner: User, start: str) -> None:
    """Only YYYY-MM-DD, as the schema says: not a timestamp such as `0`, read as 1970-01-01."""
    response = client.get(f"/api/v1/predictions?start={start}", headers=bearer(owner))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"
    assert "start" in response.json()["error"]["message"]


def test_the_list_shows_only_the_callers_own_predictions(
    client: Client, owner: User, teammate: User, store: Store
) -> None:
    mine = store()
    store(user=teammate)
    assert ids(listing(client, owner)) == [mine.pk]


def test_a_session_can_list_too(owner_client: Client, store: Store) -> None:
    row = store()
    assert ids(owner_client.get("/api/v1/predictions").json()) == [row.pk]


def test_a_stored_prediction_answers_the_full_result(client: Client, owner: User, store: Store) -> None:
    row = store()
    body = client.get(f"/api/v1/predictions/{row.pk}", headers=bearer(owner)).json()
    assert sorted(body) == sorted([*SUMMARY_KEYS, "task", "width", "height", "thumbnail_url", "predictions"])
    assert (body["id"], body["task"], body["width"], body["height"]) == (row.pk, "classify", 128, 232)
    assert body["predictions"] == row.result
    assert body["thumbnail_url"] == f"/api/v1/predictions/{row.pk}/thumbnail"


def test_a_stored_detection_that_found_nothing_still_says_so(
    client: Client, owner: User, store: Store
) -> None:
    row = store(model=DEFAULT_DETECTOR)
    Prediction.objects.filter(pk=row.pk).update(result=[], label="", score=None)
    body = client.get(f"/api/v1/predictions/{row.pk}", headers=bearer(owner)).json()
    assert (body["detections"], body["label"], body["score"]) == ([], "", None)
    assert "predictions" not in body


def test_the_image_and_thumbnail_are_served(client: Client, owner: User, store: Store, photo: bytes) -> None:
    row = store()
    image = client.get(f"/api/v1/predictions/{row.pk}/image", headers=bearer(owner))
    assert image.status_code == 200
    assert b"".join(image.streaming_content) == photo
    thumbnail = client.get(f"/api/v1/predictions/{row.pk}/thumbnail", headers=bearer(owner))
    assert thumbnail["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(b"".join(thumbnail.streaming_content))).format == "JPEG"


def test_deleting_answers_204_and_removes_the_row_and_both_files(
    client: Client, owner: User, store: Store, media: Path, django_capture_on_commit_callbacks
) -> None:
    row = store()
    files = [Path(media, row.image.name), Path(media, row.thumbnail.name)]
    assert all(f.is_file() for f in files)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete(f"/api/v1/predictions/{row.pk}", headers=bearer(owner))
    assert response.status_code == 204
    assert response.content == b""
    assert not Prediction.objects.filter(pk=row.pk).exists()
    assert not any(f.exists() for f in files)


def test_a_deleted_prediction_is_then_404(client: Client, owner: User, store: Store) -> None:
    row = store()
    headers = bearer(owner)
    assert client.delete(f"/api/v1/predictions/{row.pk}", headers=headers).status_code == 204
    assert client.get(f"/api/v1/predictions/{row.pk}", headers=headers).status_code == 404


SUBRESOURCES = [("get", ""), ("delete", ""), ("get", "/image"), ("get", "/thumbnail")]


@pytest.mark.parametrize(("method", "suffix"), SUBRESOURCES, ids=["get", "delete", "image", "thumbnail"])
def test_the_owner_may_use_their_prediction(
    client: Client, owner: User, store: Store, method: str, suffix: str
) -> None:
    row = store()
    response = getattr(client, method)(f"/api/v1/predictions/{row.pk}{suffix}", headers=bearer(owner))
    assert response.status_code == (204 if method == "delete" else 200)


@pytest.mark.parametrize("persona", ["teammate", "outsider"])
@pytest.mark.parametrize(("method", "suffix"), SUBRESOURCES, ids=["get", "delete", "image", "thumbnail"])
def test_another_user_gets_404_exactly_like_a_missing_prediction(
    client: Client, store: Store, request: pytest.FixtureRequest, persona: str, method: str, suffix: str
) -> None:
    row = store()
    headers = bearer(request.getfixturevalue(persona))
    theirs = getattr(client, method)(f"/api/v1/predictions/{row.pk}{suffix}", headers=headers)
    missing = getattr(client, method)(f"/api/v1/predictions/{row.pk + 1000}{suffix}", headers=headers)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()
    assert Prediction.objects.filter(pk=row.pk).exists()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/predictions"),
        ("get", "/api/v1/predictions/{pk}"),
        ("delete", "/api/v1/predictions/{pk}"),
        ("get", "/api/v1/predictions/{pk}/image"),
        ("get", "/api/v1/predictions/{pk}/thumbnail"),
    ],
    ids=["list", "get", "delete", "image", "thumbnail"],
)
def test_an_anonymous_caller_gets_401(client: Client, store: Store, method: str, path: str) -> None:
    row = store()
    response = getattr(client, method)(path.format(pk=row.pk))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert Prediction.objects.filter(pk=row.pk).exists()
