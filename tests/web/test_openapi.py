"""The API's OpenAPI schema: valid, complete, and kept by the API (checked with Schemathesis)."""

from __future__ import annotations

from collections.abc import Iterator

import hypothesis
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from schemathesis import GenerationMode

from museion.accounts.models import User
from museion.recognition import services
from museion.recognition.services import Outcome
from museion.vision.catalog import DEFAULT_CLASSIFIER
from museion.web.wsgi import application
from tests.conftest import IMAGES
from tests.web.conftest import PASSWORD, bearer, make_user

SCHEMA_PATH = "/api/v1/openapi.json"
ENDPOINTS = {
    ("get", "/api/v1/health"),
    ("post", "/api/v1/auth/signup"),
    ("post", "/api/v1/auth/token"),
    ("post", "/api/v1/predict"),
    ("post", "/api/v1/predict/heatmap"),
    ("get", "/api/v1/predictions"),
    ("get", "/api/v1/predictions/{prediction_id}"),
    ("delete", "/api/v1/predictions/{prediction_id}"),
    ("get", "/api/v1/predictions/{prediction_id}/image"),
    ("get", "/api/v1/predictions/{prediction_id}/thumbnail"),
}
# Where a 400 answers a valid-looking request for a reason no JSON schema can state: a password
# too weak or too like the email (Django's validators), a wrong old password, an email Django's
# validator refuses, a file that is no picture. Everywhere else a schema-valid request must succeed.
BUSINESS_RULES = """
[[operations]]
include-name = [
    "POST /api/v1/auth/signup",
    "POST /api/v1/auth/password",
    "POST /api/v1/predict",
    "POST /api/v1/predict/heatmap",
    "POST /api/v1/albums/{album_id}/predict",
    "POST /api/v1/albums/{album_id}/classes/{class_id}/media",
    "POST /api/v1/v/{slug}/predict",
]
checks.positive_data_acceptance.expected-statuses = [
    "2xx", "400", "401", "403", "404", "409", "413", "415", "429",
]
"""
schema = schemathesis.openapi.from_wsgi(
    SCHEMA_PATH, application, config=schemathesis.Config.from_str(BUSINESS_RULES)
)
# Valid and invalid requests both: an invalid one the server accepts is a schema that says too little.
# The caller's token is sent on every case (below), so the Authorization header is not generated;
# NUL characters are refused everywhere on purpose (400, test_nul_text.py), as the README says.
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], with_security_parameters=False, allow_x00=False
)


def test_the_schema_is_valid_openapi_3():
    raw = schema.raw_schema
    assert raw["openapi"].startswith("3.")
    schema.validate()  # against the OpenAPI meta-schema; raises on any violation
    assert raw["info"]["title"] == "Museion"
    assert {op.ok().path for op in schema.get_all_operations()}  # every operation loads


def test_the_schema_lists_every_endpoint():
    listed = {(method, path) for path, item in schema.raw_schema["paths"].items() for method in item}
    assert listed >= ENDPOINTS


def test_the_schema_documents_bearer_tokens_for_the_stored_predictions():
    raw = schema.raw_schema
    assert raw["components"]["securitySchemes"]["TokenOrSession"] == {"type": "http", "scheme": "bearer"}
    for method, path in ENDPOINTS:
        if path.startswith("/api/v1/predictions"):
            assert raw["paths"][path][method]["security"] == [{"TokenOrSession": []}], (method, path)


def test_the_schema_declares_the_limits_the_server_enforces():
    paths = schema.raw_schema["paths"]
    form = paths["/api/v1/predict"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert (form["properties"]["top_k"]["minimum"], form["properties"]["top_k"]["maximum"]) == (1, 1000)
    assert (form["properties"]["threshold"]["minimum"], form["properties"]["threshold"]["maximum"]) == (0, 1)
    query = {p["name"]: p["schema"] for p in paths["/api/v1/predictions"]["get"]["parameters"]}
    assert query["page"]["minimum"] == 1
    assert {"format": "date", "type": "string"} in query["start"]["anyOf"]


def test_every_operation_declares_the_errors_the_server_can_answer():
    error = {"$ref": "#/components/schemas/ErrorOut"}
    for path, item in schema.raw_schema["paths"].items():
        for method, operation in item.items():
            declared = {int(status) for status in operation["responses"]}
            expected = {400, 413, 503}
            if operation.get("security"):
                expected |= {401, 403}
            if "{" in path:
                expected |= {404}
            assert declared >= expected, (method, path, expected - declared)
            for status in declared - {200, 201, 202, 204, 304}:  # 304: no body, by definition
                body = operation["responses"][str(status)]["content"]["application/json"]["schema"]
                assert body == error, (method, path, status)


def test_the_schema_is_served_without_signing_in(client):
    response = client.get(SCHEMA_PATH)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")


@pytest.fixture(scope="module")
def parrot_outcome() -> tuple[Outcome, bytes]:
    data = (IMAGES / "parrot.jpg").read_bytes()
    return services.predict(data, services.servable_model(DEFAULT_CLASSIFIER)), data


@pytest.fixture
def caller(db, settings) -> Iterator[User]:
    """The signed-in user the generated requests run as; no rate limit in their way."""
    settings.RATE_LIMIT_USER = settings.RATE_LIMIT_IP = settings.RATE_LIMIT_SIGNIN = (0, 60)
    # Requests go through the real WSGI handler, whose end-of-request signal would close the
    # database connection, and with it the test's transaction (as Django's test client avoids).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield make_user("fuzzer@example.org")
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@schema.parametrize()
@hypothesis.settings(
    max_examples=25,
    deadline=None,
    database=None,
    derandomize=True,  # the same cases every run: a failure here is reproducible, never a flake
    suppress_health_check=[
        hypothesis.HealthCheck.too_slow,
        hypothesis.HealthCheck.filter_too_much,
        hypothesis.HealthCheck.function_scoped_fixture,
    ],
)
def test_the_api_does_what_its_schema_says_by_every_check(case, caller, parrot_outcome):
    headers = bearer(caller)
    case.call_and_validate(headers=headers)  # every check
    if "prediction_id" in (case.path_parameters or {}) and case.meta.generation.mode.is_positive:
        # Generated ids are almost never the caller's: ask again for one that is, so the
        # success answers (detail, image, thumbnail, delete) are checked against the schema too.
        case.path_parameters["prediction_id"] = services.store(caller, *parrot_outcome).pk
        case.call_and_validate(headers=headers)  # every check


def test_a_generated_request_reaches_the_api_as_the_signed_in_caller(caller, client):
    """The bearer header the Schemathesis run uses signs the caller in (not just a 401 every time)."""
    response = client.get("/api/v1/predictions", headers=bearer(caller))
    assert response.status_code == 200
    assert response.json() == {"items": [], "page": 1, "pages": 1, "total": 0}


def test_a_signed_up_user_can_get_a_token_from_the_api(db, client):
    response = client.post(
        "/api/v1/auth/signup",
        {"email": "api@example.org", "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 201
    response = client.post(
        "/api/v1/auth/token",
        {"email": "api@example.org", "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["token"].startswith("msn_")
