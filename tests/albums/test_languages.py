"""The interface's language: the browser's Accept-Language by default, the footer's switch (a POST
with CSRF that keeps the page) over it, English with neither; `<html lang>` says which. Every page
rendered in zh-hans shows no English word of the catalogs' msgids outside the album's own data.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from museion.accounts.models import User
from museion.albums.media import save_picture
from museion.albums.models import Album, ModelVersion
from tests.albums.conftest import Team, jpeg
from tests.web.test_translations import LOCALE, entries

LANG = re.compile(r'<html lang="([^"]+)"')
SIGN_IN = {"en": "Sign in", "zh-hans": "登录", "fr": "Se connecter", "de": "Anmelden"}
METRICS = {
    "accuracy": 0.875, "validated": 8, "classes": ["owl", "parrot"], "known_refused": 0.125,
    "unknown_refused": 0.5, "answered_right": 0.75,
    "per_class": {"owl": {"precision": 0.8, "recall": 1.0, "support": 4},
                  "parrot": {"precision": 1.0, "recall": 0.75, "support": 4}},
    "confusion": [[4, 0], [1, 3]], "misclassified": [],
}  # fmt: skip
# Words of the catalogs that are also names or codes a page shows in every language.
SHARED_WORDS = {"Museion", "API", "CSV", "Top", "ImageNet", "COCO", "JavaScript", "HTTPS", "UTC"}


def html_lang(response) -> str:
    return LANG.search(response.content.decode())[1]


def test_with_no_accept_language_a_page_is_english(client: Client, db) -> None:
    page = client.get(reverse("signin"))
    assert html_lang(page) == "en"
    assert "Sign in" in page.content.decode()


@pytest.mark.parametrize("language", [code for code, _ in settings.LANGUAGES])
def test_accept_language_picks_the_language_and_html_lang_says_it(client: Client, db, language: str) -> None:
    header = {"zh-hans": "zh-CN,zh;q=0.9,en;q=0.5", "fr": "fr-CA,fr;q=0.9", "de": "de-AT", "en": "en-GB"}
    page = client.get(reverse("signin"), HTTP_ACCEPT_LANGUAGE=header[language])
    assert html_lang(page) == language
    assert SIGN_IN[language] in page.content.decode()


def test_the_switch_sets_the_language_over_accept_language_and_keeps_the_page(client: Client, db) -> None:
    switched = client.post(reverse("set_language"), {"language": "de", "next": "/predict/"})
    assert (switched.status_code, switched["Location"]) == (302, "/predict/")
    page = client.get("/predict/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert html_lang(page) == "de"
    assert "Was ist auf diesem Foto?" in page.content.decode()


def test_the_switch_needs_the_csrf_token(db) -> None:
    client = Client(enforce_csrf_checks=True)
    assert client.post(reverse("set_language"), {"language": "de", "next": "/"}).status_code == 403


def test_the_footer_offers_every_shipped_language_and_posts_with_csrf(client: Client, db) -> None:
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    switch = page.split('id="language-switch"')[1].split("</form>")[0]
    assert "csrfmiddlewaretoken" in switch
    assert re.findall(r'<option value="([^"]+)"', switch) == [code for code, _ in settings.LANGUAGES]
    assert 'value="fr" lang="fr" selected' in switch


def test_the_visitors_page_and_the_wall_card_say_their_language(client: Client, album: Album) -> None:
    Album.objects.filter(pk=album.pk).update(published=True)
    viewer = client.get(reverse("viewer", args=[album.slug]), HTTP_ACCEPT_LANGUAGE="zh-Hans")
    assert html_lang(viewer) == "zh-hans"
    assert "不是本馆藏的作品" in viewer.content.decode()  # "Not one of this collection's works"
    assert reverse("javascript_catalog") in viewer.content.decode()


def test_the_javascript_catalog_is_the_requests_language(client: Client, db) -> None:
    catalog = client.get(reverse("javascript_catalog"), HTTP_ACCEPT_LANGUAGE="zh-Hans").content.decode()
    assert "\\u5df2\\u590d\\u5236" in catalog or "已复制" in catalog  # "Copied."


# ---- every page in Chinese --------------------------------------------------------------------


def english_vocabulary() -> set[str]:
    """The English words of every msgid, less those the Chinese translations keep as they are."""
    words, kept = set(), set()
    for domain in ("django", "djangojs"):
        for entry in entries(LOCALE / "zh_Hans" / "LC_MESSAGES" / f"{domain}.po"):
            both = entry["msgid"] + " " + entry.get("msgid_plural", "")
            english = re.sub(r"%\(\w+\)[sd]|\{\w+\}|<[^>]*>", " ", both)
            words |= set(re.findall(r"[A-Za-z]{3,}", english))
            chinese = " ".join(v for k, v in entry.items() if k.startswith("msgstr"))
            kept |= set(re.findall(r"[A-Za-z]{3,}", re.sub(r"<[^>]*>|%\(\w+\)[sd]", " ", chinese)))
    return words - kept - SHARED_WORDS


def shown(page: str) -> str:
    """A page's visible text and seen attributes, without scripts, styles or inline JSON."""
    page = re.sub(r"<(script|style|code|svg)\b.*?</\1>", " ", page, flags=re.S)
    attributes = " ".join(re.findall(r'\b(?:title|alt|aria-label|placeholder|data-confirm)="([^"]*)"', page))
    return re.sub(r"<[^>]*>", " ", page) + " " + attributes


