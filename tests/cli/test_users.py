"""`museion users`: the operator creates, lists, deactivates accounts and sets passwords (a reset
signs the account out and revokes its tokens)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from django.test import Client

from museion.accounts.models import ApiToken, User, Workspace
from museion.cli import cli

OLD, NEW = "a sturdy passphrase 42", "another long passphrase 7"


@pytest.fixture
def curator(db) -> User:
    return User.objects.create_user(email="curator@example.org", password=OLD)


def reset(email: str, password: str):
    return CliRunner().invoke(cli, ["users", "reset-password", email], input=f"{password}\n{password}\n")


def test_it_resets_the_password_and_revokes_every_token(curator: User) -> None:
    other = User.objects.create_user(email="other@example.org", password=OLD)
    for user in (curator, curator, other):
        ApiToken.issue(user, "script")
    result = reset("Curator@Example.org", NEW)
    assert result.exit_code == 0, result.output
    assert "2 API token(s) revoked" in result.output
    curator.refresh_from_db()
    assert curator.check_password(NEW)
    assert not ApiToken.objects.filter(user=curator).exists()
    assert ApiToken.objects.filter(user=other).count() == 1


def test_it_refuses_a_weak_password_and_changes_nothing(curator: User) -> None:
    ApiToken.issue(curator, "script")
    result = reset(curator.email, "12345678")
    assert result.exit_code == 1
    assert "too common" in result.output
    curator.refresh_from_db()
    assert curator.check_password(OLD)
    assert ApiToken.objects.filter(user=curator).exists()


def test_it_says_when_no_account_has_the_email(db) -> None:
    result = reset("nobody@example.org", NEW)
    assert result.exit_code == 1
    assert "no account has the email" in result.output


def users_cli(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, ["users", *args], input=input)


def test_set_password_is_the_name_of_the_reset_and_revokes_tokens(curator: User) -> None:
    ApiToken.issue(curator, "script")
    result = users_cli("set-password", curator.email, "--password", NEW)
    assert result.exit_code == 0, result.output
    assert "1 API token(s) revoked" in result.output
    curator.refresh_from_db()
    assert curator.check_password(NEW)


def test_create_makes_an_account_with_its_workspace_even_when_signup_is_closed(db, settings) -> None:
    settings.SIGNUP = "closed"
    result = users_cli("create", "New@Example.org", input=f"{NEW}\n{NEW}\n")
    assert result.exit_code == 0, result.output
    user = User.objects.get(email="new@example.org")
    assert user.check_password(NEW)
    assert not user.is_staff
    assert Workspace.objects.filter(personal=True, memberships__user=user).exists()


def test_create_refuses_a_taken_email_or_a_weak_password(curator: User) -> None:
    taken = users_cli("create", curator.email, "--password", NEW)
    assert taken.exit_code == 1
    assert "the email is refused: an account with this email already exists" in taken.output
    weak = users_cli("create", "weak@example.org", "--password", "12345678")
    assert weak.exit_code == 1
    assert "too common" in weak.output
    assert not User.objects.filter(email="weak@example.org").exists()


def test_create_with_staff_marks_an_operator(db) -> None:
    assert users_cli("create", "op@example.org", "--password", NEW, "--staff").exit_code == 0
    assert User.objects.get(email="op@example.org").is_staff


def test_list_shows_every_account_and_whether_it_is_active(curator: User) -> None:
    User.objects.create_user(email="gone@example.org", password=OLD, is_active=False)
    result = users_cli("list", "--json")
    assert result.exit_code == 0, result.output
    rows = {r["email"]: r for r in json.loads(result.output)}
    assert rows["curator@example.org"]["active"] is True
    assert rows["curator@example.org"]["last_login"] is None
    assert rows["gone@example.org"]["active"] is False
    text = users_cli("list").output
    assert "curator@example.org" in text
    assert "deactivated" in text


def test_deactivate_stops_sign_in_sessions_and_tokens_and_activate_undoes_it(curator: User) -> None:
    _, secret = ApiToken.issue(curator, "script")
    browser = Client()
    browser.force_login(curator)
    result = users_cli("deactivate", "CURATOR@example.org")
    assert result.exit_code == 0, result.output
    assert "1 API token(s) revoked" in result.output
    assert browser.get("/account/tokens/").status_code == 302  # the session no longer signs in
    api = Client().get("/api/v1/predictions", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 401
    assert not Client().login(email=curator.email, password=OLD)
    assert users_cli("activate", curator.email).exit_code == 0
    assert Client().login(email=curator.email, password=OLD)


def test_deactivate_says_when_no_account_has_the_email(db) -> None:
    result = users_cli("deactivate", "nobody@example.org")
    assert result.exit_code == 1
    assert "no account has the email" in result.output
