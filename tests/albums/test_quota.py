"""The storage quota of a workspace: an upload past it is refused whole with 413, and usage counts
photos, frames, videos and model bundles."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from PIL import Image

from museion.accounts.models import User, Workspace
from museion.albums import media as album_media
from museion.albums import quota
from museion.albums.models import Album, MediaItem, ModelVersion
from tests.albums.conftest import ApiCaller, jpeg, stored_files, twice_at_once
from tests.albums.test_api_media import upload
from tests.conftest import IMAGES, VIDEOS


def limit(workspace: Workspace, mb: int) -> None:
    workspace.quota_mb = mb
    workspace.save(update_fields=["quota_mb"])


PHOTO = (IMAGES / "cat_720p.jpg").read_bytes()  # 104 837 bytes: nine fit in 1 MB, not ten


@pytest.mark.parametrize("role", ["owner", "editor"])
def test_an_upload_past_the_quota_is_refused_413_and_nothing_is_stored(
    api: ApiCaller, album: Album, workspace: Workspace, media: Path, role: str
) -> None:
    limit(workspace, 1)
    statuses = [upload(api.as_(role), album, "cat.jpg", PHOTO).status_code for _ in range(9)]
    assert statuses == [202] * 9
    files = stored_files(media)
    refused = upload(api.as_(role), album, "cat.jpg", PHOTO)
    assert refused.status_code == 413
    error = refused.json()["error"]
    assert error["code"] == "quota_exceeded"
    assert "0.9 MB of 1 MB are used" in error["message"]
    assert MediaItem.objects.count() == 9
    assert stored_files(media) == files
    assert quota.storage_used(workspace) == 9 * len(PHOTO)


def test_a_viewer_and_an_outsider_are_refused_before_the_quota_counts(
    api: ApiCaller, album: Album, workspace: Workspace
) -> None:
    limit(workspace, 1)
    assert upload(api.as_("viewer"), album, "owl.jpg", jpeg()).status_code == 403
    assert upload(api.as_("outsider"), album, "owl.jpg", jpeg()).status_code == 404


def test_a_video_past_the_quota_is_refused_whole(
    api: ApiCaller, album: Album, workspace: Workspace, media: Path
) -> None:
    limit(workspace, 1)
    clip = (VIDEOS / "parrot_walkaround.mp4").read_bytes()
    while quota.storage_used(workspace) + len(clip) <= 1_000_000:
        assert upload(api, album, "cat.jpg", PHOTO).status_code == 202
    files = stored_files(media)
    response = upload(api, album, "walk.mp4", clip)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "quota_exceeded"
    assert stored_files(media) == files
    assert not album.jobs.exists()


def test_usage_counts_pictures_videos_and_bundles(album: Album, workspace: Workspace) -> None:
    owl = album.classes.get(name="owl")
    item = album_media.add_upload(owl, "owl.jpg", jpeg()).items[0]
    assert quota.storage_used(workspace) == item.size == len(jpeg())
    ModelVersion.objects.create(
        album=album, number=1, backbone="x", classes=[], head=b"", bundle="b.zip", size=500
    )
    assert quota.storage_used(workspace) == len(jpeg()) + 500


def test_no_quota_by_default(album: Album, workspace: Workspace, settings) -> None:
    assert settings.WORKSPACE_QUOTA_MB == 0
    assert workspace.quota_bytes == 0
    settings.WORKSPACE_QUOTA_MB = 3
    assert workspace.quota_bytes == 3_000_000  # the server's default, until the workspace sets its own


def deflated_zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def plain_bmp(size: tuple[int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, "BMP")
    return buffer.getvalue()


def test_a_zip_is_measured_unpacked_and_refused_whole(
    api: ApiCaller, album: Album, workspace: Workspace, media: Path
) -> None:
    limit(workspace, 1)
    big = plain_bmp((700, 700))  # 1.47 MB unpacked, a few kB deflated
    archive = deflated_zip({"a.jpg": PHOTO, "b.bmp": big})
    assert len(archive) < 200_000
    response = upload(api.as_("editor"), album, "works.zip", archive)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "quota_exceeded"
    assert not MediaItem.objects.exists()
    assert stored_files(media) == []


def test_a_zip_within_the_quota_goes_in(api: ApiCaller, album: Album, workspace: Workspace) -> None:
    limit(workspace, 1)
    response = upload(api.as_("editor"), album, "works.zip", deflated_zip({"a.jpg": PHOTO, "b.jpg": PHOTO}))
    assert response.status_code == 202
    assert quota.storage_used(workspace) == 2 * len(PHOTO)


@pytest.mark.parametrize("role", ["owner", "editor", "viewer"])
def test_members_see_the_workspace_storage_on_the_album(
    api: ApiCaller, album: Album, workspace: Workspace, role: str
) -> None:
    limit(workspace, 2)
    upload(api, album, "cat.jpg", PHOTO)
    answer = api.as_(role).get(f"/albums/{album.pk}")
    assert answer.status_code == 200
    assert answer.json()["storage"] == {"used_bytes": len(PHOTO), "quota_bytes": 2_000_000}


def test_an_outsider_sees_no_storage(api: ApiCaller, album: Album) -> None:
    assert api.as_("outsider").get(f"/albums/{album.pk}").status_code == 404


def test_the_workspace_page_shows_usage_and_quota(
    api: ApiCaller, album: Album, workspace: Workspace, viewer: User
) -> None:
    limit(workspace, 2)
    upload(api, album, "cat.jpg", PHOTO)
    client = Client()
    client.force_login(viewer)
    page = client.get(f"/workspaces/{workspace.pk}/").content.decode()
    assert "Storage: 0.1 MB used of 2 MB" in page


def pad_usage(album: Album, room: int) -> None:
    """Fill the workspace (quota 1 MB) up to `room` bytes short of its quota, with a bundle's size."""
    used = quota.storage_used(album.workspace)
    ModelVersion.objects.create(
        album=album,
        number=99,
        backbone="x",
        classes=[],
        head=b"",
        bundle="pad.zip",
        size=1_000_000 - room - used,
    )


