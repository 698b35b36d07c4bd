"""A phone on the LAN opening the server by an address not in ALLOWED_HOSTS: told which setting to add."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

LAN = "192.168.1.20:8000"


def test_a_page_at_an_address_not_allowed_names_the_setting_to_add() -> None:
    response = Client(HTTP_HOST=LAN).get("/")
    assert response.status_code == 400
    page = response.content.decode()
    assert "ALLOWED_HOSTS=localhost,192.168.1.20" in page
    assert "width=device-width" in page  # readable on the phone that met it


def test_the_api_at_an_address_not_allowed_answers_the_error_shape() -> None:
    response = Client(HTTP_HOST=LAN).post("/api/v1/predict")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "host_not_allowed"
    assert "ALLOWED_HOSTS" in error["message"]


def test_a_hostile_host_header_is_shown_as_text() -> None:
    response = Client(HTTP_HOST="<script>x</script>").get("/")
    assert response.status_code == 400
    assert b"<script>" not in response.content
