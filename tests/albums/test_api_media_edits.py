"""Turning pictures and a clip's frames, and moving or deleting several pictures at once, through the
API as owner, editor, viewer and outsider."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from museion.albums.media import save_picture
from museion.albums.models import Album, Embedding, MediaItem, SourceVideo
from tests.albums.conftest import ApiCaller, jpeg

CHANGERS = ("owner", "editor")


def photo(album: Album, name: str = "owl", size: tuple[int, int] = (320, 200), **extra) -> MediaItem:
    found = album.classes.get(name=name)
    return save_picture(found, f"{name}.jpg", jpeg("owl.jpg", size), *size, **extra)


def with_embedding(item: MediaItem) -> MediaItem:
    Embedding.objects.create(media=item, backbone="b", vectors=b"\0" * 8, dim=2)
    return item


@pytest.mark.parametrize("role", CHANGERS)
def test_an_editor_turns_a_picture_and_its_embedding_is_dropped(
    api: ApiCaller, album: Album, role: str, commit
) -> None:
    item = with_embedding(photo(album))
    former = item.file.name
    with commit():
        response = api.as_(role).post(f"/albums/{album.pk}/media/{item.pk}/rotate", {"degrees": 90})
    assert response.status_code == 200, response.content
    assert (response.json()["width"], response.json()["height"]) == (200, 320)
    item.refresh_from_db()
    assert item.file.name != former
    assert not default_storage.exists(former)
    with item.file.open("rb") as stored:
        assert Image.open(io.BytesIO(stored.read())).size == (200, 320)
    assert item.size == item.file.size
    assert not item.embeddings.exists()  # the next training computes it from the turned picture


def test_turning_clockwise_puts_the_top_on_the_right(api: ApiCaller, album: Album) -> None:
    image = Image.new("RGB", (40, 20), "white")
    image.paste((255, 0, 0), (0, 0, 40, 5))  # a red band along the top
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    item = save_picture(album.classes.get(name="owl"), "band.png", buffer.getvalue(), 40, 20, ext="png")
    api.as_("editor").post(f"/albums/{album.pk}/media/{item.pk}/rotate", {"degrees": 90})
    item.refresh_from_db()
    with item.file.open("rb") as stored:
        turned = Image.open(io.BytesIO(stored.read())).convert("RGB")
    assert turned.size == (20, 40)
    red, green, _ = turned.getpixel((18, 20))
    assert red > 200
    assert green < 60


@pytest.mark.parametrize("degrees", [0, 45, 360, -90])
def test_it_refuses_a_turn_that_is_not_a_quarter(api: ApiCaller, album: Album, degrees: int) -> None:
    item = photo(album)
    response = api.post(f"/albums/{album.pk}/media/{item.pk}/rotate", {"degrees": degrees})
    assert response.status_code == 400


def test_a_viewer_gets_403_and_an_outsider_404_for_turning(api: ApiCaller, album: Album) -> None:
    item = photo(album)
    path = f"/albums/{album.pk}/media/{item.pk}/rotate"
    assert api.as_("viewer").post(path, {"degrees": 90}).status_code == 403
    assert api.as_("outsider").post(path, {"degrees": 90}).status_code == 404
    item.refresh_from_db()
    assert (item.width, item.height) == (320, 200)


@pytest.mark.parametrize("role", CHANGERS)
def test_an_editor_turns_every_frame_of_a_clip(api: ApiCaller, album: Album, role: str) -> None:
    owl = album.classes.get(name="owl")
    clip = SourceVideo.objects.create(album_class=owl, file="albums/x/videos/clip", name="clip.mp4")
    frames = [with_embedding(photo(album, source=clip, time=t)) for t in (0.0, 0.5)]
    alone = photo(album)
    response = api.as_(role).post(f"/albums/{album.pk}/videos/{clip.pk}/rotate", {"degrees": 270})
    assert response.json() == {"count": 2}
    for frame in frames:
        frame.refresh_from_db()
        assert (frame.width, frame.height) == (200, 320)
        assert not frame.embeddings.exists()
    alone.refresh_from_db()
    assert (alone.width, alone.height) == (320, 200)


def test_a_viewer_gets_403_and_an_outsider_404_for_turning_a_clip(api: ApiCaller, album: Album) -> None:
    clip = SourceVideo.objects.create(album_class=album.classes.first(), file="f", name="clip.mp4")
    path = f"/albums/{album.pk}/videos/{clip.pk}/rotate"
    assert api.as_("viewer").post(path, {"degrees": 90}).status_code == 403
    assert api.as_("outsider").post(path, {"degrees": 90}).status_code == 404


@pytest.mark.parametrize("role", CHANGERS)
def test_an_editor_moves_several_pictures_at_once(api: ApiCaller, album: Album, role: str) -> None:
    items = [photo(album), photo(album)]
    parrot = album.classes.get(name="parrot")
    body = {"items": [i.pk for i in items], "to_class": parrot.pk}
    assert api.as_(role).post(f"/albums/{album.pk}/media/move", body).json() == {"count": 2}
    assert set(parrot.media.values_list("pk", flat=True)) == {i.pk for i in items}


@pytest.mark.parametrize("role", CHANGERS)
def test_an_editor_deletes_several_pictures_at_once(api: ApiCaller, album: Album, role: str, commit) -> None:
    items = [photo(album), photo(album)]
    kept = photo(album)
    with commit():
        response = api.as_(role).post(f"/albums/{album.pk}/media/delete", {"items": [i.pk for i in items]})
    assert response.json() == {"count": 2}
    assert list(MediaItem.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not any(default_storage.exists(i.file.name) for i in items)


def test_a_picture_of_another_album_makes_the_whole_batch_404(api: ApiCaller, album: Album, team) -> None:
    other = Album.objects.create(workspace=team.workspace, name="Other")
    other.classes.create(name="owl")
    items = [photo(album).pk, photo(other).pk]
    response = api.post(f"/albums/{album.pk}/media/delete", {"items": items})
    assert response.status_code == 404
    assert MediaItem.objects.count() == 2


def test_a_viewer_gets_403_and_an_outsider_404_for_batches(api: ApiCaller, album: Album) -> None:
    items = [photo(album).pk]
    parrot = album.classes.get(name="parrot").pk
    for role, status in (("viewer", 403), ("outsider", 404)):
        caller = api.as_(role)
        assert caller.post(f"/albums/{album.pk}/media/delete", {"items": items}).status_code == status
        body = {"items": items, "to_class": parrot}
        assert caller.post(f"/albums/{album.pk}/media/move", body).status_code == status
    assert MediaItem.objects.get().album_class.name == "owl"
