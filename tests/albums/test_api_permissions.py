"""Who may call what: every album and job endpoint, as owner, editor, viewer and outsider.

An outsider gets exactly the 404 of a missing id; a viewer who tries to change
something gets 403; and a refused call leaves the database and the files as they were.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from museion.albums.models import Album, AlbumClass, Embedding, Job, MediaItem, ModelVersion, SourceVideo
from tests.albums.conftest import (
    ApiCaller,
    World,
    jpeg,
    stored_files,
    trained_world,
)

READ = {"owner": 200, "editor": 200, "viewer": 200, "outsider": 404}
MISSING = 999_999


def change(status: int) -> dict[str, int]:
    return {"owner": status, "editor": status, "viewer": 403, "outsider": 404}


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str  # formatted with the ids of `Ids`
    expected: dict[str, int]
    body: dict | None = None
    upload: str | None = None  # the multipart field of a photo upload
    read_only: bool = False  # a POST that changes nothing (predict)
    prepare: Callable[[Ids], None] | None = field(default=None, compare=False)

    def call(self, api: ApiCaller, ids: Ids):
        path = self.path.format(**ids.__dict__)
        if self.upload:
            return api.call("POST", path, files={self.upload: SimpleUploadedFile("owl.jpg", jpeg())})
        body = {k: self._value(v, ids) for k, v in (self.body or {}).items()}
        if self.method == "POST":
            return api.post(path, body)
        return api.call(self.method, path, body if self.body is not None else None)

    @staticmethod
    def _value(value: object, ids: Ids) -> object:
        """`"{album}"` and the like stand for that id."""
        return getattr(ids, value[1:-1]) if isinstance(value, str) and value.startswith("{") else value


@dataclass
class Ids:
    workspace: int
    album: int
    cls: int
    other: int
    media: int
    job: int
    version: int = 1


def unpublish(ids: Ids) -> None:
    Album.objects.filter(pk=ids.album).update(published_version=None)


ENDPOINTS = [
    Endpoint("create album", "POST", "/albums", change(201), {"name": "New", "workspace": "{workspace}"}),
    Endpoint("read album", "GET", "/albums/{album}", READ),
    Endpoint("update album", "PATCH", "/albums/{album}", change(200), {"name": "Renamed", "published": True}),
    Endpoint("delete album", "DELETE", "/albums/{album}", {**change(204), "editor": 403}),
    Endpoint("create class", "POST", "/albums/{album}/classes", change(201), {"name": "heron"}),
    Endpoint("list classes", "GET", "/albums/{album}/classes", READ),
    Endpoint("update class", "PATCH", "/albums/{album}/classes/{cls}", change(200), {"title": "Renamed"}),
    Endpoint("delete class", "DELETE", "/albums/{album}/classes/{cls}", change(204)),
    Endpoint("upload media", "POST", "/albums/{album}/classes/{cls}/media", change(202), upload="file"),
    Endpoint("list media", "GET", "/albums/{album}/classes/{cls}/media", READ),
    Endpoint("read media file", "GET", "/albums/{album}/media/{media}/file", READ),
    Endpoint("delete media", "DELETE", "/albums/{album}/media/{media}", change(204)),
    Endpoint(
        "move media", "POST", "/albums/{album}/media/{media}/move", change(200), {"to_class": "{other}"}
    ),
    Endpoint("train", "POST", "/albums/{album}/train", change(202)),
    Endpoint("read job", "GET", "/jobs/{job}", READ),
    Endpoint("list jobs", "GET", "/albums/{album}/jobs", READ),
    Endpoint("cancel job", "POST", "/jobs/{job}/cancel", change(200)),
    Endpoint("list versions", "GET", "/albums/{album}/models", READ),
    Endpoint(
        "publish version", "POST", "/albums/{album}/models/{version}/publish", change(200), prepare=unpublish
    ),
    Endpoint("read version", "GET", "/albums/{album}/models/{version}", READ),
    Endpoint("set threshold", "PATCH", "/albums/{album}/models/{version}", change(200), {"threshold": 0.5}),
    Endpoint("download bundle", "GET", "/albums/{album}/models/{version}/bundle", READ),
    Endpoint("predict", "POST", "/albums/{album}/predict", READ, upload="image", read_only=True),
]
ROLES = ("owner", "editor", "viewer", "outsider")


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[World]:
    """An album with two classes of two photos each, trained and published once for the module."""
    root = tmp_path_factory.mktemp("permissions-media")
    with trained_world(django_db_blocker, root, "-permissions", ((320, 240), (240, 320))) as world:
        yield world


@pytest.fixture(autouse=True)
def media(world: World, settings) -> Path:
    settings.MEDIA_ROOT = world.root
    return world.root


@pytest.fixture
def ids(world: World, db) -> Ids:
    """The album's ids, with a queued job to read or cancel."""
    album = world.album
    owl, parrot = album.classes.get(name="owl"), album.classes.get(name="parrot")
    job = Job.objects.create(album=album, kind=Job.Kind.VIDEO, stage="queued")  # does not block training
    return Ids(world.team.workspace.pk, album.pk, owl.pk, parrot.pk, owl.media.first().pk, job.pk)


