"""`POST /api/v1/predict`: labels are common names (ImageNet's first synonym) with the whole label
beside them, and `store=false` is a preview that leaves the history as it was."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from museion.accounts.models import User
from museion.recognition.models import Prediction
from museion.vision.catalog import DEFAULT_DETECTOR, first_synonym
from tests.conftest import IMAGES
from tests.web.conftest import bearer


@pytest.fixture(scope="module")
def pets() -> bytes:
    return (IMAGES / "pets.jpg").read_bytes()


def predict(client: Client, data: bytes, headers: dict | None = None, **fields):
    form = {"image": SimpleUploadedFile("pets.jpg", data), **fields}
    return client.post("/api/v1/predict", form, headers=headers or {})


def test_first_synonym_is_the_common_name_of_a_label() -> None:
    assert first_synonym("tench, Tinca tinca") == "tench"
    assert first_synonym("great white shark, white shark, man-eater") == "great white shark"
    assert first_synonym("macaw") == "macaw"


def test_a_label_is_its_first_synonym_and_the_full_label_keeps_the_rest(
    client: Client, pets: bytes, db
) -> None:
    top = predict(client, pets).json()["predictions"][0]
    assert (top["label"], top["full_label"]) == (
        "Staffordshire bullterrier",
        "Staffordshire bullterrier, Staffordshire bull terrier",
    )


def test_the_history_stores_the_common_name(client: Client, owner: User, pets: bytes) -> None:
    body = predict(client, pets, bearer(owner)).json()
    assert Prediction.objects.get(pk=body["id"]).label == "Staffordshire bullterrier"


def test_detections_carry_a_full_label_too(client: Client, pets: bytes, db) -> None:
    found = predict(client, pets, model=DEFAULT_DETECTOR).json()["detections"]
    assert found
    assert all(d["full_label"] == d["label"] for d in found)


def test_store_false_answers_a_preview_and_keeps_nothing(client: Client, owner: User, pets: bytes) -> None:
    response = predict(client, pets, bearer(owner), store="false")
    assert response.status_code == 200
    assert response.json()["id"] is None
    assert response.json()["predictions"][0]["label"] == "Staffordshire bullterrier"
    assert not Prediction.objects.filter(user=owner).exists()


def test_a_signed_in_prediction_is_stored_unless_told_otherwise(
    client: Client, owner: User, pets: bytes
) -> None:
    first = predict(client, pets, bearer(owner)).json()["id"]
    second = predict(client, pets, bearer(owner), store="true").json()["id"]
    assert list(Prediction.objects.filter(user=owner).values_list("pk", flat=True)) == [second, first]


def test_store_must_be_a_boolean(client: Client, owner: User, pets: bytes) -> None:
    response = predict(client, pets, bearer(owner), store="maybe")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"
    assert not Prediction.objects.filter(user=owner).exists()
