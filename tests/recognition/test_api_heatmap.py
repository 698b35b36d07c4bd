"""`POST /api/v1/predict/heatmap`: an occlusion heat map of a classifier, bounded, never stored."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from museion.accounts.models import User
from museion.recognition import services
from museion.recognition.models import Prediction
from museion.vision.catalog import DEFAULT_DETECTOR
from tests.conftest import IMAGES
from tests.web.conftest import bearer


@pytest.fixture(scope="module")
def parrot() -> bytes:
    return (IMAGES / "parrot.jpg").read_bytes()


def heat_map(client: Client, data: bytes, headers: dict | None = None, **fields):
    form = {"image": SimpleUploadedFile("parrot.jpg", data), **fields}
    return client.post("/api/v1/predict/heatmap", form, headers=headers or {})


def test_a_heat_map_follows_the_top_label_over_a_7_by_7_grid(client: Client, parrot: bytes, db) -> None:
    response = heat_map(client, parrot)
    assert response.status_code == 200
    body = response.json()
    assert (body["label"], body["grid"]) == ("macaw", 7)
    assert (body["width"], body["height"]) == Image.open(IMAGES / "parrot.jpg").size
    assert len(body["scores"]) == 7
    assert all(len(row) == 7 for row in body["scores"])
    assert all(0 <= s <= 1 for row in body["scores"] for s in row)
    x0, y0, x1, y1 = body["region"]
    assert 0 <= x0 < x1 <= body["width"]
    assert 0 <= y0 < y1 <= body["height"]


def test_greying_some_cells_lowers_the_score_much_more_than_greying_others(client: Client, db) -> None:
    # pets.jpg: no single cell holds the whole dog, but some cell matters and some does not.
    body = heat_map(client, (IMAGES / "pets.jpg").read_bytes(), grid=4).json()
    drops = [body["score"] - s for row in body["scores"] for s in row]
    assert max(drops) > 0.05
    assert min(drops) < max(drops) / 2


def test_a_heat_map_can_follow_another_label(client: Client, parrot: bytes, db) -> None:
    body = heat_map(client, parrot, index=1, grid=2).json()
    assert (body["index"], body["label"], body["full_label"]) == (
        1,
        "goldfish",
        "goldfish, Carassius auratus",
    )
    assert body["score"] < 0.01


def test_a_heat_maps_label_is_in_the_language_asked(client: Client, parrot: bytes, db) -> None:
    response = client.post(
        "/api/v1/predict/heatmap?lang=de",
        {"image": SimpleUploadedFile("parrot.jpg", parrot), "grid": 2},
        headers={"Accept-Language": "fr"},
    )
    body = response.json()
    assert (body["lang"], body["label"], body["label_en"]) == ("de", "Ara", "macaw")
    assert response["Content-Language"] == "de"
    french = heat_map(client, parrot, {"Accept-Language": "fr-FR"}, grid=2).json()
    assert (french["lang"], french["label"]) == ("fr", "ara")


def test_a_heat_map_is_never_stored(client: Client, owner: User, parrot: bytes) -> None:
    assert heat_map(client, parrot, bearer(owner), grid=2).status_code == 200
    assert not Prediction.objects.filter(user=owner).exists()


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"grid": 9}, "invalid_request"),
        ({"grid": 1}, "invalid_request"),
        ({"index": 1000}, "unknown_label"),
        ({"index": -1}, "invalid_request"),
        ({"model": DEFAULT_DETECTOR}, "wrong_task"),
        ({"model": "no-such-model"}, "unknown_model"),
    ],
)
def test_it_refuses_a_grid_label_or_model_it_cannot_map(
    client: Client, parrot: bytes, db, fields: dict, code: str
) -> None:
    response = heat_map(client, parrot, **fields)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


def test_it_refuses_a_file_that_is_not_an_image(client: Client, db) -> None:
    response = heat_map(client, b"not a picture at all")
    assert (response.status_code, response.json()["error"]["code"]) == (415, "not_an_image")


def test_while_another_heat_map_is_computed_it_asks_to_retry(client: Client, parrot: bytes, db) -> None:
    assert services.HEAT_MAPS_AT_ONCE.acquire(blocking=False)
    try:
        response = heat_map(client, parrot, grid=2)
    finally:
        services.HEAT_MAPS_AT_ONCE.release()
    assert (response.status_code, response.json()["error"]["code"]) == (429, "too_busy")
    assert response["Retry-After"] == str(services.HEAT_MAP_RETRY_AFTER)
