"""The API's one error shape, its health check, and what it says when things go wrong."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from museion import __version__
from museion.accounts.models import User
from museion.albums import services
from museion.albums.models import FPS_DEFAULT
from museion.vision.catalog import DEFAULT_CLASSIFIER, DEFAULT_DETECTOR
from museion.web.middleware import ApiGuardMiddleware
from tests.conftest import IMAGES
from tests.web.conftest import bearer

LEAKS = ("Traceback", 'File "', "RuntimeError", "the secret cause")


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert list(body) == ["error"]
    assert sorted(body["error"]) == ["code", "message"]
    assert isinstance(body["error"]["code"], str)
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code
    return body["error"]


def test_health_says_ok_with_the_version_and_the_models(client: Client) -> None:
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    body = response.json()
    assert sorted(body) == ["models", "status", "version"]
    assert body["status"] == "ok"
    assert body["version"] == __version__
    assert DEFAULT_CLASSIFIER in body["models"]
    assert DEFAULT_DETECTOR in body["models"]


@pytest.mark.parametrize(
    "path", ["/api/v1/nope", "/api/v2/health", "/api/", "/api/v1/health/extra", "/api/v1/auth/nope"]
)
def test_unknown_api_paths_answer_404_in_the_error_shape(client: Client, path: str) -> None:
    assert_error(client.get(path), 404, "not_found")


def test_unknown_paths_outside_the_api_are_not_answered_in_json(client: Client) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "json" not in response["Content-Type"]


def test_a_missing_prediction_answers_404_in_the_error_shape(client: Client, owner) -> None:
    assert_error(client.get("/api/v1/predictions/999999", headers=bearer(owner)), 404, "not_found")


def test_a_wrong_method_answers_405_in_the_error_shape(client: Client) -> None:
    response = client.delete("/api/v1/health")
    assert_error(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET"


def test_a_bad_field_answers_400_naming_the_field(client: Client, db) -> None:
    upload = SimpleUploadedFile("parrot.jpg", (IMAGES / "parrot.jpg").read_bytes())
    error = assert_error(client.post("/api/v1/predict", {"image": upload, "top_k": "many"}), 400)
    assert error["code"] == "invalid_request"
    assert "top_k" in error["message"]


def test_a_missing_field_answers_400_naming_the_field(client: Client, db) -> None:
    error = assert_error(client.post("/api/v1/predict", {"top_k": 3}), 400, "invalid_request")
    assert "image" in error["message"]


def test_a_body_that_is_not_json_answers_400_in_the_error_shape(client: Client, db) -> None:
    assert_error(client.post("/api/v1/auth/signup", "{not json", content_type="application/json"), 400)


@pytest.mark.parametrize("body", ["[null, null]", "[]", '"name"', "3", "null"])
def test_a_json_body_that_is_not_an_object_answers_400_and_changes_nothing(
    client: Client, owner: User, body: str
) -> None:
    album = services.create_album(owner, None, "Birds", "", FPS_DEFAULT)
    response = client.patch(
        f"/api/v1/albums/{album.pk}", body, content_type="application/json", headers=bearer(owner)
    )
    assert assert_error(response, 400, "invalid_request")["message"] == "the body must be a JSON object"
    album.refresh_from_db()
    assert album.name == "Birds"


def test_an_unauthenticated_call_answers_401_in_the_error_shape(client: Client, db) -> None:
    assert_error(client.get("/api/v1/predictions"), 401, "unauthorized")


def test_an_unexpected_exception_answers_500_without_a_traceback(client: Client, db, monkeypatch) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the secret cause")

    monkeypatch.setattr("museion.recognition.services.predict", explode)
    upload = SimpleUploadedFile("parrot.jpg", (IMAGES / "parrot.jpg").read_bytes())
    response = client.post("/api/v1/predict", {"image": upload})
    assert_error(response, 500, "internal_error")
    assert not any(leak in response.content.decode() for leak in LEAKS)


def test_an_exception_outside_the_api_views_still_answers_json_500_without_a_traceback(monkeypatch) -> None:
    def explode(request: object) -> None:
        raise RuntimeError("the secret cause")

    monkeypatch.setattr(ApiGuardMiddleware, "_refuse_oversized", staticmethod(explode))
    response = Client(raise_request_exception=False).get("/api/v1/health")
    assert_error(response, 500, "internal_error")
    assert not any(leak in response.content.decode() for leak in LEAKS)


def test_a_json_body_over_the_limit_answers_413_not_500(client: Client, settings, db) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    body = {"email": "new@example.org", "password": "x" * 2_000}
    response = client.post("/api/v1/auth/signup", body, content_type="application/json")
    assert_error(response, 413, "too_large")


def test_a_form_with_too_many_fields_answers_400_not_500(client: Client, settings, db) -> None:
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    upload = SimpleUploadedFile("parrot.jpg", (IMAGES / "parrot.jpg").read_bytes())
    response = client.post("/api/v1/predict", {"image": upload, **{f"f{i}": "x" for i in range(20)}})
    assert_error(response, 400)


def test_a_post_to_an_unknown_api_path_answers_404_json(db) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/api/v1/classify", {})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_session_call_without_its_csrf_token_answers_403_json(db) -> None:
    user = User.objects.create_user(email="csrf@example.org", password="a sturdy passphrase 42")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.delete("/api/v1/predictions/1")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"
