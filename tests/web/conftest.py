"""Web fixtures: throwaway media storage, and the personas every permission test uses.

`owner` holds the objects under test; `teammate` is another signed-in user
(once workspaces exist, a member of the owner's workspace); `outsider` has no
link to the owner at all.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import Client

from museion.accounts.models import ApiToken, User

PASSWORD = "a sturdy passphrase 42"


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> None:
    cache.clear()


def make_user(email: str) -> User:
    return User.objects.create_user(email=email, password=PASSWORD)


@pytest.fixture
def owner(db) -> User:
    return make_user("owner@example.org")


@pytest.fixture
def teammate(db) -> User:
    return make_user("teammate@example.org")


@pytest.fixture
def outsider(db) -> User:
    return make_user("outsider@example.org")


def bearer(user: User) -> dict[str, str]:
    """Headers for an API call as `user`, with a fresh token."""
    _, secret = ApiToken.issue(user, "test")
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def owner_client(owner: User) -> Client:
    client = Client()
    client.force_login(owner)
    return client
