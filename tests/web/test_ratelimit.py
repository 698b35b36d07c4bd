"""Rate limits: per signed-in user, per IP, and on sign-in and sign-up, each answering 429."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from museion.recognition.models import Prediction
from tests.web.conftest import PASSWORD, bearer

RELAXED = (1000, 60)
NOW = 1_000_000_030.0  # 10 s into a 60 s window: 50 s left


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """A still clock, so no test straddles two counting windows."""
    monkeypatch.setattr("museion.http.ratelimit.time", SimpleNamespace(time=lambda: NOW))


@pytest.fixture(scope="module")
def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 40, 40)).save(buffer, "PNG")
    return buffer.getvalue()


def predict(client: Client, png: bytes, ip: str = "10.0.0.1", **headers: str):
    upload = SimpleUploadedFile("red.png", png)
    return client.post("/api/v1/predict", {"image": upload, "top_k": 1}, REMOTE_ADDR=ip, headers=headers)


def assert_limited(response) -> None:
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
    assert response["Retry-After"] == "50"


def test_anonymous_callers_are_limited_per_ip(client: Client, settings, png: bytes, db) -> None:
    settings.RATE_LIMIT_IP = (2, 60)
    assert [predict(client, png).status_code for _ in range(2)] == [200, 200]
    assert_limited(predict(client, png))


def test_the_ip_limit_counts_each_ip_on_its_own(client: Client, settings, png: bytes, db) -> None:
    settings.RATE_LIMIT_IP = (1, 60)
    assert predict(client, png, ip="10.0.0.1").status_code == 200
    assert predict(client, png, ip="10.0.0.2").status_code == 200
    assert_limited(predict(client, png, ip="10.0.0.1"))


def test_a_forwarded_for_header_does_not_escape_the_ip_limit(
    client: Client, settings, png: bytes, db
) -> None:
    settings.RATE_LIMIT_IP = (1, 60)
    assert predict(client, png).status_code == 200
    assert_limited(predict(client, png, **{"X-Forwarded-For": "203.0.113.9"}))


def test_behind_a_trusted_proxy_each_visitor_is_counted_on_their_own(
    client: Client, settings, png: bytes, db
) -> None:
    settings.RATE_LIMIT_IP = (1, 60)
    settings.TRUSTED_PROXIES = {"127.0.0.1"}
    via_nginx = {"ip": "127.0.0.1"}
    assert predict(client, png, **via_nginx, **{"X-Forwarded-For": "203.0.113.9"}).status_code == 200
    assert predict(client, png, **via_nginx, **{"X-Forwarded-For": "198.51.100.7"}).status_code == 200
    assert_limited(predict(client, png, **via_nginx, **{"X-Forwarded-For": "203.0.113.9"}))


def test_a_client_cannot_pose_as_another_through_a_trusted_proxy(
    client: Client, settings, png: bytes, db
) -> None:
    # The client wrote the first address itself; nginx appended the one it saw.
    settings.RATE_LIMIT_IP = (1, 60)
    settings.TRUSTED_PROXIES = {"127.0.0.1"}
    forged = {"X-Forwarded-For": "10.9.9.9, 203.0.113.9"}
    assert predict(client, png, ip="127.0.0.1", **forged).status_code == 200
    forged = {"X-Forwarded-For": "10.8.8.8, 203.0.113.9"}
    assert_limited(predict(client, png, ip="127.0.0.1", **forged))


def test_signed_in_callers_are_limited_per_user_from_any_ip(
    client: Client, settings, png: bytes, owner, teammate
) -> None:
    settings.RATE_LIMIT_USER, settings.RATE_LIMIT_IP = (2, 60), RELAXED
    token = bearer(owner)
    assert predict(client, png, "10.0.0.1", **token).status_code == 200
    assert predict(client, png, "10.0.0.2", **token).status_code == 200
    assert_limited(predict(client, png, "10.0.0.3", **token))
    assert predict(client, png, "10.0.0.3", **bearer(teammate)).status_code == 200


def test_signed_in_callers_are_held_to_the_ip_limit_too(client: Client, settings, png: bytes, owner) -> None:
    settings.RATE_LIMIT_USER, settings.RATE_LIMIT_IP = RELAXED, (1, 60)
    token = bearer(owner)
    assert predict(client, png, **token).status_code == 200
    assert_limited(predict(client, png, **token))


def test_a_limited_request_stores_nothing(client: Client, settings, png: bytes, owner, media) -> None:
    settings.RATE_LIMIT_USER = (1, 60)
    token = bearer(owner)
    first = predict(client, png, **token).json()["id"]
    assert_limited(predict(client, png, **token))
    assert list(Prediction.objects.values_list("id", flat=True)) == [first]
    assert len([p for p in media.rglob("*") if p.is_file()]) == 2


def test_a_new_window_starts_a_new_count(client: Client, settings, png: bytes, db, monkeypatch) -> None:
    settings.RATE_LIMIT_IP = (1, 60)
    assert predict(client, png).status_code == 200
    assert_limited(predict(client, png))
    monkeypatch.setattr("museion.http.ratelimit.time", SimpleNamespace(time=lambda: NOW + 50))
    assert predict(client, png).status_code == 200


def test_a_zero_count_turns_the_limit_off(client: Client, settings, png: bytes, db) -> None:
    settings.RATE_LIMIT_IP = (0, 60)
    assert {predict(client, png).status_code for _ in range(5)} == {200}


def test_token_requests_are_limited_even_with_the_right_password(client: Client, settings, owner) -> None:
    settings.RATE_LIMIT_SIGNIN = (2, 60)
    wrong = {"email": owner.email, "password": "not the password"}
    for _ in range(2):
        assert client.post("/api/v1/auth/token", wrong, content_type="application/json").status_code == 401
    right = {"email": owner.email, "password": PASSWORD}
    assert_limited(client.post("/api/v1/auth/token", right, content_type="application/json"))


def test_signups_are_limited_per_ip(client: Client, settings, db) -> None:
    settings.RATE_LIMIT_SIGNIN = (1, 60)
    first = {"email": "first@example.org", "password": PASSWORD}
    second = {"email": "second@example.org", "password": PASSWORD}
    assert client.post("/api/v1/auth/signup", first, content_type="application/json").status_code == 201
    assert_limited(client.post("/api/v1/auth/signup", second, content_type="application/json"))
