"""Cross-origin calls: allowed only for the origins in settings.CORS_ORIGINS."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils.cache import cc_delim_re

from tests.conftest import IMAGES
from tests.web.conftest import bearer

APP = "https://app.example.org"
STRANGER = "https://evil.example.com"


@pytest.fixture(autouse=True)
def cors_origins(settings) -> None:
    settings.CORS_ORIGINS = [APP]


def preflight(client: Client, origin: str, path: str = "/api/v1/predict"):
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization",
        },
    )


def vary(response) -> set[str]:
    return {v.strip().lower() for v in cc_delim_re.split(response.get("Vary", ""))}


def test_a_preflight_from_an_allowed_origin_is_answered_204_with_the_allow_headers(client: Client) -> None:
    response = preflight(client, APP)
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == APP
    assert {"POST", "GET", "DELETE"} <= {
        m.strip() for m in response["Access-Control-Allow-Methods"].split(",")
    }
    assert "authorization" in response["Access-Control-Allow-Headers"].lower()
    assert int(response["Access-Control-Max-Age"]) > 0


def test_a_preflight_from_another_origin_is_refused_without_allow_headers(client: Client) -> None:
    response = preflight(client, STRANGER)
    assert response.status_code != 204
    assert not response.has_header("Access-Control-Allow-Origin")
    assert not response.has_header("Access-Control-Allow-Methods")


def test_no_origin_is_allowed_when_none_is_configured(client: Client, settings) -> None:
    settings.CORS_ORIGINS = []
    response = preflight(client, APP)
    assert response.status_code != 204
    assert not response.has_header("Access-Control-Allow-Origin")


def test_an_allowed_origin_may_read_the_answer(client: Client) -> None:
    response = client.get("/api/v1/health", headers={"Origin": APP})
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == APP


def test_another_origin_gets_no_allow_origin_header(client: Client) -> None:
    response = client.get("/api/v1/health", headers={"Origin": STRANGER})
    assert not response.has_header("Access-Control-Allow-Origin")


def test_an_allowed_origin_may_read_error_answers_too(client: Client) -> None:
    response = client.get("/api/v1/nope", headers={"Origin": APP})
    assert response.status_code == 404
    assert response["Access-Control-Allow-Origin"] == APP


def test_an_allowed_origin_can_predict_with_a_bearer_token(client: Client, owner) -> None:
    upload = SimpleUploadedFile("parrot.jpg", (IMAGES / "parrot.jpg").read_bytes())
    response = client.post(
        "/api/v1/predict", {"image": upload, "top_k": 1}, headers={"Origin": APP, **bearer(owner)}
    )
    assert response.status_code == 200
    assert response.json()["id"] is not None
    assert response["Access-Control-Allow-Origin"] == APP


def test_cross_origin_callers_are_never_given_credentials(client: Client) -> None:
    assert not preflight(client, APP).has_header("Access-Control-Allow-Credentials")


@pytest.mark.parametrize("path", ["/api/v1/health", "/api/v1/predictions"])
def test_api_answers_vary_by_origin_even_when_the_session_adds_cookie(client: Client, db, path: str) -> None:
    assert "origin" in vary(client.get(path, headers={"Origin": APP}))


def test_pages_outside_the_api_get_no_cors_headers(client: Client, db) -> None:
    response = client.get("/signin/", headers={"Origin": APP})
    assert response.status_code == 200
    assert not response.has_header("Access-Control-Allow-Origin")
