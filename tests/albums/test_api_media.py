"""Adding pictures to a class: photos, zips of photos, videos, and every refusal."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from museion.albums import media as album_media
from museion.albums.models import Album, Job, MediaItem, SourceVideo
from tests.albums.conftest import ApiCaller, jpeg, stored_files
from tests.conftest import IMAGES, VIDEOS


def encode(fmt: str, size: tuple[int, int] = (320, 240)) -> bytes:
    buffer = io.BytesIO()
    Image.open(IMAGES / "owl.jpg").convert("RGB").resize(size).save(buffer, fmt)
    return buffer.getvalue()


def upload_path(album: Album, name: str = "owl") -> str:
    return f"/albums/{album.pk}/classes/{album.classes.get(name=name).pk}/media"


def upload(api: ApiCaller, album: Album, name: str, data: bytes, to: str = "owl"):
    return api.upload(upload_path(album, to), name, data)


def nothing_stored(media: Path) -> bool:
    return (
        not MediaItem.objects.exists()
        and not SourceVideo.objects.exists()
        and not Job.objects.exists()
        and stored_files(media) == []
    )


@pytest.mark.parametrize(("fmt", "name"), [("JPEG", "owl.jpg"), ("PNG", "owl.png"), ("HEIF", "owl.heic")])
def test_a_photo_becomes_one_item_with_its_size(api: ApiCaller, album: Album, fmt: str, name: str) -> None:
    data = encode(fmt)
    response = upload(api.as_("editor"), album, name, data)
    assert response.status_code == 202
    body = response.json()
    assert (body["job"], body["problems"]) == (None, [])
    (item,) = body["items"]
    assert (item["name"], item["kind"], item["width"], item["height"], item["video"]) == (
        name,
        "photo",
        320,
        240,
        None,
    )
    served = api.get(item["image_url"].removeprefix("/api/v1"))
    assert b"".join(served.streaming_content) == data


def zip_of(entries: dict[str, bytes], links: tuple[str, ...] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
        for name in links:
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o120777 << 16
            archive.writestr(info, "/etc/passwd")
    return buffer.getvalue()


def test_a_zip_adds_its_photos_and_lists_its_bad_entries(
    api: ApiCaller, album: Album, media: Path, tmp_path: Path
) -> None:
    photo = jpeg("owl.jpg", (160, 120))
    data = zip_of(
        {
            "gallery/a.jpg": photo,
            "b.png": encode("PNG", (100, 80)),
            "notes.txt": b"just words",
            "../evil.jpg": photo,
            "/tmp/absolute.jpg": photo,
            "inner.zip": zip_of({"c.jpg": photo}),
            "__MACOSX/._a.jpg": b"resource fork",
        },
        links=("link.jpg",),
    )
    response = upload(api, album, "photos.zip", data)
    assert response.status_code == 202
    body = response.json()
    assert sorted((i["name"], i["width"], i["height"]) for i in body["items"]) == [
        ("a.jpg", 160, 120),
        ("b.png", 100, 80),
    ]
    problems = {p["file"]: p["reason"] for p in body["problems"]}
    assert sorted(problems) == ["absolute.jpg", "evil.jpg", "inner.zip", "link.jpg", "notes.txt"]
    assert "outside" in problems["evil.jpg"]
    assert "outside" in problems["absolute.jpg"]
    assert "symbolic" in problems["link.jpg"]
    assert "zip" in problems["inner.zip"]
    assert "not an image" in problems["notes.txt"]
    assert MediaItem.objects.count() == 2
    assert [p for p in stored_files(tmp_path) if media not in p.parents] == []
    assert len(stored_files(media)) == 2


def test_a_zip_of_more_than_2000_entries_is_refused_413(api: ApiCaller, album: Album, media: Path) -> None:
    data = zip_of({f"{i}.jpg": b"x" for i in range(2001)})
    response = upload(api, album, "many.zip", data)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "zip_too_large"
    assert nothing_stored(media)


def test_a_zip_declaring_too_many_unpacked_bytes_is_refused_413(
    api: ApiCaller, album: Album, media: Path, monkeypatch
) -> None:
    monkeypatch.setattr(album_media, "MAX_ZIP_BYTES", 50_000)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.jpg", jpeg("owl.jpg", (64, 64)))
        archive.writestr("bomb.jpg", bytes(100_000))  # compresses to almost nothing
    response = upload(api, album, "bomb.zip", buffer.getvalue())
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "zip_too_large"
    assert nothing_stored(media)


def frames_of(api: ApiCaller, album: Album, clip: str, commit, to: str = "owl") -> list[dict]:
    with commit():
        response = upload(api, album, clip, (VIDEOS / clip).read_bytes(), to)
    assert response.status_code == 202
    body = response.json()
    assert (body["items"], body["job"]["kind"], body["job"]["status"]) == ([], "video", "queued")
    job = api.get(f"/jobs/{body['job']['id']}").json()
    assert (job["status"], job["error"]) == ("succeeded", None)
    items = api.get(upload_path(album, to)).json()
    assert job["result"]["frames"] == len(items)
    return items


def test_a_video_becomes_frames_at_the_album_fps(api: ApiCaller, album: Album, eager, commit) -> None:
    frames = frames_of(api, album, "parrot_walkaround.mp4", commit)
    assert 3 <= len(frames) <= 12  # 6 s at 2 fps, near-duplicates dropped
    assert all(f["kind"] == "frame" and f["video"] is not None for f in frames)
    assert len({f["video"] for f in frames}) == 1
    times = [f["time"] for f in frames]
    assert len(set(times)) == len(times)
    assert all(0 <= t < 6 and (t * 2) == pytest.approx(round(t * 2), abs=0.05) for t in times)
    assert (frames[0]["width"], frames[0]["height"]) == (960, 540)


def test_a_slower_album_fps_takes_fewer_frames(api: ApiCaller, album: Album, eager, commit) -> None:
    Album.objects.filter(pk=album.pk).update(fps=0.5)
    frames = frames_of(api, album, "parrot_walkaround.mp4", commit)
    assert 1 <= len(frames) <= 3


def test_a_rotated_phone_video_gives_portrait_frames(api: ApiCaller, album: Album, eager, commit) -> None:
    frames = frames_of(api, album, "owl_portrait_rotated.mov", commit)
    assert frames
    assert all(f["height"] > f["width"] for f in frames)


def test_an_hevc_video_gives_frames(api: ApiCaller, album: Album, eager, commit) -> None:
    frames = frames_of(api, album, "sunflower_hevc.mp4", commit)
    assert frames
    assert (frames[0]["width"], frames[0]["height"]) == (640, 480)


@pytest.mark.parametrize("clip", ["truncated.mp4", "not_a_video.mp4"])
def test_an_unreadable_video_is_refused_415(api: ApiCaller, album: Album, media: Path, clip: str) -> None:
    response = upload(api, album, clip, (VIDEOS / clip).read_bytes())
    assert response.status_code == 415
    message = response.json()["error"]["message"]
    assert "video" in message or "photo" in message
    assert nothing_stored(media)


@pytest.mark.parametrize("name", ["clip.mp4", "clip.MOV", "clip.webm"])
def test_a_file_named_like_a_video_that_holds_text_says_its_content_is_not_a_video(
    api: ApiCaller, album: Album, media: Path, name: str
) -> None:
    response = upload(api, album, name, b"Dear visitor, this is a letter.\n" * 10)
    assert response.status_code == 415
    error = response.json()["error"]
    assert error["code"] == "not_a_video"
    assert error["message"].startswith("this file's content is not a video")
    assert nothing_stored(media)


def test_a_video_ffmpeg_cannot_open_is_refused_in_plain_words(api: ApiCaller, album: Album) -> None:
    junk = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8  # an MP4 header, then nothing of a video
    message = upload(api, album, "clip.mp4", junk).json()["error"]["message"]
    assert message == "this file's content is not a video, or the video is damaged"
    assert "Invalid data" not in message  # FFmpeg's words


def test_a_text_file_named_like_a_photo_is_refused_415(api: ApiCaller, album: Album, media: Path) -> None:
    response = upload(api, album, "photo.jpg", b"Dear visitor, this is a letter.\n" * 10)
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media"
    assert nothing_stored(media)


def test_an_empty_file_is_refused_400(api: ApiCaller, album: Album, media: Path) -> None:
    response = upload(api, album, "empty.jpg", b"")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "empty_file"
    assert nothing_stored(media)


def test_a_hostile_file_name_is_stored_under_a_safe_name(api: ApiCaller, album: Album, media: Path) -> None:
    name = "../../" + "\x00" + "a" * 300 + ".jpg"
    response = upload(api, album, name, jpeg())
    assert response.status_code == 202
    (item,) = response.json()["items"]
    assert "/" not in item["name"]
    assert "\x00" not in item["name"]
    assert 0 < len(item["name"]) <= 255
    assert item["name"].endswith(".jpg")
    (stored,) = stored_files(media)
    assert stored.parent == media / "albums" / str(album.pk)


@pytest.mark.parametrize(
    ("given", "safe"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("a\x00b\x07c.jpg", "abc.jpg"),
        ("/", "upload"),
        ("x" * 300 + ".png", "x" * 116 + ".png"),
    ],
)
def test_safe_name_keeps_no_folder_no_control_character_and_no_excess(given: str, safe: str) -> None:
    assert album_media.safe_name(given) == safe


def test_deleting_a_media_item_removes_its_row_and_its_file(
    api: ApiCaller, album: Album, media: Path, commit
) -> None:
    (item,) = upload(api, album, "owl.jpg", jpeg()).json()["items"]
    assert len(stored_files(media)) == 1
    with commit():
        response = api.as_("editor").delete(f"/albums/{album.pk}/media/{item['id']}")
    assert response.status_code == 204
    assert not MediaItem.objects.filter(pk=item["id"]).exists()
    assert stored_files(media) == []
    assert api.get(f"/albums/{album.pk}/media/{item['id']}/file").status_code == 404


def test_moving_a_media_item_changes_its_class(api: ApiCaller, album: Album) -> None:
    (item,) = upload(api, album, "owl.jpg", jpeg()).json()["items"]
    parrot = album.classes.get(name="parrot").pk
    response = api.post(f"/albums/{album.pk}/media/{item['id']}/move", {"to_class": parrot})
    assert response.status_code == 200
    assert MediaItem.objects.get(pk=item["id"]).album_class_id == parrot
    assert [m["id"] for m in api.get(upload_path(album, "parrot")).json()] == [item["id"]]
    assert api.get(upload_path(album, "owl")).json() == []


def test_moving_a_media_item_to_another_albums_class_is_refused(api: ApiCaller, album: Album) -> None:
    (item,) = upload(api, album, "owl.jpg", jpeg()).json()["items"]
    other = api.post("/albums", {"name": "Other", "workspace": album.workspace_id}).json()["id"]
    elsewhere = api.post(f"/albums/{other}/classes", {"name": "elsewhere"}).json()["id"]
    response = api.post(f"/albums/{album.pk}/media/{item['id']}/move", {"to_class": elsewhere})
    assert response.status_code == 404
    assert MediaItem.objects.get(pk=item["id"]).album_class.name == "owl"
