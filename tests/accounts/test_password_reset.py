"""Forgotten password: a one-time link by email (Django's machinery), which sets the password as the
operator's reset does: every API token revoked, every other session ended."""

from __future__ import annotations

import re

from django.core import mail
from django.test import Client
from django.urls import reverse

from museion.accounts.models import ApiToken, User
from tests.web.conftest import PASSWORD

NEW = "another long passphrase 7"


def ask_for_link(client: Client, email: str):
    return client.post(reverse("password_reset"), {"email": email})


def mailed_link() -> str:
    assert len(mail.outbox) == 1
    found = re.search(r"https?://[^/\s]+(/account/password/reset/\S+/)", mail.outbox[0].body)
    assert found, mail.outbox[0].body
    return found.group(1)


def test_the_signin_page_links_to_the_password_reset(client: Client, db) -> None:
    assert (
        f'href="{reverse("password_reset")}">Forgot your password?'
        in client.get(reverse("signin")).content.decode()
    )


def test_a_reset_link_sets_a_new_password_and_revokes_the_tokens(client: Client, owner: User) -> None:
    ApiToken.issue(owner, "script")
    elsewhere = Client()
    elsewhere.force_login(owner)
    response = ask_for_link(client, "Owner@Example.org")
    assert response["Location"] == reverse("password_reset_done")
    assert mail.outbox[0].to == [owner.email]
    link = mailed_link()
    form = client.get(link, follow=True)  # Django moves the token out of the URL, into the session
    assert "Choose a new password" in form.content.decode()
    done = client.post(form.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW})
    assert done["Location"] == reverse("password_reset_complete")
    owner.refresh_from_db()
    assert owner.check_password(NEW)
    assert not ApiToken.objects.filter(user=owner).exists()
    assert elsewhere.get(reverse("tokens")).status_code == 302  # signed out there
    # The link works once.
    assert "This link is not valid" in Client().get(link, follow=True).content.decode()


def test_a_reset_link_refuses_a_weak_password(client: Client, owner: User) -> None:
    ask_for_link(client, owner.email)
    form = client.get(mailed_link(), follow=True)
    refused = client.post(
        form.redirect_chain[-1][0], {"new_password1": "12345678", "new_password2": "12345678"}
    )
    assert refused.status_code == 200
    assert "too common" in refused.content.decode()
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client: Client, db) -> None:
    response = ask_for_link(client, "nobody@example.org")
    assert response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []
    assert "If an account has this address" in client.get(response["Location"]).content.decode()


def test_a_deactivated_account_gets_no_reset_mail(client: Client, owner: User) -> None:
    owner.is_active = False
    owner.save()
    ask_for_link(client, owner.email)
    assert mail.outbox == []


def test_reset_requests_are_rate_limited(client: Client, settings, owner: User) -> None:
    settings.RATE_LIMIT_SIGNIN = (2, 60)
    for _ in range(2):
        assert ask_for_link(client, owner.email).status_code == 302
    refused = ask_for_link(client, owner.email)
    assert refused.status_code == 429
    assert "Too many reset requests" in refused.content.decode()
    assert len(mail.outbox) == 2
