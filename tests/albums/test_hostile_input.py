"""Hostile uploads and fields: bombs, archives of 100 000 entries, videos that claim 10 hours,
odd file names, oversized JSON, injection strings. Each is refused cleanly or stored harmlessly;
nothing is half-stored; no answer leaks a traceback, a server path or the secret key."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path, PurePosixPath

import pytest
from django.conf import settings
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from museion.albums.models import Album, MediaItem, SourceVideo
from tests.albums.conftest import ApiCaller, jpeg, stored_files
from tests.albums.test_api_media import upload, zip_of
from tests.hostile import gif_bomb, lying_zip_bomb, ten_hour_clip, thin_pngs, zip_bomb

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


def test_a_zip_bomb_is_refused_by_its_declared_size_without_inflating_it(
    api: ApiCaller, album: Album, media: Path
) -> None:
    bomb = zip_bomb()
    started = time.monotonic()
    response = upload(api, album, "bomb.zip", bomb)
    assert time.monotonic() - started < 3  # inflating 950 MB took 4-10 s
    assert response.status_code == 202, response.content
    (problem,) = response.json()["problems"]
    assert problem == {"file": "bomb.jpg", "reason": "the file is 950.0 MB; the limit is 50.0 MB"}
    assert not MediaItem.objects.exists()
    assert stored_files(media) == []


def test_a_zip_entry_whose_header_lies_about_its_size_is_read_no_further(
    api: ApiCaller, album: Album, media: Path
) -> None:
    liar = lying_zip_bomb()
    started = time.monotonic()
    response = upload(api, album, "liar.zip", liar)
    assert time.monotonic() - started < 3
    (problem,) = response.json()["problems"]
    assert problem["file"] == "liar.jpg"
    assert "cannot be read" in problem["reason"]
    assert not MediaItem.objects.exists()


def test_zip_entries_with_backslash_paths_are_refused_and_listed(api: ApiCaller, album: Album) -> None:
    photo = jpeg(size=(64, 48))
    data = zip_of(
        {
            "..\\x.jpg": photo,
            "a\\..\\..\\y.jpg": photo,
            "C:\\Windows\\z.jpg": photo,
            "\\\\server\\share\\w.jpg": photo,
            "folder\\fine.jpg": photo,
            ".hidden.jpg": photo,
            "__MACOSX/._fine.jpg": b"resource fork",
            ".DS_Store": b"\x00\x00\x00\x01Bud1",
        }
    )
    response = upload(api, album, "windows.zip", data)
    assert response.status_code == 202, response.content
    body = response.json()
    assert sorted(i["name"] for i in body["items"]) == [".hidden.jpg", "fine.jpg"]
    problems = {p["file"]: p["reason"] for p in body["problems"]}
    assert sorted(problems) == ["w.jpg", "x.jpg", "y.jpg", "z.jpg"]
    assert all("outside" in reason for reason in problems.values())


@pytest.mark.parametrize("name", [".", "./."])
def test_a_zip_entry_without_a_file_name_is_listed_not_a_500(api: ApiCaller, album: Album, name: str) -> None:
    """Found by the fuzzing below: an entry named "." crashed the importer."""
    response = upload(
        api, album, "dot.zip", zip_of({name: jpeg(size=(32, 24)), "b.jpg": jpeg(size=(32, 24))})
    )
    assert response.status_code == 202, response.content
    assert [i["name"] for i in response.json()["items"]] == ["b.jpg"]
    assert len(response.json()["problems"]) == 1


def test_every_entry_of_a_zip_is_imported_or_listed(api: ApiCaller, album: Album) -> None:
    """Fuzzed: entry names of any characters, contents of photos or junk."""
    photo = jpeg(size=(32, 24))
    names = st.text(st.sampled_from("ab./\\:_-. é"), min_size=1, max_size=12)
    entries = st.dictionaries(names, st.sampled_from([photo, b"", b"junk", photo[:40]]), max_size=6)

    @hyp_settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(entries)
    def check(content: dict[str, bytes]) -> None:
        data = zip_of(content)
        response = upload(api, album, "fuzz.zip", data)
        assert_clean(response)
        assert response.status_code == 202, response.content
        body = response.json()
        answered = len(body["items"]) + len(body["problems"])
        archive = zipfile.ZipFile(io.BytesIO(data))
        silent = [e for e in archive.infolist() if _skipped_silently(e.filename)]
        assert answered == len(archive.infolist()) - len(silent), (content, body)

    check()


def _skipped_silently(name: str) -> bool:
    """Folders, and what macOS and Windows add to zips; never a path outside the archive."""
    parts = name.replace("\\", "/").split("/")
    if parts[0] == "" or ".." in parts or (len(name) > 1 and name[1] == ":" and name[0].isalpha()):
        return False
    base = PurePosixPath(name.replace("\\", "/")).name
    junk = parts[0] == "__MACOSX" or base.startswith("._") or base in (".DS_Store", "Thumbs.db")
    return name.endswith("/") or junk


@pytest.mark.parametrize("name", sorted(thin_pngs()))
def test_a_thin_picture_is_stored_in_moments(api: ApiCaller, album: Album, name: str) -> None:
    started = time.monotonic()
    response = upload(api, album, name, thin_pngs()[name])
    assert time.monotonic() - started < 10
    assert response.status_code == 202, response.content
    (item,) = response.json()["items"]
    assert f"thin-{item['width']}x{item['height']}.png" == name


def test_a_video_claiming_more_than_8k_is_refused_413(
    api: ApiCaller, album: Album, media: Path, monkeypatch
) -> None:
    # Encoding a real 8K clip would take the suite a while: the limit is lowered instead.
    monkeypatch.setattr("museion.albums.media.MAX_VIDEO_PIXELS", 63 * 63)
    response = upload(api, album, "huge.mp4", ten_hour_clip())
    assert response.status_code == 413, response.content
    assert response.json()["error"]["code"] == "video_too_large"
    assert not SourceVideo.objects.exists()
    assert stored_files(media) == []
