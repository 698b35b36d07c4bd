"""Visitors read a work's card in their language: `POST /v/{slug}/predict` picks it from `?lang=`,
then Accept-Language, falling back field by field to the album's default language; the phone's
recognizer, the works list and the bundle's labels.json carry every language for offline cards."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from museion.albums.models import Album, AlbumClass
from tests.albums.conftest import ApiCaller, World, jpeg, trained_world

OWL_ZH = {"title": "猫头鹰", "description": "一只灰林鸮。"}
OWL_AR = {"title": "البومة", "description": "بومة سمراء."}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[World]:
    """Owl and parrot trained once; the owl has zh-Hans and Arabic cards, the parrot none."""
    root = tmp_path_factory.mktemp("languages-media")
    with trained_world(django_db_blocker, root, "-languages", ((320, 240), (240, 320))) as world:
        yield world


@pytest.fixture(autouse=True)
def published(world: World, db, settings) -> Album:
    settings.MEDIA_ROOT = world.root
    Album.objects.filter(pk=world.album.pk).update(published=True)
    AlbumClass.objects.filter(album=world.album, name="owl").update(
        translations={"zh-hans": OWL_ZH, "ar": OWL_AR}
    )
    return Album.objects.get(pk=world.album.pk)


def ask(album: Album, photo: str, query: str = "", **headers: str):
    image = SimpleUploadedFile("photo.jpg", jpeg(photo))
    return Client().post(f"/api/v1/v/{album.slug}/predict{query}", {"image": image}, headers=headers)


def best(response) -> dict:
    assert response.status_code == 200, response.content
    answer = response.json()
    assert not answer["unknown"]
    return {**answer["predictions"][0], "answer_lang": answer["lang"]}


def test_accept_language_zh_hans_gives_the_chinese_card_of_a_work_that_has_one(published: Album) -> None:
    card = best(ask(published, "owl.jpg", **{"Accept-Language": "zh-Hans"}))
    assert (card["label"], card["title"], card["description"]) == (
        "owl",
        OWL_ZH["title"],
        OWL_ZH["description"],
    )
    assert card["lang"] == card["answer_lang"] == "zh-hans"


def test_accept_language_zh_hans_gives_the_default_card_of_a_work_that_has_none(published: Album) -> None:
    card = best(ask(published, "parrot.jpg", **{"Accept-Language": "zh-Hans"}))
    assert (card["label"], card["title"], card["description"]) == ("parrot", "Parrot", "A parrot.")
    assert card["lang"] == card["answer_lang"] == "en"


def test_lang_in_the_query_wins_over_the_header(published: Album) -> None:
    card = best(ask(published, "owl.jpg", "?lang=ar", **{"Accept-Language": "zh-Hans, en;q=0.5"}))
    assert (card["title"], card["lang"]) == (OWL_AR["title"], "ar")


def test_a_language_the_album_does_not_write_falls_back_to_its_default(published: Album) -> None:
    card = best(ask(published, "owl.jpg", "?lang=sw", **{"Accept-Language": "ja"}))
    assert (card["title"], card["description"], card["lang"]) == ("Owl", "A owl.", "en")


def test_the_next_language_of_the_header_is_tried_before_the_default(published: Album) -> None:
    card = best(ask(published, "owl.jpg", **{"Accept-Language": "ja, zh-CN;q=0.8, en;q=0.5"}))
    assert card["lang"] == "zh-hans"


def test_a_translation_without_description_shows_the_default_description(published: Album) -> None:
    AlbumClass.objects.filter(album=published, name="owl").update(translations={"ar": {"title": "البومة"}})
    card = best(ask(published, "owl.jpg", "?lang=ar"))
    assert (card["title"], card["description"], card["lang"]) == ("البومة", "A owl.", "ar")


def test_the_albums_default_language_is_what_a_visitor_without_a_match_reads(published: Album) -> None:
    Album.objects.filter(pk=published.pk).update(default_language="fr")
    card = best(ask(published, "owl.jpg", **{"Accept-Language": "de"}))
    assert (card["title"], card["lang"]) == ("Owl", "fr")


@pytest.mark.parametrize("lang", ["english!", "x" * 36, "fr\x00"])
def test_a_lang_that_is_no_language_tag_is_refused_400(published: Album, lang: str) -> None:
    response = ask(published, "owl.jpg", f"?lang={lang}")
    assert response.status_code == 400
    assert set(response.json()["error"]) == {"code", "message"}


def test_a_header_that_cannot_be_read_is_no_refusal(published: Album) -> None:
    card = best(ask(published, "owl.jpg", **{"Accept-Language": ";;;q=x,,, 🦉, *"}))
    assert card["lang"] == "en"


def test_the_phones_recognizer_carries_every_language_of_each_work(published: Album) -> None:
    description = Client().get(f"/api/v1/v/{published.slug}/recognizer").json()
    labels = {label["name"]: label for label in description["labels"]}
    assert description["default_language"] == "en"
    assert labels["owl"]["translations"] == {"ar": OWL_AR, "zh-hans": OWL_ZH}
    assert (labels["owl"]["title"], labels["owl"]["work"]) == ("Owl", AlbumClass.objects.get(name="owl").pk)
    assert labels["parrot"]["translations"] == {}


def test_a_new_translation_changes_the_recognizers_etag(published: Album) -> None:
    before = Client().get(f"/api/v1/v/{published.slug}/recognizer")["ETag"]
    AlbumClass.objects.filter(album=published, name="parrot").update(translations={"ar": {"title": "ببغاء"}})
    assert Client().get(f"/api/v1/v/{published.slug}/recognizer")["ETag"] != before


def test_the_works_list_carries_every_language(published: Album) -> None:
    works = {w["name"]: w for w in Client().get(f"/api/v1/v/{published.slug}/works").json()}
    assert (works["owl"]["lang"], works["owl"]["title"]) == ("en", "Owl")
    assert works["owl"]["translations"] == {"ar": OWL_AR, "zh-hans": OWL_ZH}


def test_the_bundles_labels_json_carries_translations_beside_the_existing_keys(
    world: World, published: Album
) -> None:
    api = ApiCaller(Client(), world.team)
    response = api.get(f"/albums/{published.pk}/models/1/bundle")
    labels = json.loads(zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).read("labels.json"))
    owl = next(label for label in labels if label["name"] == "owl")
    assert {"id", "name", "title", "description", "url", "snapshot_taken"} <= set(owl)
    assert owl["translations"] == {"ar": OWL_AR, "zh-hans": OWL_ZH}
    assert (owl["title"], owl["lang"]) == ("Owl", "en")


def test_members_try_it_answers_in_their_language_too(world: World, published: Album) -> None:
    api = ApiCaller(Client(), world.team, "viewer")
    path = f"/albums/{published.pk}/predict?lang=zh-hans"
    response = api.call("POST", path, files={"image": SimpleUploadedFile("owl.jpg", jpeg("owl.jpg"))})
    assert best(response)["title"] == OWL_ZH["title"]
