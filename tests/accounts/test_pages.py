"""The account pages: sign up, sign in and out, password change, API tokens."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from museion.accounts.models import ApiToken, User, digest
from tests.web import conftest as web
from tests.web.conftest import PASSWORD

# The personas and the autouse media/rate-limit fixtures live in tests/web/conftest.py;
# named here, pytest uses them for this module too.
fresh_rate_limits = web.fresh_rate_limits
media = web.media
outsider = web.outsider
owner = web.owner
owner_client = web.owner_client
teammate = web.teammate

NEW_PASSWORD = "another long passphrase 7"


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def sign_up(client: Client, email: str, password: str):
    return client.post(reverse("signup"), {"email": email, "password": password})


def sign_in(client: Client, email: str, password: str):
    return client.post(reverse("signin"), {"username": email, "password": password})


def new_secret(response) -> str:
    found = re.search(r'id="new-token">(msn_[^<]+)<', response.content.decode())
    assert found, "the new token is not on the page"
    return found.group(1)


# Sign up


@pytest.mark.django_db
def test_the_sign_up_page_shows_a_form_for_email_and_password():
    response = Client().get(reverse("signup"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="email"' in html
    assert 'name="password"' in html
    assert 'type="password"' in html


@pytest.mark.django_db
def test_signing_up_creates_the_account_and_signs_in():
    client = Client()
    response = sign_up(client, "New.Person@Example.org", PASSWORD)
    assert response.status_code == 302
    assert response.url == reverse("predict")
    user = User.objects.get()
    assert user.email == "new.person@example.org"
    assert user.check_password(PASSWORD)
    assert signed_in(client)
    assert "new.person@example.org" in client.get(reverse("predict")).content.decode()


@pytest.mark.django_db
def test_sign_up_refuses_an_invalid_email():
    client = Client()
    response = sign_up(client, "not-an-email", PASSWORD)
    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    assert not User.objects.exists()
    assert not signed_in(client)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Xq7#vL2", "This password is too short. It must contain at least 8 characters."),
        ("password123", "This password is too common."),
        ("83920174651", "This password is entirely numeric."),
    ],
    ids=["short", "common", "numeric"],
)
def test_sign_up_refuses_a_weak_password_and_says_why(password: str, message: str):
    client = Client()
    response = sign_up(client, "new@example.org", password)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.exists()
    assert not signed_in(client)


def test_sign_up_refuses_an_email_that_is_taken(owner: User):
    client = Client()
    response = sign_up(client, "OWNER@example.org", "yet another passphrase 9")
    assert response.status_code == 200
    assert "an account with this email already exists" in response.content.decode()
    assert User.objects.count() == 1
    assert not signed_in(client)


# Sign in and out


def test_signing_in_with_email_and_password_works(owner: User):
    client = Client()
    response = sign_in(client, "owner@example.org", PASSWORD)
    assert response.status_code == 302
    assert response.url == reverse("predict")
    assert int(client.session["_auth_user_id"]) == owner.pk


def test_signing_in_ignores_the_case_of_the_email(owner: User):
    client = Client()
    response = sign_in(client, "Owner@Example.ORG", PASSWORD)
    assert response.status_code == 302
    assert signed_in(client)


def test_signing_in_follows_next_to_the_page_asked_for(owner: User):
    client = Client()
    response = client.post(
        reverse("signin"), {"username": "owner@example.org", "password": PASSWORD, "next": "/history/"}
    )
    assert response.status_code == 302
    assert response.url == "/history/"


def test_signing_in_with_a_wrong_password_shows_an_error(owner: User):
    client = Client()
    response = sign_in(client, "owner@example.org", "not the password at all")
    assert response.status_code == 200
    assert "Please enter a correct email address and password." in response.content.decode()
    assert not signed_in(client)


def test_sign_in_is_throttled_after_the_configured_number_of_attempts(owner: User, settings):
    settings.RATE_LIMIT_SIGNIN = (3, 3600)
    client = Client()
    for _ in range(3):
        assert sign_in(client, "owner@example.org", "wrong password here").status_code == 200
    response = sign_in(client, "owner@example.org", PASSWORD)
    assert response.status_code == 429
    assert "Too many sign-in attempts." in response.content.decode()
    assert not signed_in(client)


def test_sign_up_is_throttled_too(db, settings):
    settings.RATE_LIMIT_SIGNIN = (2, 3600)
    client = Client()
    for n in range(2):
        client.post(reverse("signup"), {"email": f"new{n}@example.org", "password": "x"})
    response = client.post(reverse("signup"), {"email": "late@example.org", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert not User.objects.filter(email="late@example.org").exists()


def test_a_throttled_sign_in_does_not_tell_whether_the_password_was_right(owner: User, settings):
    settings.RATE_LIMIT_SIGNIN = (1, 3600)
    client = Client()
    sign_in(client, "owner@example.org", "wrong password here")
    wrong = sign_in(client, "owner@example.org", "another wrong password")
    right = sign_in(client, "owner@example.org", PASSWORD)
    assert wrong.status_code == right.status_code == 429
    assert "Please enter a correct email" not in wrong.content.decode()
    assert "Too many sign-in attempts." in right.content.decode()
    assert 'value="owner@example.org"' in right.content.decode()
    assert not signed_in(client)


def test_signing_out_is_a_post_and_signs_out(owner: User):
    client = Client()
    client.force_login(owner)
    assert client.get(reverse("signout")).status_code == 405
    assert signed_in(client)
    response = client.post(reverse("signout"))
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert not signed_in(client)


def test_a_signed_in_page_offers_sign_out_as_a_form(owner_client: Client):
    html = owner_client.get(reverse("home")).content.decode()
    assert f'action="{reverse("signout")}"' in html
    assert "owner@example.org" in html


# Password change


def test_the_password_page_needs_a_signed_in_user(db):
    response = Client().get(reverse("password_change"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("signin"))


def test_changing_the_password_works_and_keeps_the_session(owner: User, owner_client: Client):
    response = owner_client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password(NEW_PASSWORD)
    assert "Your password was changed." in owner_client.get(response.url).content.decode()
    assert signed_in(owner_client)
    assert sign_in(Client(), "owner@example.org", NEW_PASSWORD).status_code == 302


def test_changing_the_password_requires_the_old_one(owner: User, owner_client: Client):
    response = owner_client.post(
        reverse("password_change"),
        {"old_password": "a wrong guess", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert "Your old password was entered incorrectly." in response.content.decode()
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)


def test_changing_the_password_applies_the_password_rules(owner: User, owner_client: Client):
    response = owner_client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert response.status_code == 200
    assert "This password is too common." in response.content.decode()
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)


# API tokens


def test_the_tokens_page_needs_a_signed_in_user(db):
    response = Client().get(reverse("tokens"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("signin"))


def test_creating_a_token_shows_the_secret_once(owner: User, owner_client: Client):
    response = owner_client.post(reverse("tokens"), {"name": "my laptop"}, follow=True)
    assert response.redirect_chain == [(reverse("tokens"), 302)]  # a reload cannot post it again
    secret = new_secret(response)
    assert "shown only once" in response.content.decode()

    reloaded = owner_client.get(reverse("tokens")).content.decode()
    assert secret not in reloaded
    assert 'id="new-token"' not in reloaded

    token = ApiToken.objects.get(user=owner)
    assert token.name == "my laptop"
    assert token.digest == digest(secret)
    stored = [str(getattr(token, f.attname)) for f in ApiToken._meta.concrete_fields]
    assert secret not in stored
    assert ApiToken.authenticate(secret) == owner


def test_the_tokens_page_lists_tokens_by_prefix(owner: User, owner_client: Client):
    token, secret = ApiToken.issue(owner, "ci runner")
    html = owner_client.get(reverse("tokens")).content.decode()
    assert "ci runner" in html
    assert f"<code>{token.prefix}…</code>" in html
    assert secret not in html
    assert reverse("revoke_token", args=[token.pk]) in html


def test_revoking_a_token_deletes_it(owner: User, owner_client: Client):
    token, secret = ApiToken.issue(owner, "old")
    response = owner_client.post(reverse("revoke_token", args=[token.pk]))
    assert response.status_code == 302
    assert response.url == reverse("tokens")
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    assert ApiToken.authenticate(secret) is None
    assert f"Token {token.prefix}… was revoked." in owner_client.get(response.url).content.decode()


def test_revoking_a_token_is_a_post(owner: User, owner_client: Client):
    token, _ = ApiToken.issue(owner, "keep")
    assert owner_client.get(reverse("revoke_token", args=[token.pk])).status_code == 405
    assert ApiToken.objects.filter(pk=token.pk).exists()


@pytest.mark.parametrize("persona", ["teammate", "outsider"])
def test_another_user_cannot_revoke_the_owners_token(owner: User, persona: str, request):
    token, _ = ApiToken.issue(owner, "owner's")
    client = Client()
    client.force_login(request.getfixturevalue(persona))
    assert client.post(reverse("revoke_token", args=[token.pk])).status_code == 404
    assert ApiToken.objects.filter(pk=token.pk).exists()


@pytest.mark.parametrize("persona", ["teammate", "outsider"])
def test_another_user_does_not_see_the_owners_tokens(owner: User, persona: str, request):
    token, _ = ApiToken.issue(owner, "owner secret thing")
    client = Client()
    client.force_login(request.getfixturevalue(persona))
    html = client.get(reverse("tokens")).content.decode()
    assert "owner secret thing" not in html
    assert token.prefix not in html
    assert "No tokens yet." in html


# CSRF on every account form


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "data"),
    [
        (reverse("signup"), {"email": "new@example.org", "password": PASSWORD}),
        (reverse("signin"), {"username": "owner@example.org", "password": PASSWORD}),
    ],
    ids=["signup", "signin"],
)
def test_the_sign_up_and_sign_in_forms_refuse_a_post_without_csrf_token(owner: User, url: str, data: dict):
    client = Client(enforce_csrf_checks=True)
    assert client.post(url, data).status_code == 403
    assert User.objects.count() == 1
    assert not signed_in(client)


def test_the_sign_up_and_sign_in_forms_carry_a_csrf_token(db):
    client = Client(enforce_csrf_checks=True)
    for name in ("signup", "signin"):
        assert 'name="csrfmiddlewaretoken"' in client.get(reverse(name)).content.decode()


def test_creating_a_token_refuses_a_post_without_csrf_token(owner: User):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert client.post(reverse("tokens"), {"name": "x"}).status_code == 403
    assert not ApiToken.objects.exists()


def test_revoking_a_token_refuses_a_post_without_csrf_token(owner: User):
    token, _ = ApiToken.issue(owner)
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert client.post(reverse("revoke_token", args=[token.pk])).status_code == 403
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_signing_out_refuses_a_post_without_csrf_token(owner: User):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert client.post(reverse("signout")).status_code == 403
    assert signed_in(client)


def test_changing_the_password_refuses_a_post_without_csrf_token(owner: User):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 403
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)


def test_a_post_with_the_csrf_token_from_the_page_is_accepted(owner: User):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    html = client.get(reverse("tokens")).content.decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    response = client.post(reverse("tokens"), {"name": "with token", "csrfmiddlewaretoken": csrf})
    assert response.status_code == 302
    assert ApiToken.objects.filter(user=owner, name="with token").exists()
