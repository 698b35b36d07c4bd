"""`/api/v1/auth/signup` and `/api/v1/auth/token`, and bearer tokens on the API."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from museion.accounts.models import ApiToken, User, digest
from tests.conftest import IMAGES
from tests.web.conftest import PASSWORD, bearer


def post(client: Client, path: str, body: dict):
    return client.post(f"/api/v1/auth/{path}", body, content_type="application/json")


def issue(client: Client, email: str, password: str = PASSWORD, **extra: str) -> str:
    response = post(client, "token", {"email": email, "password": password, **extra})
    assert response.status_code == 201
    return response.json()["token"]


def test_signup_creates_an_account_and_answers_its_id_and_email(client: Client, db) -> None:
    response = post(client, "signup", {"email": "new@example.org", "password": PASSWORD})
    assert response.status_code == 201
    body = response.json()
    assert sorted(body) == ["email", "id"]
    user = User.objects.get(pk=body["id"])
    assert body["email"] == user.email == "new@example.org"
    assert user.check_password(PASSWORD)


def test_signup_normalises_the_email(client: Client, db) -> None:
    response = post(client, "signup", {"email": "  New@Example.ORG ", "password": PASSWORD})
    assert response.json()["email"] == "new@example.org"


@pytest.mark.parametrize(
    ("email", "password", "code", "reason"),
    [
        ("not-an-email", PASSWORD, "invalid_email", "valid email"),
        ("", PASSWORD, "invalid_email", "valid email"),
        ("new@example.org", "Sh0rt!", "invalid_password", "too short"),
        ("new@example.org", "password123", "invalid_password", "too common"),
        ("new@example.org", "8374926104738", "invalid_password", "entirely numeric"),
        ("newcomer@example.org", "newcomer@example.org", "invalid_password", "too similar"),
    ],
)
def test_signup_refuses_a_bad_email_or_weak_password_with_the_reason(
    client: Client, db, email: str, password: str, code: str, reason: str
) -> None:
    response = post(client, "signup", {"email": email, "password": password})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert reason in response.json()["error"]["message"]
    assert not User.objects.exists()


@pytest.mark.parametrize("email", ["owner@example.org", "OWNER@example.org"])
def test_signup_refuses_a_taken_email(client: Client, owner, email: str) -> None:
    response = post(client, "signup", {"email": email, "password": PASSWORD})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_email"
    assert "already exists" in response.json()["error"]["message"]
    assert User.objects.count() == 1


def test_signup_without_a_password_is_a_400(client: Client, db) -> None:
    response = post(client, "signup", {"email": "new@example.org"})
    assert response.status_code == 400
    assert "password" in response.json()["error"]["message"]


def test_token_answers_201_with_a_token_that_works(client: Client, owner) -> None:
    response = post(client, "token", {"email": owner.email, "password": PASSWORD})
    assert response.status_code == 201
    assert list(response.json()) == ["token"]
    headers = {"Authorization": f"Bearer {response.json()['token']}"}
    assert client.get("/api/v1/predictions", headers=headers).status_code == 200


def test_token_accepts_the_email_in_any_case_and_keeps_the_name(client: Client, owner) -> None:
    issue(client, "  Owner@EXAMPLE.org", name="laptop")
    assert list(owner.tokens.values_list("name", flat=True)) == ["laptop"]


@pytest.mark.parametrize(
    ("email", "password"),
    [("owner@example.org", "not the password"), ("nobody@example.org", PASSWORD), ("", "")],
)
def test_token_refuses_bad_credentials_with_401(client: Client, owner, email: str, password: str) -> None:
    response = post(client, "token", {"email": email, "password": password})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "bad_credentials"
    assert not ApiToken.objects.exists()


def test_token_refuses_an_inactive_user(client: Client, owner) -> None:
    User.objects.filter(pk=owner.pk).update(is_active=False)
    assert post(client, "token", {"email": owner.email, "password": PASSWORD}).status_code == 401


def test_tokens_are_stored_hashed_and_the_database_never_holds_the_secret(client: Client, owner) -> None:
    secret = issue(client, owner.email)
    row = ApiToken.objects.get(user=owner)
    assert row.digest == digest(secret)
    assert secret not in {str(v) for v in ApiToken.objects.values().get().values()}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ApiToken._meta.db_table}")
        assert not any(secret in str(value) for row in cursor.fetchall() for value in row)


def test_each_token_request_gives_a_different_token(client: Client, owner) -> None:
    assert issue(client, owner.email) != issue(client, owner.email)


def test_a_revoked_token_is_refused_with_401(client: Client, owner) -> None:
    secret = issue(client, owner.email)
    ApiToken.objects.filter(digest=digest(secret)).delete()
    response = client.get("/api/v1/predictions", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"


def test_a_token_of_a_deactivated_user_is_refused_with_401(client: Client, owner) -> None:
    headers = bearer(owner)
    User.objects.filter(pk=owner.pk).update(is_active=False)
    assert client.get("/api/v1/predictions", headers=headers).status_code == 401


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer    ", "Token msn_abc", "Basic b3duZXI6cGFzcw==", "msn_abc", "Bearer msn_nope"],
)
def test_a_malformed_or_unknown_authorization_header_is_refused_with_401(
    client: Client, owner, header: str
) -> None:
    response = client.get("/api/v1/predictions", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["error"]["code"] in ("unauthorized", "invalid_token")


def test_a_bad_token_is_refused_even_where_anonymous_callers_are_welcome(client: Client, db) -> None:
    upload = SimpleUploadedFile("parrot.jpg", (IMAGES / "parrot.jpg").read_bytes())
    response = client.post("/api/v1/predict", {"image": upload}, headers={"Authorization": "Bearer msn_nope"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"


def test_a_bad_token_is_refused_even_with_a_signed_in_session(owner_client: Client) -> None:
    response = owner_client.get("/api/v1/predictions", headers={"Authorization": "Bearer msn_nope"})
    assert response.status_code == 401
