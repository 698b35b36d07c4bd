"""`POST /api/v1/predict` in the caller's language: `?lang=`, else Accept-Language, else English;
`label_en` keeps the English name and the history stays English."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from museion.accounts.models import User
from museion.recognition.models import Prediction
from museion.vision.catalog import DEFAULT_DETECTOR
from tests.conftest import IMAGES
from tests.web.conftest import bearer
from tests.web.test_api_errors import assert_error


@pytest.fixture(scope="module")
def parrot() -> bytes:
    return (IMAGES / "parrot.jpg").read_bytes()


@pytest.fixture(scope="module")
def pets() -> bytes:
    return (IMAGES / "pets.jpg").read_bytes()


def predict(client: Client, data: bytes, query: str = "", headers: dict | None = None, **fields):
    form = {"image": SimpleUploadedFile("photo.jpg", data), **fields}
    return client.post(f"/api/v1/predict{query}", form, headers=headers or {})


def test_lang_zh_hans_gives_the_chinese_label_and_keeps_the_english_one(
    client: Client, parrot: bytes, db
) -> None:
    response = predict(client, parrot, "?lang=zh-hans")
    assert response.status_code == 200
    body = response.json()
    top = body["predictions"][0]
    assert (body["lang"], top["label"], top["label_en"], top["full_label"]) == (
        "zh-hans",
        "金刚鹦鹉",
        "macaw",
        "macaw",
    )
    assert response["Content-Language"] == "zh-hans"
    assert "Accept-Language" in response["Vary"]


def test_accept_language_picks_chinese_by_quality(client: Client, parrot: bytes, db) -> None:
    body = predict(client, parrot, headers={"Accept-Language": "zh-CN,zh;q=0.9"}).json()
    assert body["lang"] == "zh-hans"
    assert body["predictions"][0]["label"] == "金刚鹦鹉"


def test_the_most_wanted_shipped_language_wins_over_header_order(client: Client, parrot: bytes, db) -> None:
    body = predict(client, parrot, headers={"Accept-Language": "ja;q=1, en;q=0.2, zh-Hans-CN;q=0.8"}).json()
    assert body["lang"] == "zh-hans"


def test_lang_wins_over_accept_language(client: Client, parrot: bytes, db) -> None:
    body = predict(client, parrot, "?lang=en", headers={"Accept-Language": "zh-CN"}).json()
    assert (body["lang"], body["predictions"][0]["label"]) == ("en", "macaw")


@pytest.mark.parametrize("lang", ["ja", "pt-BR", "zh-Hant-TW", "es"])
def test_a_language_without_labels_falls_back_to_english(
    client: Client, parrot: bytes, db, lang: str
) -> None:
    body = predict(client, parrot, f"?lang={lang}").json()
    top = body["predictions"][0]
    assert (body["lang"], top["label"], top["label_en"]) == ("en", "macaw", "macaw")


def test_no_language_asked_is_english(client: Client, parrot: bytes, db) -> None:
    body = predict(client, parrot).json()
    assert body["lang"] == "en"
    assert body["predictions"][0]["label"] == body["predictions"][0]["label_en"] == "macaw"


@pytest.mark.parametrize("lang", ["zh hans", "zh-hans!", "zh--hans", "中文", "-fr", "fr-"])
def test_a_lang_that_is_no_language_tag_is_refused(client: Client, parrot: bytes, db, lang: str) -> None:
    assert_error(predict(client, parrot, "?" + urlencode({"lang": lang})), 400, "invalid_language")


def test_a_lang_longer_than_any_tag_is_refused(client: Client, parrot: bytes, db) -> None:
    assert_error(predict(client, parrot, "?lang=" + "zh-" * 12 + "cn"), 400)


def test_an_unreadable_accept_language_is_english_not_an_error(client: Client, parrot: bytes, db) -> None:
    body = predict(client, parrot, headers={"Accept-Language": ";;q=x,,*;q=oops, zh;q=0"}).json()
    assert body["lang"] == "en"


def test_detections_come_in_the_language_asked(client: Client, pets: bytes, db) -> None:
    body = predict(client, pets, "?lang=zh-hans", model=DEFAULT_DETECTOR, annotate="true").json()
    labels = {(d["label"], d["label_en"]) for d in body["detections"]}
    assert ("狗", "dog") in labels
    assert body["image"].startswith("data:image/jpeg;base64,")


@pytest.mark.parametrize(
    ("query", "header", "lang", "macaw", "dog"),
    [("?lang=fr-CA", "", "fr", "ara", "chien"), ("", "de-AT,de;q=0.9", "de", "Ara", "Hund")],
)
def test_french_and_german_callers_get_their_labels(
    client: Client, parrot: bytes, pets: bytes, db, query: str, header: str, lang: str, macaw: str, dog: str
) -> None:
    headers = {"Accept-Language": header} if header else {}
    body = predict(client, parrot, query, headers=headers).json()
    assert (body["lang"], body["predictions"][0]["label"], body["predictions"][0]["label_en"]) == (
        lang,
        macaw,
        "macaw",
    )
    found = predict(client, pets, query, headers=headers, model=DEFAULT_DETECTOR).json()
    assert (dog, "dog") in {(d["label"], d["label_en"]) for d in found["detections"]}


def test_the_history_keeps_english_whatever_the_language(
    client: Client, owner: User, outsider: User, parrot: bytes
) -> None:
    body = predict(client, parrot, "?lang=zh-hans", bearer(owner)).json()
    stored = Prediction.objects.get(pk=body["id"])
    assert stored.label == "macaw"
    assert stored.result[0]["label"] == "macaw"
    assert "label_en" not in stored.result[0]
    again = client.get(f"/api/v1/predictions/{body['id']}", headers=bearer(owner)).json()
    assert again["predictions"][0]["label"] == "macaw"
    assert client.get(f"/api/v1/predictions/{body['id']}", headers=bearer(outsider)).status_code == 404
