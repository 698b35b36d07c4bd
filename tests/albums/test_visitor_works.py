"""The visitors' "choose it from the list": a published album's works and their pictures, for anyone.

Nothing of an album whose visitors' page is off is served, whoever asks; a work's
picture is its first photo, else its first frame, and nothing else of the album.
"""

from __future__ import annotations

import pytest

from museion.albums.models import Album, AlbumClass
from tests.albums.conftest import ROLES, ApiCaller, jpeg

EVERYONE = (*ROLES, "anonymous")


def add_photo(api: ApiCaller, album: Album, name: str, data: bytes) -> dict:
    found = album.classes.get(name=name)
    response = api.upload(f"/albums/{album.pk}/classes/{found.pk}/media", f"{name}.jpg", data)
    assert response.status_code == 202, response.content
    return response.json()["items"][0]


def publish(album: Album) -> None:
    Album.objects.filter(pk=album.pk).update(published=True)


@pytest.mark.parametrize("role", EVERYONE)
def test_anyone_gets_the_works_of_a_published_album_with_their_cards(
    api: ApiCaller, album: Album, role: str
) -> None:
    add_photo(api, album, "owl", jpeg("owl.jpg"))
    publish(album)
    response = api.as_(role).get(f"/v/{album.slug}/works")
    assert response.status_code == 200
    owl, parrot = response.json()
    assert (owl["name"], owl["title"], owl["description"], owl["url"]) == (
        "owl",
        "Owl",
        "A owl.",
        "https://museum.example.org/owl",
    )
    assert owl["picture_url"] == f"/api/v1/v/{album.slug}/works/{owl['id']}/picture"
    assert parrot["picture_url"] is None  # no pictures yet: nothing to show


@pytest.mark.parametrize("role", EVERYONE)
def test_a_works_picture_is_its_first_photo(api: ApiCaller, album: Album, role: str) -> None:
    first = jpeg("owl.jpg")
    add_photo(api, album, "owl", first)
    add_photo(api, album, "owl", jpeg("parrot.jpg"))
    publish(album)
    (owl, _) = api.get(f"/v/{album.slug}/works").json()
    served = api.as_(role).get(owl["picture_url"].removeprefix("/api/v1"))
    assert served.status_code == 200
    assert b"".join(served.streaming_content) == first


@pytest.mark.parametrize("role", EVERYONE)
def test_everyone_gets_404_for_the_works_of_an_album_whose_visitors_page_is_off(
    api: ApiCaller, album: Album, role: str
) -> None:
    add_photo(api, album, "owl", jpeg("owl.jpg"))
    owl = album.classes.get(name="owl")
    for path in (f"/v/{album.slug}/works", f"/v/{album.slug}/works/{owl.pk}/picture"):
        response = api.as_(role).get(path)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


def test_a_work_of_another_album_is_not_found_through_a_published_one(
    api: ApiCaller, album: Album, team
) -> None:
    private = Album.objects.create(workspace=team.workspace, name="Private")
    AlbumClass.objects.create(album=private, name="secret")
    add_photo(api, private, "secret", jpeg("owl.jpg"))
    publish(album)
    secret = private.classes.get(name="secret")
    response = api.as_("anonymous").get(f"/v/{album.slug}/works/{secret.pk}/picture")
    assert response.status_code == 404


def test_a_work_without_pictures_has_no_picture_to_serve(api: ApiCaller, album: Album) -> None:
    publish(album)
    parrot = album.classes.get(name="parrot")
    response = api.as_("anonymous").get(f"/v/{album.slug}/works/{parrot.pk}/picture")
    assert response.status_code == 404


def test_an_unknown_slug_answers_404(api: ApiCaller) -> None:
    assert api.as_("anonymous").get("/v/no-such-album-k3x9p2qa/works").status_code == 404
