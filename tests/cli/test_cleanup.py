"""`museion cleanup`: durations, the summary, --json and --dry-run. What it removes: tests/web."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from museion.accounts.models import User
from museion.cli import cli
from museion.cli.cleanup import Duration
from museion.recognition import services
from museion.recognition.models import Prediction
from museion.vision.catalog import DEFAULT_CLASSIFIER
from tests.conftest import IMAGES
from tests.web.conftest import media, owner

__all__ = ["media", "owner"]


@pytest.fixture
def old_prediction(owner: User) -> Prediction:
    data = (IMAGES / "parrot.jpg").read_bytes()
    prediction = services.store(
        owner, services.predict(data, services.servable_model(DEFAULT_CLASSIFIER)), data
    )
    Prediction.objects.filter(pk=prediction.pk).update(created=timezone.now() - timedelta(hours=13))
    return prediction


def invoke(*args: str):
    return CliRunner().invoke(cli, ["cleanup", *args])


@pytest.mark.parametrize(
    ("text", "expected"),
    [("30d", timedelta(days=30)), ("12h", timedelta(hours=12)), ("90m", timedelta(minutes=90))],
)
def test_it_reads_durations_in_days_hours_and_minutes(text: str, expected: timedelta) -> None:
    assert Duration().convert(text, None, None) == expected


@pytest.mark.parametrize("bad", ["30", "30 days", "0d", "-1d", "d", "1w", "1.5d"])
def test_a_bad_duration_is_a_usage_error(bad: str, db) -> None:
    result = invoke("--older-than", bad)
    assert result.exit_code == 2
    assert "is not a duration such as 30d, 12h or 90m" in result.output


def test_with_nothing_to_do_it_says_so_and_exits_0(db) -> None:
    result = invoke()
    assert result.exit_code == 0
    assert (
        "removed 0 stored predictions, 0 videos whose frames never came, 0 visitors' photos past their "
        "retention and 0 orphaned files" in result.output
    )


def test_older_than_removes_what_the_retention_keeps_and_prints_json(old_prediction: Prediction) -> None:
    assert invoke("--older-than", "1d", "--json").exit_code == 0
    assert Prediction.objects.filter(pk=old_prediction.pk).exists()  # kept for ever by default
    result = invoke("--older-than", "12h", "--json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert (report["predictions"], report["dry_run"]) == (1, False)
    assert report["prediction_bytes"] > 0
    assert not Prediction.objects.exists()


def test_a_dry_run_says_what_would_go_and_removes_nothing(old_prediction: Prediction) -> None:
    result = invoke("--older-than", "12h", "--dry-run")
    assert result.exit_code == 0
    assert "would remove 1 stored predictions" in result.output
    assert Prediction.objects.filter(pk=old_prediction.pk).exists()
    assert default_storage.exists(old_prediction.image.name)


def test_it_warns_of_rows_whose_file_is_missing(old_prediction: Prediction) -> None:
    default_storage.delete(old_prediction.thumbnail.name)
    default_storage.save("albums/1/fresh.jpg", ContentFile(b"x"))  # in flight: neither removed nor reported
    result = invoke()
    assert result.exit_code == 0
    assert "1 stored rows name a file that is missing" in result.stderr
    assert old_prediction.thumbnail.name in result.stderr
    assert default_storage.exists("albums/1/fresh.jpg")
