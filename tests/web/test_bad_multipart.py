"""Forms that cannot be parsed: no boundary, a boundary Django refuses, parts it cannot
decode. Each is a 400 in the API's error shape, signed in or not, never a 500."""

from __future__ import annotations

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from museion.accounts.models import User
from tests.web.conftest import bearer
from tests.web.test_api_errors import LEAKS, assert_error

PATHS = ["/api/v1/predict", "/api/v1/v/a-published-album/predict", "/api/v1/albums/1/predict"]
NO_BOUNDARY = [
    "multipart/form-data",
    "multipart/form-data; boundary=",
    'multipart/form-data; boundary=""',
    "multipart/form-data; charset=utf-8",
    "multipart/form-data; boundary=" + "b" * 300,  # longer than RFC 2046 (and Django) allow
    "multipart/form-data; boundary=\x7f",
]
BODY = (
    b'--x\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\n\r\n\xff\xd8\xff\r\n--x--\r\n'
)


@pytest.mark.parametrize("content_type", NO_BOUNDARY)
@pytest.mark.parametrize("path", PATHS)
def test_a_form_without_a_usable_boundary_answers_400_anonymously(
    client: Client, db, path: str, content_type: str
) -> None:
    response = client.generic("POST", path, BODY, content_type=content_type)
    error = assert_error(response, 400, "bad_multipart")
    assert "boundary" in error["message"]


@pytest.mark.parametrize("path", PATHS)
def test_a_form_without_a_boundary_answers_400_signed_in(client: Client, owner: User, path: str) -> None:
    response = client.generic("POST", path, BODY, content_type="multipart/form-data", headers=bearer(owner))
    assert_error(response, 400, "bad_multipart")


def test_a_part_that_django_cannot_decode_answers_400(client: Client, db) -> None:
    """Base64 that is not: left to Django's parser (an unusual part header), which raises."""
    body = (
        b'--x\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n!!not base64!!\r\n--x--\r\n"
    )
    response = client.generic("POST", "/api/v1/predict", body, content_type="multipart/form-data; boundary=x")
    assert response.status_code in (400, 415), response.content
    assert_error(response, response.status_code)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    params=st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40),
    body=st.one_of(
        st.binary(max_size=400),
        st.builds(
            lambda head, data: b"--x\r\n" + head + b"\r\n\r\n" + data + b"\r\n--x--\r\n",
            st.binary(max_size=120),
            st.binary(max_size=120),
        ),
    ),
)
def test_fuzzed_forms_never_answer_500(client: Client, db, params: str, body: bytes) -> None:
    """Fuzzed Content-Type parameters and bodies, through the API guard and both parsers."""
    response = client.generic("POST", "/api/v1/predict", body, content_type=f"multipart/form-data;{params}")
    text = response.content.decode(errors="replace")
    assert response.status_code < 500, text
    assert not any(leak in text for leak in LEAKS)
    if response.status_code >= 400:
        assert_error(response, response.status_code)
