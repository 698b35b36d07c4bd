"""Each album action has one home (`museion.albums.services`); its front doors must agree.

Every action is done once through its page form and once through its API
endpoint, on the same starting album, and the rows and the files in storage
must end up the same. Bounds (fps) are refused alike by the form and the API.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse

from museion.albums.media import save_picture
from museion.albums.models import Album, AlbumClass, MediaItem, ModelVersion, SourceVideo
from museion.vision.video import FPS_MAX, FPS_MIN
from tests.albums.conftest import ApiCaller, Team, jpeg, make_album, stored_files


@dataclass
class World:
    team: Team
    album: Album
    owl: AlbumClass
    parrot: AlbumClass
    photo: MediaItem
    version: ModelVersion
    media: Path
    files: dict[str, str]  # stored file -> what it is, so that two worlds compare


def make_world(team: Team, media: Path) -> World:
    """An album whose owl has a photo, a video with a frame, and a cover; the parrot a photo; one version."""
    album = make_album(team)
    owl, parrot = album.classes.order_by("name")
    photo = save_picture(owl, "owl.jpg", jpeg("owl.jpg", (64, 48)), 64, 48)
    clip = default_storage.save(f"albums/{album.pk}/videos/clip", ContentFile(b"\x00\x00\x00\x18ftypmp42"))
    video = SourceVideo.objects.create(album_class=owl, file=clip, size=12, name="clip.mp4", duration=1.0)
    frame = save_picture(owl, "clip.mp4 @ 0.0 s", jpeg("owl.jpg", (32, 24)), 32, 24, source=video)
    owl.cover = default_storage.save(f"albums/{album.pk}/cover.jpg", ContentFile(jpeg("owl.jpg", (16, 12))))
    owl.save()
    other = save_picture(parrot, "parrot.jpg", jpeg("parrot.jpg", (64, 48)), 64, 48)
    bundle = default_storage.save(
        f"albums/{album.pk}/models/1.zip", ContentFile(b"PK\x05\x06" + b"\x00" * 18)
    )
    version = ModelVersion.objects.create(
        album=album, number=1, backbone="test", classes=[{"name": "owl"}, {"name": "parrot"}],
        head=b"", bundle=bundle, size=22,
    )  # fmt: skip
    files = {
        photo.file.name: "owl photo", clip: "video", frame.file.name: "frame", owl.cover.name: "cover",
        other.file.name: "parrot photo", bundle: "bundle",
    }  # fmt: skip
    return World(team, album, owl, parrot, photo, version, media, files)


@pytest.fixture
def world(team: Team, media: Path) -> World:
    return make_world(team, media)


def browser(team: Team, role: str) -> Client:
    client = Client()
    client.force_login(getattr(team, role))
    return client


def state(world: World) -> tuple:
    """What an action leaves behind: the rows of the album and the files in storage."""
    rows = (
        list(Album.objects.filter(pk=world.album.pk).values_list("name", "description", "fps", "published")),
        list(Album.objects.filter(pk=world.album.pk).values_list("published_version__number", flat=True)),
        list(
            AlbumClass.objects.filter(album=world.album.pk).values_list("name", "title", "description", "url")
        ),
        sorted(
            MediaItem.objects.filter(album_class__album=world.album.pk).values_list(
                "name", "album_class__name"
            )
        ),
        list(SourceVideo.objects.filter(album_class__album=world.album.pk).values_list("name", flat=True)),
        list(ModelVersion.objects.filter(album=world.album.pk).values_list("number", flat=True)),
    )
    stored = [p.relative_to(world.media).as_posix() for p in stored_files(world.media)]
    return rows, sorted(world.files.get(name, name) for name in stored)


@dataclass
class Doors:
    role: str
    page: Callable[[World], tuple[str, dict]]  # a form's URL and fields
    api: Callable[[ApiCaller, World], object]  # the endpoint's call


DOORS = {
    "delete album": Doors(
        "owner",
        lambda w: (reverse("album_delete", args=[w.album.pk]), {}),
        lambda api, w: api.delete(f"/albums/{w.album.pk}"),
    ),
    "delete class": Doors(
        "editor",
        lambda w: (reverse("class_delete", args=[w.album.pk, w.owl.pk]), {}),
        lambda api, w: api.delete(f"/albums/{w.album.pk}/classes/{w.owl.pk}"),
    ),
    "delete picture": Doors(
        "editor",
        lambda w: (reverse("media_delete", args=[w.album.pk, w.photo.pk]), {}),
        lambda api, w: api.delete(f"/albums/{w.album.pk}/media/{w.photo.pk}"),
    ),
    "move picture": Doors(
        "editor",
        lambda w: (reverse("media_move", args=[w.album.pk, w.photo.pk]), {"to_class": w.parrot.pk}),
        lambda api, w: api.post(f"/albums/{w.album.pk}/media/{w.photo.pk}/move", {"to_class": w.parrot.pk}),
    ),
    "publish version": Doors(
        "editor",
        lambda w: (reverse("version_publish", args=[w.album.pk, 1]), {}),
        lambda api, w: api.post(f"/albums/{w.album.pk}/models/1/publish"),
    ),
    "album settings": Doors(
        "editor",
        lambda w: (
            reverse("album_settings", args=[w.album.pk]),
            {"name": "  Renamed ", "description": "New words", "fps": "3", "published": "on"},
        ),
        lambda api, w: api.patch(
            f"/albums/{w.album.pk}",
            {"name": "  Renamed ", "description": "New words", "fps": 3, "published": True},
        ),
    ),
    "create class": Doors(
        "editor",
        lambda w: (reverse("class_create", args=[w.album.pk]), {"name": " heron ", "title": "The Heron"}),
        lambda api, w: api.post(f"/albums/{w.album.pk}/classes", {"name": " heron ", "title": "The Heron"}),
    ),
    "edit class": Doors(
        "editor",
        lambda w: (
            reverse("album_class", args=[w.album.pk, w.owl.pk]),
            {"name": "barn owl ", "title": "Barn owl", "description": "Oil.", "url": "https://example.org/o"},
        ),
        lambda api, w: api.patch(
            f"/albums/{w.album.pk}/classes/{w.owl.pk}",
            {"name": "barn owl ", "title": "Barn owl", "description": "Oil.", "url": "https://example.org/o"},
        ),
    ),
}


def through_page(world: World, name: str) -> tuple:
    doors = DOORS[name]
    url, data = doors.page(world)
    response = browser(world.team, doors.role).post(url, data)
    assert response.status_code == 302, response.content.decode()[:500]
    return state(world)


def through_api(client: Client, world: World, name: str) -> tuple:
    doors = DOORS[name]
    response = doors.api(ApiCaller(client, world.team, doors.role), world)
    assert response.status_code in (200, 201, 204), response.content
    return state(world)


@pytest.mark.parametrize("name", DOORS)
def test_the_page_and_the_api_leave_the_same_rows_and_files(
    name: str, world: World, client: Client, commit
) -> None:
    before = state(world)
    with commit():
        by_page = through_page(world, name)
    assert by_page != before  # the action did something
    # Back to the same start, then the same action through the API.
    Album.objects.filter(pk=world.album.pk).delete()
    for path in stored_files(world.media):
        path.unlink()
    again = make_world(world.team, world.media)
    assert state(again) == before
    with commit():
        by_api = through_api(client, again, name)
    assert by_api == by_page


def test_a_page_delete_of_an_album_leaves_no_file_of_it_in_storage(world: World, commit) -> None:
    assert len(stored_files(world.media)) == 6  # 3 pictures, a video, a cover and a bundle
    with commit():
        through_page(world, "delete album")
    assert stored_files(world.media) == []
    assert not MediaItem.objects.filter(album_class__album=world.album.pk).exists()


def test_a_page_delete_of_a_class_takes_its_videos_and_cover(world: World, commit) -> None:
    with commit():
        through_page(world, "delete class")
    assert state(world)[1] == ["bundle", "parrot photo"]
    assert not SourceVideo.objects.filter(album_class=world.owl.pk).exists()
    assert MediaItem.objects.filter(album_class=world.parrot).count() == 1  # the other class stays


OUT_OF_BOUNDS = [FPS_MIN / 2, 0, -1, FPS_MAX + 0.5]
IN_BOUNDS = [FPS_MIN, FPS_MAX]


@pytest.mark.parametrize("fps", OUT_OF_BOUNDS)
def test_the_same_fps_is_refused_by_the_form_and_the_api(world: World, client: Client, fps: float) -> None:
    editor, api = browser(world.team, "editor"), ApiCaller(client, world.team, "editor")
    before = state(world)
    fields = {"name": "Birds", "description": "", "fps": str(fps)}
    page = editor.post(reverse("album_settings", args=[world.album.pk]), fields, follow=True)
    assert "Frames per second" in page.content.decode()  # the form says which field is wrong
    assert api.patch(f"/albums/{world.album.pk}", {"fps": fps}).status_code == 400
    assert state(world) == before
    workspace = world.team.workspace.pk
    assert editor.post("/albums/", {**fields, "name": "New", "workspace": workspace}).status_code == 200
    assert api.post("/albums", {"name": "New", "workspace": workspace, "fps": fps}).status_code == 400
    assert not Album.objects.filter(name="New").exists()


@pytest.mark.parametrize("fps", IN_BOUNDS)
def test_the_bounds_themselves_are_taken_by_the_form_and_the_api(
    world: World, client: Client, fps: float
) -> None:
    editor, api = browser(world.team, "editor"), ApiCaller(client, world.team, "editor")
    workspace = world.team.workspace.pk
    assert (
        editor.post("/albums/", {"name": "By page", "workspace": workspace, "fps": str(fps)}).status_code
        == 302
    )
    assert api.post("/albums", {"name": "By API", "workspace": workspace, "fps": fps}).status_code == 201
    assert set(Album.objects.filter(name__startswith="By ").values_list("fps", flat=True)) == {fps}


def test_a_duplicate_class_name_is_refused_by_both_and_added_by_neither(world: World, client: Client) -> None:
    editor, api = browser(world.team, "editor"), ApiCaller(client, world.team, "editor")
    page = editor.post(reverse("class_create", args=[world.album.pk]), {"name": "owl "}, follow=True)
    assert "already has a class named" in page.content.decode()
    response = api.post(f"/albums/{world.album.pk}/classes", {"name": "owl "})
    assert (response.status_code, response.json()["error"]["code"]) == (409, "name_taken")
    assert AlbumClass.objects.filter(album=world.album, name="owl").count() == 1


def test_a_viewer_creating_an_album_is_refused_by_both(world: World, client: Client) -> None:
    fields = {"name": "Sneaky", "workspace": world.team.workspace.pk, "fps": 2}
    assert browser(world.team, "viewer").post("/albums/", fields).status_code == 403
    response = ApiCaller(client, world.team, "viewer").post("/albums", fields)
    assert (response.status_code, response.json()["error"]["code"]) == (403, "forbidden")
    assert not Album.objects.filter(name="Sneaky").exists()
