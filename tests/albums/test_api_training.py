"""Training an album from clips: jobs, versions, metrics, prediction, bundles, cancellation, failure."""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from PIL import Image, ImageOps

from museion.albums import jobs, tasks, training
from museion.albums.models import Album, Embedding, Job, ModelVersion
from museion.vision.head import Head
from museion.vision.train import TrainOptions
from tests.albums.conftest import ApiCaller, Team, cleanup, jpeg, make_team, module_data
from tests.conftest import IMAGES
from tests.hostile import thin_pngs
from tests.media import render_clip

CLASSES = {
    "owl": ("owl.jpg", "The Owl", "A tawny owl, oil on canvas.", "https://museum.example.org/owl"),
    "parrot": (
        "parrot.jpg",
        "The Parrot",
        "A macaw in the tropical house.",
        "https://museum.example.org/parrot",
    ),
    "sunflower": ("sunflower.bmp", "Sunflower", "After Van Gogh.", "https://museum.example.org/sunflower"),
}


@dataclass
class Trained:
    team: Team
    album: int
    slug: str
    job: dict
    classes: dict[str, int]
    root: Path


@pytest.fixture(scope="module")
def trained(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[Trained]:
    """Three classes, each from a 4 s clip of one photo, trained once for the module (v1)."""
    root = tmp_path_factory.mktemp("trained-media")
    with module_data(django_db_blocker, root):
        team = make_team("-training")
        api = ApiCaller(Client(), team, "editor")
        album = api.post("/albums", {"name": "Birds and flowers", "workspace": team.workspace.pk}).json()
        ids = {}
        for name, (photo, title, description, url) in CLASSES.items():
            body = {"name": name, "title": title, "description": description, "url": url}
            ids[name] = api.post(f"/albums/{album['id']}/classes", body).json()["id"]
            clip = render_clip(Image.open(IMAGES / photo), 4)
            upload = api.upload(f"/albums/{album['id']}/classes/{ids[name]}/media", "clip.mp4", clip)
            assert upload.status_code == 202, upload.content
        job = api.post(f"/albums/{album['id']}/train").json()["job"]
    yield Trained(team, album["id"], album["slug"], job, ids, root)
    with module_data(django_db_blocker, root):
        cleanup(team)


@pytest.fixture(autouse=True)
def media(trained: Trained, settings) -> Path:
    settings.MEDIA_ROOT = trained.root
    return trained.root


@pytest.fixture
def api(client: Client, trained: Trained, db) -> ApiCaller:
    return ApiCaller(client, trained.team, "editor")


def predict(api: ApiCaller, album: int, photo: bytes):
    return api.upload(f"/albums/{album}/predict", "photo.jpg", photo, field_name="image")


def published_number(album: int) -> int | None:
    version = Album.objects.get(pk=album).published_version
    return version.number if version else None


def test_training_from_three_clips_succeeds(api: ApiCaller, trained: Trained) -> None:
    job = api.get(f"/jobs/{trained.job['id']}").json()
    assert (job["kind"], job["status"], job["progress"], job["error"]) == ("train", "succeeded", 1.0, None)
    assert job["result"]["version"] == 1


def test_the_first_version_has_metrics_and_is_published(api: ApiCaller, trained: Trained) -> None:
    (version,) = api.get(f"/albums/{trained.album}/models").json()
    metrics = version["metrics"]
    assert (version["version"], version["published"]) == (1, True)
    assert metrics["classes"] == ["owl", "parrot", "sunflower"]
    assert metrics["accuracy"] >= 0.9
    assert set(metrics["per_class"]) == set(CLASSES)
    assert np.array(metrics["confusion"]).shape == (3, 3)
    assert isinstance(metrics["misclassified"], list)
    assert 0 < metrics["unknown_threshold"] <= 1
    assert api.get(f"/albums/{trained.album}").json()["published_version"] == 1


def test_a_version_trained_through_the_web_has_its_bundle_checked(api: ApiCaller, trained: Trained) -> None:
    (version,) = api.get(f"/albums/{trained.album}/models").json()
    check = version["metrics"]["export_check"]
    assert check["ok"] is True
    assert check["checked"] == check["agree"] >= 10  # 3 clips of 4 s at 2 fps: every picture counts
    assert check["verified_checked"] == check["verified_agree"] >= 10  # and the keypoint check too
    bundle = bundle_files(api, trained.album)
    assert json.loads(bundle.read("metrics.json"))["export_check"] == check


def test_the_web_path_reports_the_metrics_of_the_cli_path(api: ApiCaller, trained: Trained) -> None:
    (version,) = api.get(f"/albums/{trained.album}/models").json()
    assert {"train_examples", "seconds", "pictures", "split_in_time", "per_condition", "verification"} <= set(
        version["metrics"]
    )
    assert version["metrics"]["verification"] == "keypoints"
    stored = ModelVersion.objects.get(album=trained.album, number=1)
    head = Head.from_bytes(bytes(stored.head))
    assert head.classes == ["owl", "parrot", "sunflower"]
    assert head.global_threshold == pytest.approx(version["metrics"]["unknown_threshold"])
    assert head.threshold == pytest.approx(version["metrics"]["verified_threshold"])
    assert head.references is not None
    # The same views per picture as TrainOptions (one embedding, then its visitor-like views).
    (embedding, *_) = Embedding.objects.filter(media__album_class__album=trained.album)
    assert embedding.array().shape[0] == 1 + TrainOptions().views


def test_predicting_the_owl_photo_answers_the_owl_card(api: ApiCaller, trained: Trained) -> None:
    response = predict(api.as_("viewer"), trained.album, (IMAGES / "owl.jpg").read_bytes())
    assert response.status_code == 200
    body = response.json()
    _, title, description, url = CLASSES["owl"]
    assert (body["model_version"], body["unknown"]) == (1, False)
    best = body["predictions"][0]
    assert (best["label"], best["title"], best["description"], best["url"]) == (
        "owl",
        title,
        description,
        url,
    )
    assert best["score"] > 0.5


def test_predicting_a_photo_of_pets_answers_unknown(api: ApiCaller, trained: Trained) -> None:
    body = predict(api, trained.album, (IMAGES / "pets.jpg").read_bytes()).json()
    assert body["unknown"] is True


def test_predicting_with_no_trained_model_is_refused_409(api: ApiCaller, trained: Trained) -> None:
    Album.objects.filter(pk=trained.album).update(published_version=None)
    response = predict(api, trained.album, jpeg("owl.jpg"))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "no_model"


def test_retraining_with_a_fourth_class_embeds_only_its_pictures_and_makes_v2(
    api: ApiCaller, trained: Trained, eager, commit, monkeypatch
) -> None:
    cat = api.post(f"/albums/{trained.album}/classes", {"name": "cat", "title": "Cat"}).json()["id"]
    photos = [jpeg("cat.bmp"), jpeg("cat_720p.jpg"), jpeg("cat.bmp", (200, 160))]
    for i, photo in enumerate(photos):
        assert (
            api.upload(f"/albums/{trained.album}/classes/{cat}/media", f"cat{i}.jpg", photo).status_code
            == 202
        )
    calls = []

    def counting(image, backbone, seed):
        calls.append(seed)
        return real(image, backbone, seed)

    real = training.vectors_for
    monkeypatch.setattr(training, "vectors_for", counting)
    before = Embedding.objects.count()
    with commit():
        job = api.post(f"/albums/{trained.album}/train").json()["job"]
    assert api.get(f"/jobs/{job['id']}").json()["status"] == "succeeded"
    assert len(calls) == len(photos)
    assert Embedding.objects.count() == before + len(photos)
    versions = api.get(f"/albums/{trained.album}/models").json()
    assert [v["version"] for v in versions] == [2, 1]
    assert versions[0]["metrics"]["classes"] == ["cat", "owl", "parrot", "sunflower"]
    # v2 is a candidate: v1 stays live until the curator publishes v2 (auto_publish is off).
    assert [v["status"] for v in versions] == ["candidate", "live"]
    assert published_number(trained.album) == 1


def bundle_files(api: ApiCaller, album: int) -> zipfile.ZipFile:
    response = api.get(f"/albums/{album}/models/1/bundle")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    data = b"".join(response.streaming_content)
    return zipfile.ZipFile(io.BytesIO(data))


def test_the_bundle_holds_model_labels_preprocessing_metrics_and_readme(
    api: ApiCaller, trained: Trained
) -> None:
    bundle = bundle_files(api, trained.album)
    assert sorted(bundle.namelist()) == sorted(
        [
            *("model.onnx", "labels.json", "preprocess.json", "metrics.json", "README.md", "head.npz"),
            *("viewer/index.html", "viewer/recognizer.js"),  # the bundle's own viewer, as when trained
        ]
    )
    labels = json.loads(bundle.read("labels.json"))
    assert [label["name"] for label in labels] == ["owl", "parrot", "sunflower"]
    assert labels[0]["title"] == "The Owl"
    assert json.loads(bundle.read("metrics.json"))["classes"] == ["owl", "parrot", "sunflower"]


def centre_crop(path: Path, size: int = 224) -> np.ndarray:
    image = ImageOps.exif_transpose(Image.open(path)).convert("RGB")
    ratio = size / min(image.size)
    image = image.resize((max(size, round(image.width * ratio)), max(size, round(image.height * ratio))))
    left, top = (image.width - size) // 2, (image.height - size) // 2
    return np.asarray(image.crop((left, top, left + size, top + size)), np.uint8)


def test_the_bundle_model_run_with_onnxruntime_agrees_with_the_api(api: ApiCaller, trained: Trained) -> None:
    bundle = bundle_files(api, trained.album)
    session = ort.InferenceSession(bundle.read("model.onnx"), providers=["CPUExecutionProvider"])
    labels = json.loads(bundle.read("labels.json"))
    (probabilities,) = session.run(["probabilities"], {"image": centre_crop(IMAGES / "owl.jpg")[None]})
    ours = predict(api, trained.album, (IMAGES / "owl.jpg").read_bytes()).json()["predictions"][0]
    assert labels[int(np.argmax(probabilities[0]))]["name"] == ours["label"] == "owl"
    assert float(probabilities[0].max()) == pytest.approx(ours["score"], abs=0.05)


def test_training_with_fewer_than_two_classes_with_pictures_is_refused(
    api: ApiCaller, trained: Trained
) -> None:
    album = api.post("/albums", {"name": "Lonely", "workspace": trained.team.workspace.pk}).json()["id"]
    one = api.post(f"/albums/{album}/classes", {"name": "one"}).json()["id"]
    api.post(f"/albums/{album}/classes", {"name": "two"})
    api.upload(f"/albums/{album}/classes/{one}/media", "owl.jpg", jpeg())
    response = api.post(f"/albums/{album}/train")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "not_enough_classes"
    assert not Job.objects.filter(album=album).exists()


@pytest.mark.parametrize("status", [Job.Status.QUEUED, Job.Status.RUNNING])
def test_a_second_training_while_one_is_queued_or_running_is_refused_409(
    api: ApiCaller, trained: Trained, status: str
) -> None:
    first = api.post(f"/albums/{trained.album}/train")
    assert first.status_code == 202
    Job.objects.filter(pk=first.json()["job"]["id"]).update(status=status)
    second = api.post(f"/albums/{trained.album}/train")
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "already_training"
    assert Job.objects.filter(album=trained.album, kind="train").count() == 2


def test_a_cancelled_queued_job_never_runs(api: ApiCaller, trained: Trained) -> None:
    job = api.post(f"/albums/{trained.album}/train").json()["job"]
    assert job["status"] == "queued"
    cancelled = api.post(f"/jobs/{job['id']}/cancel")
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    tasks.train(job["id"])  # the worker picks the message up afterwards
    found = Job.objects.get(pk=job["id"])
    assert (found.status, found.started) == ("cancelled", None)
    assert ModelVersion.objects.filter(album=trained.album).count() == 1
    assert api.post(f"/jobs/{job['id']}/cancel").status_code == 409


def test_a_job_whose_work_raises_fails_with_the_error_and_keeps_the_model(
    api: ApiCaller, trained: Trained, eager, commit, monkeypatch
) -> None:
    def broken(job, report):
        report(0.1, "embedding")
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(training, "train_album", broken)
    with commit():
        job = api.post(f"/albums/{trained.album}/train").json()["job"]
    body = api.get(f"/jobs/{job['id']}").json()
    assert (body["status"], body["error"]) == ("failed", "the disk is full")
    assert published_number(trained.album) == 1
    assert ModelVersion.objects.filter(album=trained.album).count() == 1


def test_a_running_job_with_an_old_heartbeat_is_marked_failed(api: ApiCaller, trained: Trained) -> None:
    album = Album.objects.get(pk=trained.album)
    old = timezone.now() - timedelta(seconds=settings.JOB_STALE_SECONDS + 5)
    stale = Job.objects.create(album=album, kind="train", status="running", started=old, heartbeat=old)
    alive = Job.objects.create(album=album, kind="video", status="running", heartbeat=timezone.now())
    assert jobs.fail_stale() == 1
    stale.refresh_from_db()
    assert (stale.status, stale.finished is not None) == ("failed", True)
    assert "stopped" in stale.error
    assert Job.objects.get(pk=alive.pk).status == "running"


def test_reading_a_job_fails_it_when_its_worker_went_silent(api: ApiCaller, trained: Trained) -> None:
    old = timezone.now() - timedelta(hours=1)
    job = Job.objects.create(album_id=trained.album, kind="train", status="running", heartbeat=old)
    assert api.as_("viewer").get(f"/jobs/{job.pk}").json()["status"] == "failed"


def test_a_run_cancelled_while_embedding_stops_and_keeps_the_model(
    api: ApiCaller, trained: Trained, eager, commit, monkeypatch
) -> None:
    real = training.examples_for

    def cancel_then_continue(album, report):
        jobs.cancel(Job.objects.get(album=album, status="running"))
        return real(album, report)

    monkeypatch.setattr(training, "examples_for", cancel_then_continue)
    with commit():
        job = api.post(f"/albums/{trained.album}/train").json()["job"]
    assert api.get(f"/jobs/{job['id']}").json()["status"] == "cancelled"
    assert ModelVersion.objects.filter(album=trained.album).count() == 1
    assert published_number(trained.album) == 1


def test_a_run_cancelled_just_before_saving_does_not_replace_the_model(
    api: ApiCaller, trained: Trained, eager, commit, monkeypatch
) -> None:
    real = training.save_version

    def cancel_then_save(job, *args):
        jobs.cancel(job)
        return real(job, *args)

    monkeypatch.setattr(training, "save_version", cancel_then_save)
    bundles = {p.name for p in (trained.root / f"albums/{trained.album}/models").iterdir()}
    with commit():
        job = api.post(f"/albums/{trained.album}/train").json()["job"]
    assert api.get(f"/jobs/{job['id']}").json()["status"] == "cancelled"
    assert ModelVersion.objects.filter(album=trained.album).count() == 1
    assert published_number(trained.album) == 1
    assert {p.name for p in (trained.root / f"albums/{trained.album}/models").iterdir()} == bundles


def test_visitors_can_predict_only_once_the_album_is_published(
    client: Client, api: ApiCaller, trained: Trained
) -> None:
    photo = (IMAGES / "owl.jpg").read_bytes()

    def visit():
        from django.core.files.uploadedfile import SimpleUploadedFile

        return client.post(
            f"/api/v1/v/{trained.slug}/predict", {"image": SimpleUploadedFile("owl.jpg", photo)}
        )

    hidden = visit()
    assert (hidden.status_code, hidden.json()["error"]["code"]) == (404, "not_found")
    assert api.patch(f"/albums/{trained.album}", {"published": True}).json()["published"] is True
    shown = visit()
    assert shown.status_code == 200
    assert shown.json()["predictions"][0]["title"] == "The Owl"


def test_training_classes_of_one_photo_each_succeeds_and_says_nothing_was_held_out(
    api: ApiCaller, trained: Trained, eager, commit
) -> None:
    album = api.post("/albums", {"name": "Pairs", "workspace": trained.team.workspace.pk}).json()["id"]
    for name in ("owl", "parrot"):
        found = api.post(f"/albums/{album}/classes", {"name": name}).json()["id"]
        api.upload(f"/albums/{album}/classes/{found}/media", f"{name}.jpg", jpeg(f"{name}.jpg"))
    with commit():
        job = api.post(f"/albums/{album}/train").json()["job"]
    body = api.get(f"/jobs/{job['id']}").json()
    assert (body["status"], body["error"]) == ("succeeded", None)
    (version,) = api.get(f"/albums/{album}/models").json()
    # Calibrated on phone photos of the training pictures themselves, and said so.
    assert version["metrics"]["validated"] == 2
    assert any("no picture could be held out" in w for w in version["metrics"]["warnings"])
    assert predict(api, album, jpeg("owl.jpg")).json()["predictions"][0]["label"] == "owl"


def test_an_album_lists_its_jobs_newest_first(api: ApiCaller, trained: Trained) -> None:
    album = Album.objects.get(pk=trained.album)
    first = Job.objects.create(album=album, kind="video", status="succeeded")
    latest = Job.objects.create(album=album, kind="train", status="queued")
    listed = [j["id"] for j in api.get(f"/albums/{trained.album}/jobs").json()]
    assert listed.index(latest.pk) < listed.index(first.pk)
    assert all(Job.objects.get(pk=i).album_id == trained.album for i in listed)


@pytest.mark.parametrize("name", sorted(thin_pngs()))
def test_album_and_visitor_predictions_take_a_thin_picture_in_moments(
    client: Client, api: ApiCaller, trained: Trained, name: str
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = thin_pngs()[name]
    Album.objects.filter(pk=trained.album).update(published=True)
    started = time.monotonic()
    answered = predict(api, trained.album, data)
    visited = client.post(f"/api/v1/v/{trained.slug}/predict", {"image": SimpleUploadedFile(name, data)})
    assert time.monotonic() - started < 10
    for response in (answered, visited):
        assert response.status_code == 200, response.content
        assert len(response.json()["predictions"]) >= 1


def test_training_on_thin_pictures_succeeds_in_moments(
    api: ApiCaller, trained: Trained, eager, commit
) -> None:
    album = api.post("/albums", {"name": "Strips", "workspace": trained.team.workspace.pk}).json()["id"]
    for i, name in enumerate(("owl", "parrot")):
        found = api.post(f"/albums/{album}/classes", {"name": name}).json()["id"]
        api.upload(f"/albums/{album}/classes/{found}/media", f"{name}.jpg", jpeg(f"{name}.jpg"))
        for thin, data in list(thin_pngs().items())[i::2]:
            assert api.upload(f"/albums/{album}/classes/{found}/media", thin, data).status_code == 202
    started = time.monotonic()
    with commit():
        job = api.post(f"/albums/{album}/train").json()["job"]
    body = api.get(f"/jobs/{job['id']}").json()
    assert (body["status"], body["error"]) == ("succeeded", None)
    assert time.monotonic() - started < 60
