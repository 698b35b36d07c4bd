"""A password change signs out the other sessions and, unless told not to, revokes the API tokens.

Museion sends no password reset mail; the operator's reset (`museion users reset-password`,
tests/cli/test_users.py) always revokes them.
"""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse

from museion.accounts.models import ApiToken, User
from tests.web import conftest as web
from tests.web.conftest import PASSWORD

fresh_rate_limits = web.fresh_rate_limits
media = web.media
outsider = web.outsider
owner = web.owner
owner_client = web.owner_client

NEW_PASSWORD = "another long passphrase 7"


def token(user: User, name: str = "script") -> dict[str, str]:
    _, secret = ApiToken.issue(user, name)
    return {"Authorization": f"Bearer {secret}"}


def works(client: Client, headers: dict[str, str]) -> bool:
    status = client.get("/api/v1/predictions", headers=headers).status_code
    assert status in (200, 401)
    return status == 200


def change_on_page(client: Client, **extra: str):
    data = {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD, **extra}
    return client.post(reverse("password_change"), data, follow=True)


def change_by_api(client: Client, headers: dict[str, str], **body: object):
    body = {"old_password": PASSWORD, "new_password": NEW_PASSWORD, **body}
    return client.post("/api/v1/auth/password", body, content_type="application/json", headers=headers)


def test_the_password_page_offers_to_revoke_the_tokens_ticked_by_default(owner_client: Client) -> None:
    page = owner_client.get(reverse("password_change")).content.decode()
    assert re.search(r'<input type="checkbox" name="revoke_tokens"[^>]*checked', page)
    assert "Also revoke my API tokens" in page


def test_changing_the_password_on_the_page_revokes_the_tokens_when_ticked(
    owner: User, owner_client: Client, outsider: User
) -> None:
    laptop, phone, theirs = token(owner), token(owner), token(outsider)
    response = change_on_page(owner_client, revoke_tokens="on")
    assert "Your password was changed. 2 API tokens were revoked." in response.content.decode()
    assert not works(Client(), laptop)
    assert not works(Client(), phone)
    assert works(Client(), theirs)  # someone else's tokens are theirs
    assert "_auth_user_id" in owner_client.session  # this browser stays signed in


def test_changing_the_password_on_the_page_keeps_the_tokens_when_unticked(
    owner: User, owner_client: Client
) -> None:
    laptop = token(owner)
    response = change_on_page(owner_client)  # an unticked box is not sent
    assert "Your password was changed." in response.content.decode()
    assert "revoked" not in response.content.decode()
    assert works(Client(), laptop)
    owner.refresh_from_db()
    assert owner.check_password(NEW_PASSWORD)


def test_the_other_sessions_are_signed_out_by_a_change(owner: User, owner_client: Client) -> None:
    elsewhere = Client()
    elsewhere.force_login(owner)
    change_on_page(owner_client, revoke_tokens="on")
    assert elsewhere.get(reverse("tokens")).status_code == 302  # back to the sign-in page


def test_changing_the_password_by_api_revokes_the_other_tokens_by_default(
    client: Client, owner: User, outsider: User
) -> None:
    calling, other, theirs = token(owner), token(owner), token(outsider)
    response = change_by_api(client, calling)
    assert response.status_code == 200
    assert response.json() == {"revoked_tokens": 1}
    assert works(Client(), calling)  # the script that changed it goes on
    assert not works(Client(), other)
    assert works(Client(), theirs)
    owner.refresh_from_db()
    assert owner.check_password(NEW_PASSWORD)


def test_changing_the_password_by_api_can_keep_the_tokens(client: Client, owner: User) -> None:
    calling, other = token(owner), token(owner)
    response = change_by_api(client, calling, revoke_tokens=False)
    assert response.json() == {"revoked_tokens": 0}
    assert works(Client(), other)


def test_a_browser_session_changing_it_by_api_revokes_every_token_and_stays_signed_in(
    owner: User, owner_client: Client
) -> None:
    laptop = token(owner)
    response = change_by_api(owner_client, {})
    assert response.json() == {"revoked_tokens": 1}
    assert not works(Client(), laptop)
    assert owner_client.get(reverse("tokens")).status_code == 200


def test_the_api_refuses_a_wrong_old_password_or_a_weak_new_one(client: Client, owner: User) -> None:
    calling, other = token(owner), token(owner)
    wrong = change_by_api(client, calling, old_password="not it at all")
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (400, "invalid_old_password")
    weak = change_by_api(client, calling, new_password="12345678")
    assert (weak.status_code, weak.json()["error"]["code"]) == (400, "invalid_new_password")
    assert "too common" in weak.json()["error"]["message"]
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)
    assert works(Client(), other)  # nothing revoked by a refused change


def test_the_api_password_change_needs_a_caller(client: Client, owner: User) -> None:
    response = change_by_api(client, {})
    assert response.status_code == 401
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)


def test_guessing_the_old_password_by_api_is_throttled(client: Client, owner: User, settings) -> None:
    settings.RATE_LIMIT_SIGNIN = (2, 3600)
    calling = token(owner)
    statuses = [change_by_api(client, calling, old_password=f"guess {i}").status_code for i in range(3)]
    assert statuses == [400, 400, 429]
