"""Album fixtures: a workspace with its four personas, an album with classes, Celery run inline.

Personas: `owner` and `editor` and `viewer` are members of `workspace` with those
roles; `outsider` is signed in but no member. For slow set-ups (a trained album)
built once per module, use `make_team`/`make_album` inside `module_data` and
`cleanup` afterwards, as test_api_training.py does.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client, override_settings
from PIL import Image

from museion.accounts.models import ApiToken, Membership, Role, User, Workspace
from museion.accounts.workspaces import create_workspace
from museion.albums.models import Album, AlbumClass
from museion.albums.recognize import _head
from museion.web.celery import app as celery_app
from tests.conftest import IMAGES
from tests.web.conftest import fresh_rate_limits, media

__all__ = ["fresh_rate_limits", "media"]

ROLES = ("owner", "editor", "viewer", "outsider")


@contextmanager
def celery_eager() -> Iterator[None]:
    """Celery tasks run inline, in the caller's thread, when they are sent."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = before


@pytest.fixture(autouse=True)
def fresh_heads() -> None:
    """Forget loaded heads: a rolled-back test's version id can come back for another version."""
    _head.cache_clear()


@pytest.fixture
def eager() -> Iterator[None]:
    with celery_eager():
        yield


@dataclass
class Team:
    workspace: Workspace
    users: dict[str, User]
    headers: dict[str, dict[str, str]] = field(default_factory=dict)

    def __getattr__(self, role: str) -> User:
        try:
            return self.__dict__["users"][role]
        except KeyError:
            raise AttributeError(role) from None


def make_team(tag: str = "") -> Team:
    """A workspace with its owner, an editor and a viewer (as if they had accepted invitations), and an
    outsider who is no member."""
    users = {role: User.objects.create_user(f"{role}{tag}@example.org") for role in ROLES}
    workspace = create_workspace(users["owner"], f"Museum {tag}".strip())
    Membership.objects.create(workspace=workspace, user=users["editor"], role=Role.EDITOR)
    Membership.objects.create(workspace=workspace, user=users["viewer"], role=Role.VIEWER)
    headers = {role: bearer(user) for role, user in users.items()}
    return Team(workspace, users, {**headers, "anonymous": {}})


def bearer(user: User) -> dict[str, str]:
    _, secret = ApiToken.issue(user, "test")
    return {"Authorization": f"Bearer {secret}"}


def make_album(team: Team, name: str = "Birds", classes: tuple[str, ...] = ("owl", "parrot")) -> Album:
    album = Album.objects.create(workspace=team.workspace, name=name)
    for class_name in classes:
        AlbumClass.objects.create(
            album=album,
            name=class_name,
            title=class_name.title(),
            description=f"A {class_name}.",
            url=f"https://museum.example.org/{class_name}",
        )
    return album


@pytest.fixture
def team(db) -> Team:
    return make_team()


@pytest.fixture
def workspace(team: Team) -> Workspace:
    return team.workspace


@pytest.fixture
def owner(team: Team) -> User:
    return team.owner


@pytest.fixture
def editor(team: Team) -> User:
    return team.editor


@pytest.fixture
def viewer(team: Team) -> User:
    return team.viewer


@pytest.fixture
def outsider(team: Team) -> User:
    return team.outsider


@pytest.fixture
def owner_client(owner: User) -> Client:
    """A browser signed in as the workspace's owner."""
    client = Client()
    client.force_login(owner)
    return client


@pytest.fixture
def album(team: Team) -> Album:
    """An album of the team's workspace with two classes, `owl` and `parrot`, and no pictures yet."""
    return make_album(team)


@pytest.fixture
def api(client: Client, team: Team) -> ApiCaller:
    return ApiCaller(client, team)


class ApiCaller:
    """JSON calls to /api/v1 as one of the team's personas, or "anonymous" (`as_` names the role)."""

    def __init__(self, client: Client, team: Team, role: str = "owner") -> None:
        self.client, self.team, self.role = client, team, role

    def as_(self, role: str) -> ApiCaller:
        return ApiCaller(self.client, self.team, role)

    def call(self, method: str, path: str, body: dict | None = None, files: dict | None = None):
        headers = self.team.headers[self.role]
        url = f"/api/v1{path}"
        if files is not None:
            return self.client.post(url, files, headers=headers)
        if body is None:
            return getattr(self.client, method.lower())(url, headers=headers)
        return getattr(self.client, method.lower())(
            url, body, content_type="application/json", headers=headers
        )

    def get(self, path: str):
        return self.call("GET", path)

    def post(self, path: str, body: dict | None = None):
        return self.call("POST", path, body if body is not None else {})

    def patch(self, path: str, body: dict):
        return self.call("PATCH", path, body)

    def delete(self, path: str):
        return self.call("DELETE", path)

    def upload(self, path: str, name: str, data: bytes, field_name: str = "file"):
        return self.call("POST", path, files={field_name: SimpleUploadedFile(name, data)})


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run the on-commit callbacks (task sends, file deletions) of whatever the block does."""

    @contextmanager
    def run() -> Iterator[None]:
        with django_capture_on_commit_callbacks(execute=True):
            yield

    return run


@contextmanager
def module_data(django_db_blocker, media_root: Path) -> Iterator[None]:
    """DB writes committed for a whole module (tests roll back only their own), files under one folder."""
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media_root), celery_eager():
        yield


def cleanup(team: Team) -> None:
    with transaction.atomic():
        Album.objects.filter(workspace=team.workspace).delete()
        team.workspace.delete()
        User.objects.filter(pk__in=[u.pk for u in team.users.values()]).delete()


@dataclass
class World:
    """A team's album, trained once for a whole module, its files under `root`."""

    team: Team
    album: Album
    root: Path


@contextmanager
def trained_world(
    django_db_blocker, root: Path, tag: str, sizes: tuple[tuple[int, int], ...]
) -> Iterator[World]:
    """Owl and parrot with one photo of each size, trained once (v1, live by itself); removed after."""
    with module_data(django_db_blocker, root):
        team = make_team(tag)
        album = make_album(team)
        api = ApiCaller(Client(), team)
        for found in album.classes.all():
            for size in sizes:
                path = f"/albums/{album.pk}/classes/{found.pk}/media"
                assert api.upload(path, "a.jpg", jpeg(f"{found.name}.jpg", size)).status_code == 202
        assert api.post(f"/albums/{album.pk}/train").status_code == 202
        assert Album.objects.get(pk=album.pk).published_version is not None
    yield World(team, album, root)
    with module_data(django_db_blocker, root):
        cleanup(team)


def jpeg(name: str = "owl.jpg", size: tuple[int, int] | None = None) -> bytes:
    image = Image.open(IMAGES / name).convert("RGB")
    if size:
        image = image.resize(size)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def saves_meet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two uploads racing: each, once its file is written, waits until the other's is too, so both
    are past the first check before either is counted."""
    both_stored = threading.Barrier(2, timeout=20)
    save = default_storage.save

    def save_then_wait(name, content, **options):
        path = save(name, content, **options)
        both_stored.wait()
        return path

    monkeypatch.setattr(default_storage, "save", save_then_wait)


def twice_at_once(attempt: Callable[[], str]) -> list[str]:
    """Run `attempt` in two threads at once (each with its own database connection); their outcomes."""
    outcomes: list[str] = []

    def run() -> None:
        try:
            outcomes.append(attempt())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcomes
