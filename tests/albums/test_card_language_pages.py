"""The class page's tab per language of the card, and the album settings' default language."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from museion.accounts.models import User
from museion.albums.models import Album, AlbumClass
from tests.albums.conftest import Team

ARABIC = {"title": "البومة", "description": "بومة سمراء."}


def as_(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def owl(album: Album) -> AlbumClass:
    return album.classes.get(name="owl")


def class_url(album: Album, query: str = "") -> str:
    return reverse("album_class", args=[album.pk, owl(album).pk]) + query


def translate(user: User, album: Album, data: dict, follow: bool = False):
    url = reverse("class_translation", args=[album.pk, owl(album).pk])
    return as_(user).post(url, data, follow=follow)


def test_the_class_page_has_a_tab_per_language_and_one_to_add_a_language(team: Team, album: Album) -> None:
    AlbumClass.objects.filter(pk=owl(album).pk).update(
        translations={"ar": ARABIC, "zh-hans": {"title": "猫头鹰"}}
    )
    page = as_(team.editor).get(class_url(album)).content.decode()
    assert page.index('data-lang="en"') < page.index('data-lang="ar"') < page.index('data-lang="zh-hans"')
    assert 'id="add-language"' in page
    assert 'id="class-info-form"' in page  # the default language's tab: the class's own texts


def test_a_languages_tab_edits_that_languages_title_and_description(team: Team, album: Album) -> None:
    AlbumClass.objects.filter(pk=owl(album).pk).update(translations={"ar": ARABIC})
    page = as_(team.editor).get(class_url(album, "?lang=ar")).content.decode()
    assert 'id="translation-form"' in page
    assert ARABIC["title"] in page
    assert 'name="remove"' in page
    assert 'id="class-info-form"' not in page


def test_an_editor_adds_a_language_and_lands_on_its_tab(team: Team, album: Album) -> None:
    response = translate(team.editor, album, {"lang": "zh-Hans", "title": "猫头鹰", "description": ""})
    assert response.status_code == 302
    assert response["Location"].endswith("?lang=zh-hans")
    assert owl(album).translations == {"zh-hans": {"title": "猫头鹰", "description": ""}}


def test_an_editor_removes_a_language(team: Team, album: Album) -> None:
    AlbumClass.objects.filter(pk=owl(album).pk).update(translations={"ar": ARABIC})
    response = translate(team.editor, album, {"lang": "ar", "remove": "1"})
    assert response.status_code == 302
    assert owl(album).translations == {}


@pytest.mark.parametrize(
    ("data", "said"),
    [
        ({"lang": "english!", "title": "x"}, "is not a language tag"),
        ({"lang": "en", "title": "Owl"}, "default language"),
        ({"lang": "fr", "title": "x" * 201}, "at most 200"),
    ],
)
def test_a_bad_language_is_told_on_the_page_and_changes_nothing(team: Team, album: Album, data, said) -> None:
    response = translate(team.editor, album, data, follow=True)
    assert response.status_code == 200
    assert said in response.content.decode()
    assert owl(album).translations == {}


def test_a_viewer_reads_each_language_right_to_left_where_it_is_written_so(team: Team, album: Album) -> None:
    AlbumClass.objects.filter(pk=owl(album).pk).update(translations={"ar": ARABIC})
    page = as_(team.viewer).get(class_url(album, "?lang=ar")).content.decode()
    assert 'lang="ar" dir="rtl"' in page
    assert ARABIC["description"] in page
    assert 'id="translation-form"' not in page
    assert 'id="add-language"' not in page


def test_an_unknown_tab_shows_the_default_language(team: Team, album: Album) -> None:
    page = as_(team.viewer).get(class_url(album, "?lang=<script>")).content.decode()
    assert 'class="lang-tab current" aria-current="page" data-lang="en"' in page
    tabs = page.split('id="card-languages"')[1].split("</nav>")[0]
    assert "<script>" not in tabs


SETTINGS = {"name": "Birds", "description": "", "fps": "2", "visitor_photo_days": "30"}


def test_album_settings_set_the_default_language(team: Team, album: Album) -> None:
    url = reverse("album_settings", args=[album.pk])
    assert as_(team.editor).post(url, {**SETTINGS, "default_language": "fr-FR"}).status_code == 302
    assert Album.objects.get(pk=album.pk).default_language == "fr-fr"
    page = as_(team.editor).get(reverse("album", args=[album.pk])).content.decode()
    assert 'value="fr-fr"' in page


def test_album_settings_without_a_language_keep_the_albums(team: Team, album: Album) -> None:
    Album.objects.filter(pk=album.pk).update(default_language="de")
    assert as_(team.editor).post(reverse("album_settings", args=[album.pk]), SETTINGS).status_code == 302
    assert Album.objects.get(pk=album.pk).default_language == "de"


def test_album_settings_refuse_a_language_that_is_no_tag(team: Team, album: Album) -> None:
    url = reverse("album_settings", args=[album.pk])
    response = as_(team.editor).post(url, {**SETTINGS, "default_language": "Deutsch!"}, follow=True)
    assert "is not a language tag" in response.content.decode()
    assert Album.objects.get(pk=album.pk).default_language == "en"
