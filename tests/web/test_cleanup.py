"""`museion cleanup` and the daily task: stored predictions past their retention, orphaned files."""

from __future__ import annotations

import json
import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from museion.accounts.models import User
from museion.accounts.workspaces import personal_workspace
from museion.cli import cli
from museion.recognition import services
from museion.recognition.models import Prediction
from museion.vision.catalog import DEFAULT_CLASSIFIER
from museion.web import tasks
from museion.web.celery import app
from tests.conftest import IMAGES


@pytest.fixture(scope="module")
def classified() -> tuple[services.Outcome, bytes]:
    data = (IMAGES / "parrot.jpg").read_bytes()
    return services.predict(data, services.servable_model(DEFAULT_CLASSIFIER)), data


def stored(user: User, classified, days_ago: float) -> Prediction:
    prediction = services.store(user, *classified)
    Prediction.objects.filter(pk=prediction.pk).update(created=timezone.now() - timedelta(days=days_ago))
    return prediction


def keep_for(user: User, days: int | None) -> None:
    workspace = personal_workspace(user)
    workspace.retention_days = days
    workspace.save()


def run(*args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(cli, ["cleanup", "--json", *args])
    return result.exit_code, json.loads(result.stdout) if result.exit_code == 0 else {"output": result.output}


def files_of(prediction: Prediction, media: Path) -> list[Path]:
    return [media / prediction.image.name, media / prediction.thumbnail.name]


def test_predictions_past_the_workspace_retention_go_with_their_files(
    owner: User, teammate: User, classified, media: Path, django_capture_on_commit_callbacks
) -> None:
    keep_for(owner, 30)
    old, recent = stored(owner, classified, 40), stored(owner, classified, 10)
    forever = stored(teammate, classified, 400)  # the teammate's workspace keeps everything
    with django_capture_on_commit_callbacks(execute=True):  # files go once the rows are gone for good
        code, report = run()
    assert (code, report["predictions"]) == (0, 1)
    assert set(Prediction.objects.values_list("pk", flat=True)) == {recent.pk, forever.pk}
    assert not any(p.exists() for p in files_of(old, media))
    assert all(p.exists() for p in files_of(recent, media))


def test_the_server_default_applies_to_workspaces_without_their_own(
    owner: User, classified, settings
) -> None:
    settings.RETENTION_DAYS = 7
    stored(owner, classified, 8)
    kept = stored(owner, classified, 6)
    assert run()[1]["predictions"] == 1
    assert list(Prediction.objects.values_list("pk", flat=True)) == [kept.pk]


def test_older_than_overrides_every_retention(owner: User, classified) -> None:
    keep_for(owner, 365)
    stored(owner, classified, 10)
    kept = stored(owner, classified, 0)
    code, report = run("--older-than", "5d")
    assert (code, report["predictions"]) == (0, 1)
    assert list(Prediction.objects.values_list("pk", flat=True)) == [kept.pk]


def age(path: Path, hours: float) -> None:
    then = time.time() - hours * 3600
    os.utime(path, (then, then))


def test_old_orphaned_files_go_and_fresh_or_referenced_ones_stay(
    owner: User, classified, media: Path
) -> None:
    prediction = stored(owner, classified, 1)
    for path in files_of(prediction, media):
        age(path, 48)  # old, but its row names it
    old_orphan = default_storage.save("albums/7/left-by-a-crash.jpg", ContentFile(b"x" * 1000))
    partial = default_storage.save("albums/7/.partial-abc", ContentFile(b"half"))
    fresh_orphan = default_storage.save("predictions/9/being-uploaded.jpg", ContentFile(b"y"))
    age(media / old_orphan, 2)
    age(media / partial, 2)
    code, report = run()
    assert (code, report["orphans"], report["orphan_bytes"]) == (0, 2, 1004)
    assert not (media / old_orphan).exists()
    assert not (media / partial).exists()
    assert (media / fresh_orphan).exists()
    assert all(p.exists() for p in files_of(prediction, media))


def test_a_dry_run_counts_and_removes_nothing(owner: User, classified, media: Path) -> None:
    keep_for(owner, 1)
    old = stored(owner, classified, 2)
    orphan = default_storage.save("albums/7/orphan.jpg", ContentFile(b"z"))
    age(media / orphan, 2)
    code, report = run("--dry-run")
    assert (code, report["predictions"], report["orphans"], report["dry_run"]) == (0, 1, 1, True)
    assert Prediction.objects.filter(pk=old.pk).exists()
    assert (media / orphan).exists()


def test_a_row_whose_file_is_missing_is_reported_not_deleted(owner: User, classified, media: Path) -> None:
    prediction = stored(owner, classified, 0)
    (media / prediction.image.name).unlink()
    code, report = run()
    assert (code, report["missing"]) == (0, 1)
    assert report["missing_files"] == [prediction.image.name]
    assert Prediction.objects.filter(pk=prediction.pk).exists()


def test_it_prints_a_readable_summary(owner: User, classified) -> None:
    keep_for(owner, 1)
    stored(owner, classified, 3)
    result = CliRunner().invoke(cli, ["cleanup"])
    assert result.exit_code == 0
    assert "removed 1 stored predictions and 0 orphaned files" in result.output


@pytest.mark.parametrize("bad", ["30", "30 days", "0d", "-1d", "d"])
def test_a_bad_duration_is_a_usage_error(bad: str, db) -> None:
    result = CliRunner().invoke(cli, ["cleanup", "--older-than", bad])
    assert result.exit_code == 2
    assert "is not a duration such as 30d" in result.output


def test_the_worker_runs_the_cleanup_daily(owner: User, classified) -> None:
    entry = app.conf.beat_schedule["cleanup"]
    assert entry["task"] == tasks.cleanup.name
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({3}, {17})  # once a day, at night
    keep_for(owner, 1)
    stored(owner, classified, 2)
    assert tasks.cleanup()["predictions"] == 1
    assert not Prediction.objects.exists()