def clip_job(api: ApiCaller, album: Album, commit) -> dict:
    with commit():
        response = upload(api, album, "walk.mp4", (VIDEOS / "parrot_walkaround.mp4").read_bytes())
    assert response.status_code == 202
    return api.get(f"/jobs/{response.json()['job']['id']}").json()


def test_frames_stop_at_the_quota_and_those_kept_stay(
    api: ApiCaller, album: Album, workspace: Workspace, eager, commit
) -> None:
    limit(workspace, 1)
    clip = (VIDEOS / "parrot_walkaround.mp4").stat().st_size
    pad_usage(album, clip + 250_000)  # the clip and a few of its frames (60 to 90 kB each)
    job = clip_job(api, album, commit)
    assert job["status"] == "succeeded"
    assert 1 <= job["result"]["frames"] < 6
    assert "storage quota is reached" in job["result"]["warning"]
    assert "storage quota is reached" in job["stage"]
    assert MediaItem.objects.filter(source__isnull=False).count() == job["result"]["frames"]
    assert quota.storage_used(workspace) <= 1_000_000


def test_a_video_without_room_for_one_frame_fails_saying_why(
    api: ApiCaller, album: Album, workspace: Workspace, eager, commit, media: Path
) -> None:
    limit(workspace, 1)
    pad_usage(album, (VIDEOS / "parrot_walkaround.mp4").stat().st_size + 1_000)
    job = clip_job(api, album, commit)
    assert job["status"] == "failed"
    assert "storage quota" in job["error"]
    assert not MediaItem.objects.exists()
    assert len(stored_files(media)) == 1  # the clip itself, which the cleanup removes a week later


@pytest.mark.skipif(
    django_settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"),
    reason="SQLite's in-memory test database refuses a second transaction at once; "
    "`make test` runs this on PostgreSQL and MariaDB (a SQLite file queues them: BEGIN IMMEDIATE)",
)
@pytest.mark.django_db(transaction=True)
def test_two_uploads_racing_for_the_last_room_never_pass_the_quota(
    album: Album, workspace: Workspace, media: Path, saves_meet: None
) -> None:
    limit(workspace, 1)
    pad_usage(album, len(PHOTO) * 3 // 2)  # room for one photo, not two
    owl = album.classes.get(name="owl")

    def add() -> str:
        try:
            album_media.add_upload(owl, "cat.jpg", PHOTO)
            return "added"
        except album_media.MediaError as exc:
            return exc.code

    assert sorted(twice_at_once(add)) == ["added", "quota_exceeded"]
    assert MediaItem.objects.count() == 1
    assert len(stored_files(media)) == 1  # the refused photo's file went again
    assert quota.storage_used(workspace) <= 1_000_000
