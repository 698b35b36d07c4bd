"""Hostile uploads and fields: bombs, archives of 100 000 entries, videos that claim 10 hours,
odd file names, oversized JSON, injection strings. Each is refused cleanly or stored harmlessly;
nothing is half-stored; no answer leaks a traceback, a server path or the secret key."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from museion.albums.models import Album, MediaItem, SourceVideo
from tests.albums.conftest import ApiCaller, jpeg, stored_files
from tests.albums.test_api_media import upload
from tests.hostile import gif_bomb, ten_hour_clip

LEAKS = ("Traceback", "/work/", "site-packages", 'File "')


def assert_clean(response) -> None:
    body = response.content.decode(errors="replace")
    assert response.status_code < 500, body
    for leak in (*LEAKS, settings.SECRET_KEY):
        assert leak not in body, (leak, body[:300])


def many_entries(count: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for i in range(count):
            archive.writestr(f"{i}.jpg", b"")
    return buffer.getvalue()


def test_a_gif_bomb_is_refused_413_by_the_album_and_the_predict_api(
    api: ApiCaller, album: Album, client: Client, media: Path
) -> None:
    bomb = gif_bomb()
    refused = upload(api, album, "bomb.gif", bomb)
    assert refused.status_code == 413, refused.content
    assert refused.json()["error"]["code"] == "image_too_large"
    predicted = api.upload("/predict", "bomb.gif", bomb, "image")
    assert predicted.status_code == 413, predicted.content
    for response in (refused, predicted):
        assert_clean(response)
    assert stored_files(media) == []


def test_a_zip_of_100_000_entries_is_refused_quickly_and_stores_nothing(
    api: ApiCaller, album: Album, media: Path
) -> None:
    archive = many_entries(100_000)
    started = time.monotonic()
    response = upload(api, album, "many.zip", archive)
    assert time.monotonic() - started < 10
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "zip_too_large"
    assert_clean(response)
    assert not MediaItem.objects.exists()
    assert stored_files(media) == []


def test_a_video_claiming_ten_hours_is_refused_413(api: ApiCaller, album: Album, media: Path) -> None:
    response = upload(api, album, "long.mp4", ten_hour_clip())
    assert response.status_code == 413, response.content
    assert response.json()["error"]["code"] == "video_too_long"
    assert_clean(response)
    assert not SourceVideo.objects.exists()
    assert stored_files(media) == []


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd.jpg",
        "C:\\Windows\\win.ini.jpg",
        "a" * 300 + ".jpg",
        "nul\x00byte.jpg",
        "\u202eevil.jpg",
    ],
    ids=["dot-dot", "backslashes", "300-chars", "nul", "bidi"],
)
def test_a_hostile_file_name_is_stored_harmlessly_or_refused(
    api: ApiCaller, album: Album, media: Path, name: str
) -> None:
    response = upload(api, album, name, jpeg())
    assert_clean(response)
    assert response.status_code in (202, 400), response.content
    for path in stored_files(media):
        assert media in path.parents  # never outside the media folder
    for item in MediaItem.objects.all():
        assert "/" not in item.name
        assert "\x00" not in item.name
        assert len(item.name) <= 120


@pytest.mark.parametrize("path", ["/albums", "/auth/signup", "/auth/token"])
def test_an_oversized_json_body_is_refused_413(api: ApiCaller, path: str) -> None:
    body = {"name": "x" * 2_000_000, "email": "a@example.org", "password": "y" * 10}
    response = api.post(path, body)
    assert response.status_code == 413, response.content
    assert response.json()["error"]["code"] == "too_large"
    assert_clean(response)


INJECTIONS = [
    "Robert'); DROP TABLE albums_album;--",
    "' OR '1'='1",
    "1; SELECT * FROM accounts_user",
    '<script>alert("owned")</script>',
    "{{ settings.SECRET_KEY }}",
]


@pytest.mark.parametrize("text", INJECTIONS)
def test_injection_strings_in_text_fields_are_kept_as_text(api: ApiCaller, album: Album, text: str) -> None:
    created = api.post("/albums", {"name": text, "description": text})
    assert created.status_code == 201, created.content
    assert (created.json()["name"], created.json()["description"]) == (text, text)
    cls = api.post(f"/albums/{album.pk}/classes", {"name": text[:90], "title": text, "description": text})
    assert cls.status_code == 201, cls.content
    assert cls.json()["title"] == text
    assert Album.objects.count() == 2  # no other row touched
    assert Album.objects.get(pk=created.json()["id"]).name == text
    for response in (created, cls):
        assert_clean(response)


@pytest.mark.parametrize("text", INJECTIONS)
def test_injection_strings_in_query_parameters_answer_400_or_nothing(api: ApiCaller, text: str) -> None:
    for query in ("model", "start", "end", "page"):
        response = api.client.get("/api/v1/predictions", {query: text}, headers=api.team.headers["owner"])
        assert_clean(response)
        assert response.status_code in (200, 400), (query, response.content)
        if response.status_code == 200:
            assert response.json()["items"] == []
