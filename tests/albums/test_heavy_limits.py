"""Heavy work in flight is limited per user and per workspace: zip imports (in the request) and
video jobs (queued or running). Past a limit the upload is refused with 429, `Retry-After` and
the error shape, and nothing of it is stored; others' work elsewhere does not count."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from museion.accounts.models import User
from museion.accounts.workspaces import personal_workspace
from museion.albums import heavy
from museion.albums import media as album_media
from museion.albums.models import Album, Job, MediaItem, SourceVideo
from tests.albums.conftest import ApiCaller, jpeg, stored_files, twice_at_once
from tests.albums.test_api_media import upload, zip_of
from tests.conftest import VIDEOS

CLIP = (VIDEOS / "parrot_walkaround.mp4").read_bytes()
ZIP = zip_of({"a.jpg": jpeg(), "b.jpg": jpeg("parrot.jpg")})


def assert_busy(response, who: str, retry_after: str) -> None:
    assert response.status_code == 429, response.content[:300]
    assert response["Retry-After"] == retry_after
    error = response.json()["error"]
    assert error["code"] == "too_busy"
    assert who in error["message"]


def active_video_jobs(album: Album, user: User, count: int, status: str = Job.Status.QUEUED) -> None:
    for _ in range(count):
        Job.objects.create(album=album, kind=Job.Kind.VIDEO, status=status, created_by=user)


def test_the_defaults_are_one_zip_per_user_two_per_workspace_four_and_eight_videos() -> None:
    assert (django_settings.MAX_ZIPS_PER_USER, django_settings.MAX_ZIPS_PER_WORKSPACE) == (1, 2)
    assert (django_settings.MAX_VIDEO_JOBS_PER_USER, django_settings.MAX_VIDEO_JOBS_PER_WORKSPACE) == (4, 8)


def test_a_second_zip_of_a_user_while_one_is_importing_is_answered_429(
    api: ApiCaller, album: Album, media: Path, monkeypatch
) -> None:
    owl = album.classes.get(name="owl")
    owl.album = album  # the importing thread needs no database of its own
    importing, finish, outcome = threading.Event(), threading.Event(), []

    def slow_zip(album_class, data):
        importing.set()
        assert finish.wait(20)
        return album_media.Added()

    monkeypatch.setattr(album_media, "add_zip", slow_zip)
    first = threading.Thread(
        target=lambda: outcome.append(album_media.add_upload(owl, "a.zip", ZIP, api.team.editor))
    )
    first.start()
    try:
        assert importing.wait(20)
        assert_busy(
            upload(api.as_("editor"), album, "b.zip", ZIP), "you are already importing 1 zip file", "5"
        )
        assert not MediaItem.objects.exists()
        # A photo is light work: it goes in meanwhile.
        assert upload(api.as_("editor"), album, "owl.jpg", jpeg()).status_code == 202
    finally:
        finish.set()
        first.join(20)
    assert outcome
    monkeypatch.undo()
    assert upload(api.as_("editor"), album, "c.zip", ZIP).status_code == 202  # the slot was given back


def test_the_workspace_limit_counts_every_members_zips(api: ApiCaller, album: Album, settings) -> None:
    settings.MAX_ZIPS_PER_WORKSPACE = 2
    with heavy.zip_slot(album.workspace, api.team.owner), heavy.zip_slot(album.workspace, api.team.viewer):
        assert_busy(
            upload(api.as_("editor"), album, "a.zip", ZIP),
            "this workspace is already importing 2 zip files",
            "5",
        )
    assert upload(api.as_("editor"), album, "a.zip", ZIP).status_code == 202


def test_an_outsiders_zip_in_their_own_workspace_does_not_count(api: ApiCaller, album: Album) -> None:
    with heavy.zip_slot(personal_workspace(api.team.outsider), api.team.outsider):
        assert upload(api.as_("editor"), album, "a.zip", ZIP).status_code == 202


def test_a_refused_zip_gives_its_slot_back(api: ApiCaller, album: Album) -> None:
    damaged = b"PK\x03\x04" + b"\x00" * 64
    assert upload(api.as_("editor"), album, "bad.zip", damaged).status_code == 400
    assert upload(api.as_("editor"), album, "good.zip", ZIP).status_code == 202


def test_zero_turns_the_zip_limits_off(api: ApiCaller, album: Album, settings) -> None:
    settings.MAX_ZIPS_PER_USER = settings.MAX_ZIPS_PER_WORKSPACE = 0
    with heavy.zip_slot(album.workspace, api.team.editor):
        assert upload(api.as_("editor"), album, "a.zip", ZIP).status_code == 202


def test_a_user_with_four_videos_waiting_gets_429_for_a_fifth(
    api: ApiCaller, album: Album, media: Path
) -> None:
    active_video_jobs(album, api.team.editor, 3)
    active_video_jobs(album, api.team.editor, 1, Job.Status.RUNNING)
    before = Job.objects.count()
    assert_busy(upload(api.as_("editor"), album, "clip.mp4", CLIP), "you have 4 videos waiting", "15")
    assert Job.objects.count() == before
    assert not SourceVideo.objects.exists()
    assert stored_files(media) == []  # the clip's file went again


def test_finished_video_jobs_do_not_count(api: ApiCaller, album: Album) -> None:
    for status in (Job.Status.SUCCEEDED, Job.Status.FAILED, Job.Status.CANCELLED):
        active_video_jobs(album, api.team.editor, 2, status)
    response = upload(api.as_("editor"), album, "clip.mp4", CLIP)
    assert response.status_code == 202
    assert Job.objects.get(pk=response.json()["job"]["id"]).created_by == api.team.editor


def test_the_workspace_video_limit_counts_every_member(api: ApiCaller, album: Album, settings) -> None:
    settings.MAX_VIDEO_JOBS_PER_WORKSPACE = 3
    active_video_jobs(album, api.team.owner, 2)
    active_video_jobs(album, api.team.viewer, 1)
    assert_busy(upload(api.as_("editor"), album, "clip.mp4", CLIP), "this workspace has 3 videos", "15")


def test_videos_waiting_in_an_outsiders_workspace_do_not_count(api: ApiCaller, album: Album) -> None:
    theirs = Album.objects.create(workspace=personal_workspace(api.team.outsider), name="Theirs")
    active_video_jobs(theirs, api.team.outsider, 8)
    assert upload(api.as_("editor"), album, "clip.mp4", CLIP).status_code == 202


def test_an_editors_videos_count_across_workspaces(api: ApiCaller, album: Album, settings) -> None:
    settings.MAX_VIDEO_JOBS_PER_USER = 1
    own = Album.objects.create(workspace=personal_workspace(api.team.editor), name="Mine")
    active_video_jobs(own, api.team.editor, 1)
    assert_busy(upload(api.as_("editor"), album, "clip.mp4", CLIP), "you have 1 videos", "15")


@pytest.mark.skipif(
    django_settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"),
    reason="SQLite's in-memory test database refuses a second transaction at once; "
    "`make test` runs this on PostgreSQL and MariaDB",
)
@pytest.mark.django_db(transaction=True)
def test_two_videos_racing_for_a_users_last_slot_never_both_get_in(
    album: Album, editor: User, media: Path, settings, saves_meet: None
) -> None:
    settings.MAX_VIDEO_JOBS_PER_USER = 1
    owl = album.classes.get(name="owl")

    def add() -> str:
        try:
            album_media.add_upload(owl, "clip.mp4", CLIP, editor)
            return "added"
        except heavy.Busy:
            return "busy"

    assert sorted(twice_at_once(add)) == ["added", "busy"]
    assert Job.objects.filter(created_by=editor).count() == 1
    assert len(stored_files(media)) == 1