@pytest.fixture
def pages(team: Team, album: Album, media: Path) -> dict[str, str]:
    Album.objects.filter(pk=album.pk).update(published=True, keep_visitor_photos=True)
    owl = album.classes.get(name="owl")
    save_picture(owl, "owl.jpg", jpeg("owl.jpg", (64, 48)), 64, 48)
    ModelVersion.objects.create(
        album=album, number=1, backbone="test", classes=[{"name": "owl"}, {"name": "parrot"}],
        head=b"", bundle=f"albums/{album.pk}/models/1.zip", metrics=METRICS,
    )  # fmt: skip
    return {
        "home": "/", "predict": "/predict/", "history": "/history/", "albums": "/albums/",
        "album": reverse("album", args=[album.pk]), "class": reverse("album_class", args=[album.pk, owl.pk]),
        "review": reverse("album_review", args=[album.pk]), "tokens": reverse("tokens"),
        "workspaces": reverse("workspaces"), "workspace": reverse("workspace", args=[team.workspace.pk]),
        "password": reverse("password_change"), "viewer": reverse("viewer", args=[album.slug]),
        "wall card": reverse("album_wall_card", args=[album.pk]),
        "work card": reverse("work_wall_card", args=[album.pk, owl.pk]), "missing": "/no/such/page/",
    }  # fmt: skip


def test_no_page_in_zh_hans_shows_an_english_word_of_the_catalogs(pages: dict[str, str], team: Team) -> None:
    english = english_vocabulary()
    # The album's and the users' own words (names, emails, links such as /v/<slug>/?work=owl), and the
    # personal workspace's stored name.
    data = {"Birds", "Owl", "Parrot", "owl", "parrot", "jpg", "Museum", "example", "org", "https", "museum",
            "owner", "editor", "viewer", "workspace", "work"}  # fmt: skip
    owner = Client(HTTP_ACCEPT_LANGUAGE="zh-Hans")
    owner.force_login(team.owner)
    anonymous = Client(HTTP_ACCEPT_LANGUAGE="zh-Hans")
    found = {}
    for name, url in [*pages.items(), ("sign in", "/signin/"), ("sign up", "/signup/"),
                      ("reset", reverse("password_reset"))]:  # fmt: skip
        client = anonymous if name in {"sign in", "sign up", "reset"} else owner
        page = client.get(url)
        assert page.status_code in {200, 404}, url
        assert html_lang(page) == "zh-hans", url
        words = set(re.findall(r"[A-Za-z]{3,}", shown(page.content.decode()))) - data
        if left := sorted(words & english):
            found[name] = left
    assert found == {}, found


def test_a_password_reset_mail_is_in_the_language_it_was_asked_in(client: Client, db, mailoutbox) -> None:
    User.objects.create_user("curator@example.org", password="a long enough password")
    client.post(reverse("password_reset"), {"email": "curator@example.org"}, HTTP_ACCEPT_LANGUAGE="fr")
    assert mailoutbox[0].subject == "Choisir un nouveau mot de passe pour Museion"
    assert "Pour le choisir, ouvrez ce lien" in mailoutbox[0].body


# ---- API errors ---------------------------------------------------------------------------------


def test_an_api_error_is_in_the_callers_language_with_its_code_unchanged(client: Client, team: Team) -> None:
    zh = client.get(
        "/api/v1/albums/999999", HTTP_ACCEPT_LANGUAGE="zh-Hans", **{"HTTP_AUTHORIZATION": "Bearer x"}
    )
    assert zh.json()["error"] == {"code": "invalid_token", "message": "令牌无效（已撤销或输入有误）"}
    missing = client.get("/api/v1/no/such/endpoint", HTTP_ACCEPT_LANGUAGE="fr")
    assert missing.json()["error"] == {
        "code": "not_found",
        "message": "aucun point d'accès de l'API à /api/v1/no/such/endpoint",
    }


def test_a_photo_refused_by_the_vision_core_is_said_in_the_callers_language(client: Client, db) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    def send(**headers: str) -> dict:
        photo = SimpleUploadedFile("not.jpg", b"not an image at all", content_type="image/jpeg")
        return client.post("/api/v1/predict", {"image": photo}, **headers).json()["error"]

    english, chinese = send(), send(HTTP_ACCEPT_LANGUAGE="zh-Hans")
    assert english["code"] == chinese["code"] == "not_an_image"
    assert english["message"].startswith("the file is not an image; send ")
    assert chinese["message"].startswith("该文件不是图片；请发送 ")
