"""`museion users reset-password`: the operator's reset signs the account out and revokes its tokens."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from museion.accounts.models import ApiToken, User
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
