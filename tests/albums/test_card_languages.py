"""A class's card in several languages: the tags, the class API's `translations`, the album's
default language, and the migration that brought them (no training here; test_visitor_languages.py
has the visitors' answers)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from museion.albums import languages
from museion.albums.models import DESCRIPTION_MAX, TITLE_MAX, Album, AlbumClass
from tests.albums.conftest import ApiCaller

ARABIC = {"title": "البومة", "description": "بومة سمراء."}
CHINESE = {"title": "猫头鹰", "description": "一只灰林鸮。"}


# ---- tags and choosing ------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "normal"),
    [
        ("zh-Hans", "zh-hans"),
        ("zh_Hans_CN", "zh-hans-cn"),
        (" AR ", "ar"),
        ("pt-BR", "pt-br"),
        ("ckb", "ckb"),
    ],
)
def test_a_tag_is_kept_in_lower_case_with_hyphens(tag: str, normal: str) -> None:
    assert languages.normalise(tag) == normal


@pytest.mark.parametrize(
    "tag", ["", "e", "english!", "a" * 36, "zh--hans", "-fr", "fr-", "1a", "fr\x00", "fr-abcdefghi"]
)
def test_what_is_no_language_tag_is_refused(tag: str) -> None:
    with pytest.raises(languages.BadTag):
        languages.normalise(tag)


def test_accept_language_is_ranked_by_quality_and_skips_what_it_cannot_read() -> None:
    header = "fr;q=0.5, zh-Hans, !!, de;q=0, *;q=0.1, ar;q=0.8"
    assert languages.accepted(header) == ["zh-hans", "ar", "fr"]


@pytest.mark.parametrize(
    ("asked", "available", "chosen"),
    [
        (["zh-hans"], {"zh-hans", "ar"}, "zh-hans"),
        (["zh-cn"], {"zh-hans", "zh-hant"}, "zh-hans"),  # a region reads its script
        (["zh-tw"], {"zh-hans", "zh-hant"}, "zh-hant"),
        (["zh-hans-cn"], {"zh-hans"}, "zh-hans"),
        (["fr-ca"], {"fr"}, "fr"),
        (["fr"], {"fr-fr"}, "fr-fr"),
        (["en-us"], {"ar"}, "en"),  # the default language is one of them
        (["sw", "ar"], {"ar"}, "ar"),  # the first the album has, in the visitor's order
        (["sw"], {"ar"}, "en"),
        ([], {"ar"}, "en"),
    ],
)
def test_the_visitors_best_language_the_album_has_is_chosen(asked, available, chosen) -> None:
    assert languages.choose(asked, available, "en") == chosen


def test_each_field_falls_back_to_the_default_language_by_itself() -> None:
    text = languages.card_text(
        "Owl", "A tawny owl.", {"ar": {"title": "البومة", "description": ""}}, "en", ["ar"]
    )
    assert text == {"title": "البومة", "description": "A tawny owl.", "lang": "ar"}


RTL = [("ar", True), ("he", True), ("fa-ir", True), ("ur", True), ("az-arab", True), ("en", False),
       ("zh-hans", False), ("ku-latn", False)]  # fmt: skip


@pytest.mark.parametrize(("tag", "rtl"), RTL)
def test_the_languages_written_right_to_left_are_known(tag: str, rtl: bool) -> None:
    assert languages.is_rtl(tag) is rtl


# ---- the class API ----------------------------------------------------------------


def owl(album: Album) -> AlbumClass:
    return album.classes.get(name="owl")


def test_a_new_class_has_no_translations_and_the_album_writes_english(api: ApiCaller, album: Album) -> None:
    assert api.get(f"/albums/{album.pk}").json()["default_language"] == "en"
    found = api.get(f"/albums/{album.pk}/classes").json()[0]
    assert found["translations"] == {}


def test_a_class_is_created_with_its_translations_under_normalised_tags(api: ApiCaller, album: Album) -> None:
    body = {"name": "heron", "title": "Heron", "translations": {"zh-Hans": {"title": "苍鹭"}, "ar": ARABIC}}
    response = api.as_("editor").post(f"/albums/{album.pk}/classes", body)
    assert response.status_code == 201
    assert response.json()["translations"] == {"ar": ARABIC, "zh-hans": {"title": "苍鹭", "description": ""}}


@pytest.mark.parametrize(
    ("role", "status"), [("owner", 200), ("editor", 200), ("viewer", 403), ("outsider", 404)]
)
def test_only_editors_change_a_classs_translations(
    api: ApiCaller, album: Album, role: str, status: int
) -> None:
    path = f"/albums/{album.pk}/classes/{owl(album).pk}"
    response = api.as_(role).patch(path, {"translations": {"ar": ARABIC}})
    assert response.status_code == status
    assert owl(album).translations == ({"ar": ARABIC} if status == 200 else {})
    if status != 200:
        assert set(response.json()["error"]) == {"code", "message"}


@pytest.mark.parametrize(
    ("role", "status"), [("owner", 200), ("editor", 200), ("viewer", 200), ("outsider", 404)]
)
def test_members_read_every_language_of_a_class(api: ApiCaller, album: Album, role: str, status: int) -> None:
    AlbumClass.objects.filter(pk=owl(album).pk).update(translations={"zh-hans": CHINESE})
    response = api.as_(role).get(f"/albums/{album.pk}/classes")
    assert response.status_code == status
    if status == 200:
        assert {c["name"]: c["translations"] for c in response.json()}["owl"] == {"zh-hans": CHINESE}


def test_patch_replaces_one_language_and_leaves_the_others(api: ApiCaller, album: Album) -> None:
    path = f"/albums/{album.pk}/classes/{owl(album).pk}"
    api.patch(path, {"translations": {"ar": ARABIC, "zh-hans": CHINESE}})
    response = api.patch(path, {"translations": {"zh-Hans": {"title": "鸮"}}})
    assert response.status_code == 200
    assert response.json()["translations"] == {"ar": ARABIC, "zh-hans": {"title": "鸮", "description": ""}}


def test_patch_with_null_removes_one_language(api: ApiCaller, album: Album) -> None:
    path = f"/albums/{album.pk}/classes/{owl(album).pk}"
    api.patch(path, {"translations": {"ar": ARABIC, "zh-hans": CHINESE}})
    assert api.patch(path, {"translations": {"ar": None}}).json()["translations"] == {"zh-hans": CHINESE}
    assert (
        api.patch(path, {"translations": {"zh-hans": {"title": "", "description": ""}}}).json()[
            "translations"
        ]
        == {}
    )


def test_a_patch_without_translations_keeps_them(api: ApiCaller, album: Album) -> None:
    path = f"/albums/{album.pk}/classes/{owl(album).pk}"
    api.patch(path, {"translations": {"ar": ARABIC}})
    assert api.patch(path, {"title": "The Owl"}).json()["translations"] == {"ar": ARABIC}


@pytest.mark.parametrize(
    "translations",
    [
        {"english!": {"title": "x"}},
        {"a" * 40: {"title": "x"}},
        {"fr\x00": {"title": "x"}},
        {"fr": {"title": "x" * (TITLE_MAX + 1)}},
        {"fr": {"description": "x" * (DESCRIPTION_MAX + 1)}},
        {"fr": {"title": 3}},
        {"fr": "Hibou"},
        {"en": {"title": "Owl"}},  # the default language is the class's own title
        {f"x{i:02d}": {"title": "t"} for i in range(languages.LANGUAGES_MAX + 1)},
        [{"fr": {"title": "x"}}],
    ],
)
def test_bad_translations_are_refused_400_and_change_nothing(
    api: ApiCaller, album: Album, translations
) -> None:
    path = f"/albums/{album.pk}/classes/{owl(album).pk}"
    response = api.patch(path, {"translations": translations})
    assert response.status_code == 400, response.content
    assert set(response.json()["error"]) == {"code", "message"}
    assert owl(album).translations == {}
    created = api.post(f"/albums/{album.pk}/classes", {"name": "heron", "translations": translations})
    assert created.status_code == 400
    assert not album.classes.filter(name="heron").exists()


def test_the_album_api_sets_the_default_language_normalised(api: ApiCaller, album: Album) -> None:
    response = api.as_("editor").patch(f"/albums/{album.pk}", {"default_language": "fr-FR"})
    assert response.status_code == 200
    assert response.json()["default_language"] == "fr-fr"
    assert api.as_("viewer").patch(f"/albums/{album.pk}", {"default_language": "de"}).status_code == 403
    assert api.as_("outsider").patch(f"/albums/{album.pk}", {"default_language": "de"}).status_code == 404


@pytest.mark.parametrize("tag", ["", "français", "x" * 36, "e n"])
def test_a_default_language_that_is_no_tag_is_refused_400(api: ApiCaller, album: Album, tag: str) -> None:
    response = api.patch(f"/albums/{album.pk}", {"default_language": tag})
    assert response.status_code == 400
    assert Album.objects.get(pk=album.pk).default_language == "en"


def test_a_new_default_language_with_a_translation_swaps_it_with_the_classs_own_texts(
    api: ApiCaller, album: Album
) -> None:
    heron = {
        "name": "heron",
        "title": "Heron",
        "description": "A grey heron.",
        "translations": {"zh-Hans": CHINESE},
    }
    assert api.post(f"/albums/{album.pk}/classes", heron).status_code == 201
    stork = {"name": "stork", "title": "Stork", "description": "A white stork."}
    assert api.post(f"/albums/{album.pk}/classes", stork).status_code == 201
    assert api.as_("editor").patch(f"/albums/{album.pk}", {"default_language": "zh-Hans"}).status_code == 200
    classes = {c["name"]: c for c in api.get(f"/albums/{album.pk}/classes").json()}
    # Nothing is lost: the English card becomes the English translation, the Chinese one its own.
    assert (classes["heron"]["title"], classes["heron"]["description"]) == (
        CHINESE["title"],
        CHINESE["description"],
    )
    assert classes["heron"]["translations"] == {"en": {"title": "Heron", "description": "A grey heron."}}
    # Without a Chinese text, a class's texts are now said to be in the new language, as written.
    assert (classes["stork"]["title"], classes["stork"]["translations"]) == ("Stork", {})


# ---- the migration ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_existing_classes_titles_and_writes_them_in_english() -> None:
    executor = MigrationExecutor(connection)
    before, after = [("albums", "0007_review_queue_and_visitor_stats")], [("albums", "0008_languages")]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    owner = old.get_model("accounts", "User").objects.create(email="m@example.org")
    space = old.get_model("accounts", "Workspace").objects.create(name="Old museum")
    del owner
    album = old.get_model("albums", "Album").objects.create(workspace=space, name="Old", slug="old-12345678")
    old.get_model("albums", "AlbumClass").objects.create(
        album=album, name="owl", title="Owl", description="Hoots."
    )
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    new = executor.loader.project_state(after).apps
    moved = new.get_model("albums", "AlbumClass").objects.get(name="owl")
    assert (moved.title, moved.description, moved.translations) == ("Owl", "Hoots.", {})
    assert new.get_model("albums", "Album").objects.get(pk=album.pk).default_language == "en"
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
