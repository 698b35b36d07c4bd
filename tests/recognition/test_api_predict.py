"""`POST /api/v1/predict`: answer shapes, what is stored for whom, and every refusal."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from museion.recognition.models import Prediction
from tests.conftest import IMAGES, VIDEOS
from tests.web.conftest import bearer

DETECTOR = "coco-yolox-nano"
CLASSIFY_KEYS = ["height", "id", "lang", "model", "predictions", "task", "width"]
DETECT_KEYS = ["detections", "height", "id", "lang", "model", "task", "width"]


def english(items: list[dict]) -> list[dict]:
    """Items as the history keeps them: `label` already English, so no `label_en` beside it."""
    return [{k: v for k, v in item.items() if k != "label_en"} for item in items]


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def parrot() -> bytes:
    return (IMAGES / "parrot.jpg").read_bytes()


@pytest.fixture(scope="module")
def pets() -> bytes:
    return (IMAGES / "pets.jpg").read_bytes()


def predict(client: Client, data: bytes, name: str = "photo.jpg", headers: dict | None = None, **fields):
    form = {"image": SimpleUploadedFile(name, data), **fields}
    return client.post("/api/v1/predict", form, headers=headers or {})


def stored_files(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def test_classifying_answers_the_documented_shape(client: Client, parrot: bytes, db) -> None:
    response = predict(client, parrot)
    assert response.status_code == 200
    body = response.json()
    assert sorted(body) == CLASSIFY_KEYS
    assert body["id"] is None
    assert (body["model"], body["task"]) == ("imagenet-mobilenetv2", "classify")
    assert (body["width"], body["height"]) == Image.open(IMAGES / "parrot.jpg").size
    assert all(
        sorted(p) == ["full_label", "index", "label", "label_en", "score"] for p in body["predictions"]
    )
    assert body["predictions"][0]["label"] == "macaw"


@pytest.mark.parametrize("top_k", [1, 3, 10])
def test_classifying_gives_top_k_predictions_best_first(
    client: Client, parrot: bytes, db, top_k: int
) -> None:
    scores = [p["score"] for p in predict(client, parrot, top_k=top_k).json()["predictions"]]
    assert len(scores) == top_k
    assert scores == sorted(scores, reverse=True)


def test_detecting_answers_the_documented_shape(client: Client, pets: bytes, db) -> None:
    body = predict(client, pets, model=DETECTOR).json()
    assert sorted(body) == DETECT_KEYS
    assert (body["model"], body["task"]) == (DETECTOR, "detect")
    width, height = Image.open(IMAGES / "pets.jpg").size
    assert (body["width"], body["height"]) == (width, height)
    assert [d["label"] for d in body["detections"]].count("dog") >= 2
    for found in body["detections"]:
        assert sorted(found) == ["box", "full_label", "index", "label", "label_en", "score"]
        x0, y0, x1, y1 = found["box"]
        assert 0 <= x0 < x1 <= width
        assert 0 <= y0 < y1 <= height


def test_detecting_honours_the_threshold(client: Client, pets: bytes, db) -> None:
    low = predict(client, pets, model=DETECTOR, threshold=0.3).json()["detections"]
    cut = (low[0]["score"] + low[1]["score"]) / 2  # between the two dogs
    high = predict(client, pets, model=DETECTOR, threshold=cut).json()["detections"]
    assert len(high) < len(low)
    assert all(d["score"] >= cut for d in high)


def test_annotate_adds_the_photo_with_boxes_as_a_jpeg_data_url(client: Client, pets: bytes, db) -> None:
    body = predict(client, pets, model=DETECTOR, annotate=1).json()
    prefix = "data:image/jpeg;base64,"
    assert body["image"].startswith(prefix)
    drawn = Image.open(io.BytesIO(base64.b64decode(body["image"][len(prefix) :])))
    assert drawn.format == "JPEG"
    assert drawn.size == (body["width"], body["height"])


def test_without_annotate_a_detection_carries_no_image(client: Client, pets: bytes, db) -> None:
    assert "image" not in predict(client, pets, model=DETECTOR).json()


def test_annotate_is_ignored_when_classifying(client: Client, parrot: bytes, db) -> None:
    assert "image" not in predict(client, parrot, annotate=1).json()


def test_an_anonymous_caller_gets_no_id_and_nothing_is_stored(
    client: Client, parrot: bytes, db, media: Path
) -> None:
    assert predict(client, parrot).json()["id"] is None
    assert not Prediction.objects.exists()
    assert stored_files(media) == []


def test_a_signed_in_caller_gets_an_id_and_the_row_and_files_are_stored(
    client: Client, parrot: bytes, owner, media: Path
) -> None:
    body = predict(client, parrot, headers=bearer(owner)).json()
    row = Prediction.objects.get(pk=body["id"])
    assert (row.user, row.model, row.task, row.label) == (owner, body["model"], "classify", "macaw")
    assert row.result == english(body["predictions"])
    assert row.image.read() == parrot
    assert max(Image.open(row.thumbnail).size) <= 240
    assert sorted(stored_files(media)) == sorted(Path(media, n) for n in (row.image.name, row.thumbnail.name))


def test_a_session_caller_gets_an_id_too(owner_client: Client, parrot: bytes, owner) -> None:
    body = predict(owner_client, parrot).json()
    assert Prediction.objects.get(pk=body["id"]).user == owner


def test_a_stored_detection_keeps_its_detections(client: Client, pets: bytes, owner) -> None:
    body = predict(client, pets, model=DETECTOR, headers=bearer(owner)).json()
    row = Prediction.objects.get(pk=body["id"])
    assert (row.task, row.result) == ("detect", english(body["detections"]))


def test_a_png_named_txt_is_judged_by_its_content_and_accepted(client: Client, parrot: bytes, db) -> None:
    png = encode(Image.open(io.BytesIO(parrot)), "PNG")
    response = predict(client, png, name="notes.txt")
    assert response.status_code == 200
    assert response.json()["predictions"][0]["label"] == "macaw"


def tiff() -> bytes:
    return encode(Image.new("RGB", (64, 64), "white"), "TIFF")


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("photo.jpg", b"this is a letter, not a photo\n" * 20, "not_an_image"),
        ("clip.mp4", (VIDEOS / "not_a_video.mp4").read_bytes(), "not_an_image"),
        ("scan.jpg", tiff(), "unsupported_format"),
    ],
    ids=["text-named-jpg", "text-named-mp4", "tiff"],
)
def test_a_file_that_is_not_an_accepted_image_is_refused_415_and_nothing_is_stored(
    client: Client, owner, media: Path, name: str, data: bytes, code: str
) -> None:
    response = predict(client, data, name=name, headers=bearer(owner))
    assert response.status_code == 415
    assert response.json()["error"]["code"] == code
    assert not Prediction.objects.exists()
    assert stored_files(media) == []


@pytest.mark.parametrize("over", [1, 10_000_000], ids=["just-over", "far-over"])
def test_an_upload_over_the_limit_is_refused_413_and_nothing_is_stored(
    client: Client, settings, owner, media: Path, over: int
) -> None:
    settings.MAX_UPLOAD_BYTES = 5_000
    data = encode(Image.effect_noise((64, 64), 100).convert("RGB"), "PNG")
    data = data[:5_000] if over == 1 else data
    data = data + b"\0" * over
    response = predict(client, data, headers=bearer(owner))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert not Prediction.objects.exists()
    assert stored_files(media) == []


def test_an_upload_at_the_limit_is_accepted(client: Client, settings, parrot: bytes, db) -> None:
    settings.MAX_UPLOAD_BYTES = len(parrot)
    assert predict(client, parrot).status_code == 200


@pytest.mark.parametrize(
    ("data", "fields", "code"),
    [
        (b"", {}, "empty_image"),
        ((IMAGES / "parrot.jpg").read_bytes()[:3000], {}, "corrupt_image"),
        ((IMAGES / "parrot.jpg").read_bytes(), {"top_k": 0}, "invalid_request"),
        ((IMAGES / "parrot.jpg").read_bytes(), {"top_k": "five"}, "invalid_request"),
        ((IMAGES / "parrot.jpg").read_bytes(), {"threshold": 1.5}, "invalid_request"),
        ((IMAGES / "parrot.jpg").read_bytes(), {"model": "no-such-model"}, "unknown_model"),
    ],
    ids=["empty", "truncated", "top_k-zero", "top_k-text", "threshold", "unknown-model"],
)
def test_a_bad_request_is_refused_400_and_nothing_is_stored(
    client: Client, owner, media: Path, data: bytes, fields: dict, code: str
) -> None:
    response = predict(client, data, headers=bearer(owner), **fields)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert not Prediction.objects.exists()
    assert stored_files(media) == []


def test_an_unknown_model_is_named_in_the_message(client: Client, parrot: bytes, db) -> None:
    error = predict(client, parrot, model="no-such-model").json()["error"]
    assert "no-such-model" in error["message"]


@pytest.mark.parametrize(
    ("fmt", "options"), [("PNG", {}), ("JPEG", {"quality": 90}), ("WEBP", {"quality": 80})]
)
def test_the_same_image_predicted_50_times_gives_identical_answers(
    client: Client, parrot: bytes, db, fmt: str, options: dict
) -> None:
    data = encode(Image.open(io.BytesIO(parrot)).convert("RGB"), fmt, **options)
    answers = [predict(client, data, name=f"parrot.{fmt.lower()}").json() for _ in range(50)]
    assert answers[0]["predictions"][0]["label"] == "macaw"
    assert all(answer == answers[0] for answer in answers)


def test_a_session_post_without_the_csrf_token_is_refused_403_and_stores_nothing(
    owner, parrot: bytes, media: Path
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    response = predict(client, parrot)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"
    assert not Prediction.objects.exists()
    assert stored_files(media) == []


def test_a_session_post_with_the_csrf_token_is_accepted(owner, parrot: bytes, settings) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    token = "k" * 16 + "CSRFtoken123456x"  # as a browser would have it from the cookie
    client.cookies[settings.CSRF_COOKIE_NAME] = token
    response = predict(client, parrot, headers={"X-CSRFToken": token})
    assert response.status_code == 200
    assert Prediction.objects.filter(pk=response.json()["id"], user=owner).exists()


def test_a_bearer_post_needs_no_csrf_token(owner, parrot: bytes) -> None:
    response = predict(Client(enforce_csrf_checks=True), parrot, headers=bearer(owner))
    assert response.status_code == 200