def snapshot(root: Path) -> tuple:
    """Everything an album endpoint may change: rows and stored files."""
    return (
        list(Album.objects.order_by("pk").values()),
        list(AlbumClass.objects.order_by("pk").values()),
        list(MediaItem.objects.order_by("pk").values()),
        list(SourceVideo.objects.order_by("pk").values()),
        list(Job.objects.order_by("pk").values()),
        list(ModelVersion.objects.order_by("pk").values("pk", "number", "album_id", "threshold")),
        list(Embedding.objects.order_by("pk").values_list("pk", flat=True)),
        stored_files(root),
    )


def finished(response) -> int:
    if getattr(response, "streaming", False):
        # Consuming the content closes the response, as a WSGI server would. Closing it again
        # would close the database connection, and with it the test's transaction.
        b"".join(response.streaming_content)
    return response.status_code


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_each_role_gets_its_status_and_a_refused_change_changes_nothing(
    client: Client, world: World, ids: Ids, endpoint: Endpoint, role: str
) -> None:
    if endpoint.prepare:
        endpoint.prepare(ids)
    before = snapshot(world.root)
    response = endpoint.call(ApiCaller(client, world.team, role), ids)
    expected = endpoint.expected[role]
    assert finished(response) == expected, response.content
    if expected in (403, 404):
        assert set(response.json()) == {"error"}
        assert set(response.json()["error"]) == {"code", "message"}
    changed = snapshot(world.root) != before
    assert changed is (endpoint.method != "GET" and not endpoint.read_only and expected < 400)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_an_outsider_gets_exactly_the_answer_for_a_missing_id(
    client: Client, world: World, ids: Ids, endpoint: Endpoint
) -> None:
    outsider = endpoint.call(ApiCaller(client, world.team, "outsider"), ids)
    missing = endpoint.call(ApiCaller(client, world.team, "owner"), Ids(*[MISSING] * 6, version=MISSING))
    assert (outsider.status_code, outsider.json()) == (missing.status_code, missing.json())
    assert outsider.status_code == 404


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_an_anonymous_caller_is_refused_401(
    client: Client, world: World, ids: Ids, endpoint: Endpoint
) -> None:
    response = endpoint.call(ApiCaller(client, world.team, "anonymous"), ids)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("role", ROLES)
def test_the_album_list_shows_the_album_to_members_only(client: Client, world: World, db, role: str) -> None:
    response = ApiCaller(client, world.team, role).get("/albums")
    assert response.status_code == 200
    listed = [a["id"] for a in response.json()]
    assert (world.album.pk in listed) is (role != "outsider")


@pytest.mark.parametrize("role", ROLES)
def test_an_unpublished_album_is_hidden_from_visitors_whoever_asks(
    client: Client, world: World, db, role: str
) -> None:
    photo = SimpleUploadedFile("owl.jpg", jpeg())
    response = client.post(
        f"/api/v1/v/{world.album.slug}/predict", {"image": photo}, headers=world.team.headers[role]
    )
    assert response.status_code == 404


def test_ids_of_this_album_are_not_found_through_another_album(
    client: Client, world: World, ids: Ids
) -> None:
    stranger = ApiCaller(client, world.team, "outsider")
    theirs = stranger.post("/albums", {"name": "Theirs"}).json()["id"]
    their_class = stranger.post(f"/albums/{theirs}/classes", {"name": "mine"}).json()["id"]
    before = snapshot(world.root)
    calls = [
        stranger.get(f"/albums/{theirs}/media/{ids.media}/file"),
        stranger.delete(f"/albums/{theirs}/media/{ids.media}"),
        stranger.post(f"/albums/{theirs}/media/{ids.media}/move", {"to_class": their_class}),
        stranger.upload(f"/albums/{theirs}/classes/{ids.cls}/media", "owl.jpg", jpeg()),
        stranger.get(f"/albums/{theirs}/models/{ids.version}/bundle"),
        ApiCaller(client, world.team, "editor").post(
            f"/albums/{ids.album}/media/{ids.media}/move", {"to_class": their_class}
        ),
    ]
    assert [c.status_code for c in calls] == [404] * len(calls)
    assert snapshot(world.root)[2:] == before[2:]  # their new album and class aside
