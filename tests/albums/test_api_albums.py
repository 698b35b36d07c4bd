"""Albums and their classes: create, read, change, delete, and what is refused."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from museion.accounts.workspaces import personal_workspace
from museion.albums.models import Album, AlbumClass
from tests.albums.conftest import ApiCaller, jpeg


def test_creating_an_album_answers_201_with_its_id_and_slug(api: ApiCaller) -> None:
    body = {
        "name": " Birds of the Tropics ",
        "description": "Hall 3",
        "workspace": api.team.workspace.pk,
        "fps": 1,
    }
    response = api.as_("editor").post("/albums", body)
    assert response.status_code == 201
    album = response.json()
    assert (album["name"], album["fps"], album["classes"]) == ("Birds of the Tropics", 1.0, 0)
    assert re.fullmatch(r"birds-of-the-tropics-[a-z0-9]{8}", album["slug"])
    assert (album["published"], album["published_version"]) == (False, None)
    assert Album.objects.get(pk=album["id"]).workspace == api.team.workspace


def test_an_album_without_a_workspace_goes_to_the_callers_personal_one(api: ApiCaller) -> None:
    album = api.as_("viewer").post("/albums", {"name": "Mine"}).json()
    assert album["workspace"] == personal_workspace(api.team.viewer).pk


def test_two_albums_of_one_name_get_different_slugs(api: ApiCaller) -> None:
    slugs = {api.post("/albums", {"name": "Hall"}).json()["slug"] for _ in range(3)}
    assert len(slugs) == 3
    assert all(re.fullmatch(r"hall-[a-z0-9]{8}", slug) for slug in slugs)


def test_an_outsiders_slug_says_nothing_of_another_workspaces_unpublished_album(api: ApiCaller) -> None:
    hidden = api.post("/albums", {"name": "Hidden Album", "workspace": api.team.workspace.pk}).json()
    assert not hidden["published"]
    outsider = api.as_("outsider")
    taken = outsider.post("/albums", {"name": "Hidden Album"}).json()["slug"]
    free = outsider.post("/albums", {"name": "Never Used"}).json()["slug"]
    # The same shape whether the name is taken elsewhere or not: the suffix is random, never a count.
    assert re.fullmatch(r"hidden-album-[a-z0-9]{8}", taken)
    assert re.fullmatch(r"never-used-[a-z0-9]{8}", free)
    assert taken != hidden["slug"]
    assert api.client.get(f"/v/{hidden['slug']}/").status_code == 404  # unpublished: as if missing
    photo = {"image": SimpleUploadedFile("owl.jpg", jpeg())}
    assert api.client.post(f"/api/v1/v/{hidden['slug']}/predict", photo).status_code == 404


def test_a_renamed_album_keeps_its_slug_and_old_slugs_keep_working(api: ApiCaller, album: Album) -> None:
    Album.objects.filter(pk=album.pk).update(slug="birds-2", published=True)  # made by an older Museion
    assert api.patch(f"/albums/{album.pk}", {"name": "Seabirds"}).json()["slug"] == "birds-2"
    assert api.client.get("/v/birds-2/").status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 101},
        {"name": "Fast", "fps": 0},
        {"name": "Fast", "fps": 31},
    ],
    ids=["empty", "blank", "long", "fps 0", "fps 31"],
)
def test_an_invalid_album_is_refused_400(api: ApiCaller, body: dict) -> None:
    response = api.post("/albums", body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"
    assert not Album.objects.exists()


def test_changing_an_album_changes_only_the_fields_sent(api: ApiCaller, album: Album) -> None:
    response = api.patch(f"/albums/{album.pk}", {"description": "New words", "fps": 4})
    assert response.status_code == 200
    album.refresh_from_db()
    assert (album.name, album.description, album.fps) == ("Birds", "New words", 4.0)


def test_the_owner_deletes_an_album_with_its_classes(api: ApiCaller, album: Album) -> None:
    assert api.delete(f"/albums/{album.pk}").status_code == 204
    assert not Album.objects.exists()
    assert not AlbumClass.objects.exists()
    assert api.get(f"/albums/{album.pk}").status_code == 404


def test_creating_a_class_answers_201_with_its_card(api: ApiCaller, album: Album) -> None:
    body = {
        "name": " heron ",
        "title": "Grey Heron",
        "description": "Wades.",
        "url": "https://example.org/heron",
    }
    response = api.as_("editor").post(f"/albums/{album.pk}/classes", body)
    assert response.status_code == 201
    assert {k: v for k, v in response.json().items() if k != "id"} == {
        **body,
        "name": "heron",
        "translations": {},
        "media": 0,
    }


def test_a_duplicate_class_name_is_refused_409(api: ApiCaller, album: Album) -> None:
    response = api.post(f"/albums/{album.pk}/classes", {"name": "owl"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "name_taken"
    assert album.classes.count() == 2


def test_renaming_a_class_to_a_taken_name_is_refused_409(api: ApiCaller, album: Album) -> None:
    owl = album.classes.get(name="owl")
    response = api.patch(f"/albums/{album.pk}/classes/{owl.pk}", {"name": "parrot"})
    assert response.status_code == 409
    owl.refresh_from_db()
    assert owl.name == "owl"


def test_the_same_class_name_is_fine_in_another_album(api: ApiCaller, album: Album) -> None:
    other = api.post("/albums", {"name": "Other", "workspace": album.workspace_id}).json()["id"]
    assert api.post(f"/albums/{other}/classes", {"name": "owl"}).status_code == 201


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "not a url"]
)
def test_a_class_link_that_is_not_http_is_refused(api: ApiCaller, album: Album, url: str) -> None:
    owl = album.classes.get(name="owl")
    created = api.post(f"/albums/{album.pk}/classes", {"name": "heron", "url": url})
    changed = api.patch(f"/albums/{album.pk}/classes/{owl.pk}", {"url": url})
    assert (created.status_code, changed.status_code) == (400, 400)
    assert not AlbumClass.objects.filter(url=url).exists()


def test_a_blank_class_name_is_refused(api: ApiCaller, album: Album) -> None:
    assert api.post(f"/albums/{album.pk}/classes", {"name": "  "}).status_code == 400
    assert album.classes.count() == 2


def test_deleting_a_class_answers_204(api: ApiCaller, album: Album) -> None:
    owl = album.classes.get(name="owl")
    assert api.delete(f"/albums/{album.pk}/classes/{owl.pk}").status_code == 204
    assert list(album.classes.values_list("name", flat=True)) == ["parrot"]


def test_a_class_of_another_album_is_not_found_under_this_one(api: ApiCaller, album: Album) -> None:
    other = api.post("/albums", {"name": "Other", "workspace": album.workspace_id}).json()["id"]
    owl = album.classes.get(name="owl")
    assert api.patch(f"/albums/{other}/classes/{owl.pk}", {"title": "Moved"}).status_code == 404
    assert api.delete(f"/albums/{other}/classes/{owl.pk}").status_code == 404
    assert api.get(f"/albums/{other}/classes/{owl.pk}/media").status_code == 404
    assert AlbumClass.objects.get(pk=owl.pk).title == "Owl"
