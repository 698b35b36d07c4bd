"""Job objects in the API carry when they were created, started and finished."""

from __future__ import annotations

from datetime import datetime

import pytest

from museion.albums import jobs
from museion.albums.models import Album, Job
from tests.albums.conftest import ApiCaller


def to_ms(moment: datetime) -> datetime:
    """The API's JSON gives times to the millisecond."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def times(payload: dict) -> tuple[datetime | None, ...]:
    return tuple(
        datetime.fromisoformat(payload[k]) if payload[k] else None for k in ("created", "started", "finished")
    )


def test_a_queued_job_has_a_creation_time_and_no_start_or_end(api: ApiCaller, album: Album) -> None:
    job = Job.objects.create(album=album, kind=Job.Kind.TRAIN)
    created, started, finished = times(api.get(f"/jobs/{job.pk}").json())
    assert created == to_ms(job.created)
    assert started is None
    assert finished is None


def test_a_finished_job_says_when_it_started_and_finished_in_order(api: ApiCaller, album: Album) -> None:
    job = Job.objects.create(album=album, kind=Job.Kind.TRAIN)
    jobs.run(job.pk, lambda job, report: {"version": 1})
    payload = api.get(f"/jobs/{job.pk}").json()
    assert payload["status"] == "succeeded"
    created, started, finished = times(payload)
    assert created <= started <= finished  # type: ignore[operator]
    listed = api.get(f"/albums/{album.pk}/jobs").json()
    assert times(listed[0]) == (created, started, finished)


def test_a_cancelled_queued_job_has_an_end_but_never_started(api: ApiCaller, album: Album) -> None:
    job = Job.objects.create(album=album, kind=Job.Kind.TRAIN)
    cancelled = api.post(f"/jobs/{job.pk}/cancel").json()
    assert cancelled["status"] == "cancelled"
    _, started, finished = times(cancelled)
    assert started is None
    assert finished is not None


@pytest.mark.parametrize(
    ("role", "status"), [("owner", 200), ("editor", 200), ("viewer", 200), ("outsider", 404)]
)
def test_every_member_sees_a_jobs_times_and_an_outsider_gets_404(
    api: ApiCaller, album: Album, role: str, status: int
) -> None:
    job = Job.objects.create(album=album, kind=Job.Kind.TRAIN)
    response = api.as_(role).get(f"/jobs/{job.pk}")
    assert response.status_code == status
    if status == 200:
        assert times(response.json())[0] == to_ms(job.created)


def test_a_jobs_stage_and_error_are_said_in_the_readers_language_and_stored_in_english(
    api: ApiCaller, album: Album
) -> None:
    running = Job.objects.create(album=album, kind=Job.Kind.TRAIN, stage="embedding new pictures (3/12)")
    failed = Job.objects.create(
        album=album, kind=Job.Kind.VIDEO, status=Job.Status.FAILED, stage="failed",
        error="the video ends too early: the file is cut short (a copy or upload that did not finish)",
    )  # fmt: skip
    headers = {**api.team.headers["owner"], "Accept-Language": "fr"}
    said = api.client.get(f"/api/v1/jobs/{running.pk}", headers=headers).json()
    assert said["stage"] == "analyse des nouvelles images (3/12)"
    headers["Accept-Language"] = "zh-Hans"
    said = api.client.get(f"/api/v1/jobs/{failed.pk}", headers=headers).json()
    assert (said["stage"], said["error"]) == ("失败", "视频提前结束：文件不完整（复制或上传未完成）")
    assert api.get(f"/jobs/{running.pk}").json()["stage"] == "embedding new pictures (3/12)"
    running.refresh_from_db()
    assert running.stage == "embedding new pictures (3/12)"  # what workers and logs read
