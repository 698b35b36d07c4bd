"""Versions as the curator meets them: candidates and the live one, auto-publish, the threshold per
version, the operating point in words, live visitor information, and the bundle's snapshot."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from museion.albums import training, versions
from museion.albums.models import Album, AlbumClass, Job, ModelVersion
from museion.vision.head import Head, rates_at
from tests.albums.conftest import ApiCaller, World, make_album, trained_world
from tests.conftest import IMAGES

SIZES = ((320, 240), (240, 320), (300, 300))


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[World]:
    """Owl and parrot, three photos each, trained once (v1, live by itself), the visitors' page on."""
    root = tmp_path_factory.mktemp("versions-media")
    with trained_world(django_db_blocker, root, "-versions", SIZES) as world:
        with django_db_blocker.unblock():
            Album.objects.filter(pk=world.album.pk).update(published=True)
        yield world


@pytest.fixture(autouse=True)
def media(world: World, settings) -> Path:
    settings.MEDIA_ROOT = world.root
    return world.root


@pytest.fixture
def api(client: Client, world: World, db) -> ApiCaller:
    return ApiCaller(client, world.team, "editor")


@pytest.fixture
def v1(world: World, db) -> ModelVersion:
    return ModelVersion.objects.get(album=world.album, number=1)


def album_path(world: World) -> str:
    return f"/albums/{world.album.pk}"


def copy_of(version: ModelVersion, number: int, metrics: dict | None = None) -> ModelVersion:
    """Another version of the same album with the same model (and other metrics, if given)."""
    return ModelVersion.objects.create(
        album=version.album, number=number, backbone=version.backbone, classes=version.classes,
        head=version.head, bundle=version.bundle, size=version.size, metrics=metrics or version.metrics,
    )  # fmt: skip


def worse(metrics: dict) -> dict:
    """The same figures with every known photo named wrong: top-1 0."""
    scores = {**metrics["scores"], "known": [[s, 0] for s, _ in metrics["scores"]["known"]]}
    return {**metrics, "accuracy": 0.0, "scores": scores}


def visit(client: Client, world: World, name: str = "owl.jpg"):
    photo = SimpleUploadedFile(name, (IMAGES / name).read_bytes())
    return client.post(f"/api/v1/v/{world.album.slug}/predict", {"image": photo})


def trained_again(world: World, metrics: dict) -> ModelVersion:
    """What a finished training run saves: a version through `training.save_version`."""
    v1 = ModelVersion.objects.get(album=world.album, number=1)
    job = Job.objects.create(album=world.album, kind=Job.Kind.TRAIN, status=Job.Status.RUNNING)
    head = Head.from_bytes(bytes(v1.head))
    return training.save_version(job, head, v1.classes, json.loads(json.dumps(metrics)))


# ---- candidates and the live version -----------------------------------------------


def test_the_first_version_of_an_album_goes_live_by_itself(api: ApiCaller, world: World) -> None:
    (version,) = api.get(f"{album_path(world)}/models").json()
    assert (version["version"], version["status"], version["published"]) == (1, "live", True)
    assert version["comparison"] is None
    assert api.get(album_path(world)).json()["published_version"] == 1


def test_a_finished_training_makes_a_candidate_while_a_version_is_live(
    api: ApiCaller, world: World, v1
) -> None:
    made = trained_again(world, v1.metrics)
    assert made.number == 2
    assert Album.objects.get(pk=world.album.pk).published_version_id == v1.pk
    body = api.get(f"{album_path(world)}/models/2").json()
    assert (body["status"], body["published"]) == ("candidate", False)
    assert body["comparison"] == {
        "live_version": 1,
        "better": True,
        "deltas": {"accuracy": 0.0, "known_refused": 0.0, "unknown_refused": 0.0},
    }


def test_with_auto_publish_a_version_as_good_as_the_live_one_goes_live(
    api: ApiCaller, world: World, v1
) -> None:
    assert api.patch(album_path(world), {"auto_publish": True}).json()["auto_publish"] is True
    made = trained_again(world, v1.metrics)
    assert api.get(album_path(world)).json()["published_version"] == made.number
    assert api.get(f"{album_path(world)}/models/{made.number}").json()["status"] == "live"


def test_with_auto_publish_a_worse_version_stays_a_candidate_and_says_so(
    api: ApiCaller, world: World, v1
) -> None:
    api.patch(album_path(world), {"auto_publish": True})
    made = trained_again(world, worse(v1.metrics))
    assert api.get(album_path(world)).json()["published_version"] == 1
    comparison = api.get(f"{album_path(world)}/models/{made.number}").json()["comparison"]
    assert (comparison["live_version"], comparison["better"]) == (1, False)
    assert comparison["deltas"]["accuracy"] == pytest.approx(-v1.metrics["accuracy"])


def test_publishing_makes_a_candidate_live_and_an_earlier_version_live_again(
    api: ApiCaller, world: World, v1
) -> None:
    copy_of(v1, 2)
    assert api.post(f"{album_path(world)}/models/2/publish").json()["status"] == "live"
    assert [v["status"] for v in api.get(f"{album_path(world)}/models").json()] == ["live", "candidate"]
    assert api.post(f"{album_path(world)}/models/1/publish").json()["status"] == "live"  # a rollback
    assert api.get(album_path(world)).json()["published_version"] == 1


@pytest.mark.parametrize(
    ("role", "status"), [("owner", 200), ("editor", 200), ("viewer", 403), ("outsider", 404)]
)
def test_auto_publish_is_changed_by_editors_only(
    api: ApiCaller, world: World, role: str, status: int
) -> None:
    response = api.as_(role).patch(album_path(world), {"auto_publish": True})
    assert response.status_code == status
    assert Album.objects.get(pk=world.album.pk).auto_publish is (status == 200)


def test_auto_publish_is_off_by_default(api: ApiCaller, world: World) -> None:
    assert api.get(album_path(world)).json()["auto_publish"] is False


# ---- the threshold per version ----------------------------------------------------


def test_the_operating_point_at_the_calibrated_threshold_is_what_training_measured(
    api: ApiCaller, world: World, v1
) -> None:
    body = api.get(f"{album_path(world)}/models/1").json()
    point, metrics = body["operating_point"], v1.metrics
    assert body["threshold"] == body["calibrated_threshold"] == pytest.approx(metrics["verified_threshold"])
    assert point["known_refused"] == pytest.approx(metrics["known_refused"])
    assert point["unknown_refused"] == pytest.approx(metrics["unknown_refused"])
    assert point["answered_right"] == pytest.approx(metrics["answered_right"])
    assert point["known_photos"] == metrics["validated"]
    assert point["sentences"][0].startswith("At this setting, ")


@pytest.mark.parametrize(
    ("role", "status"), [("owner", 200), ("editor", 200), ("viewer", 403), ("outsider", 404)]
)
def test_the_threshold_is_set_by_editors_only(
    api: ApiCaller, world: World, v1, role: str, status: int
) -> None:
    response = api.as_(role).patch(f"{album_path(world)}/models/1", {"threshold": 1.2})
    assert response.status_code == status
    v1.refresh_from_db()
    assert v1.threshold == (1.2 if status == 200 else None)


def test_a_threshold_moves_the_operating_point_and_null_resets_it(api: ApiCaller, world: World, v1) -> None:
    body = api.patch(f"{album_path(world)}/models/1", {"threshold": 1.5}).json()
    assert body["threshold"] == 1.5
    assert body["operating_point"]["known_refused"] == 1.0  # nothing scores 1.5: every photo is refused
    expected = {**rates_at(v1.metrics["scores"], 1.5), "accuracy": v1.metrics["accuracy"]}
    assert body["operating_point"] == {**expected, "sentences": body["operating_point"]["sentences"]}
    reset = api.patch(f"{album_path(world)}/models/1", {"threshold": None}).json()
    assert reset["threshold"] == pytest.approx(reset["calibrated_threshold"])
    assert ModelVersion.objects.get(pk=v1.pk).threshold is None


@pytest.mark.parametrize("value", [-0.1, 1.6, "high"])
def test_a_threshold_out_of_bounds_is_refused_400(api: ApiCaller, world: World, value: object) -> None:
    assert api.patch(f"{album_path(world)}/models/1", {"threshold": value}).status_code == 400


def test_a_version_trained_before_scores_were_kept_refuses_a_threshold_409(
    api: ApiCaller, world: World, v1
) -> None:
    copy_of(v1, 2, {key: value for key, value in v1.metrics.items() if key != "scores"})
    response = api.patch(f"{album_path(world)}/models/2", {"threshold": 0.9})
    assert (response.status_code, response.json()["error"]["code"]) == (409, "no_validation_scores")


def test_the_visitors_answer_is_decided_on_the_versions_threshold(
    client: Client, api: ApiCaller, world: World
) -> None:
    known = visit(client, world).json()
    assert (known["unknown"], known["predictions"][0]["label"]) == (False, "owl")
    assert known["decision_score"] >= known["threshold"]
    api.patch(f"{album_path(world)}/models/1", {"threshold": 1.5})
    refused = visit(client, world).json()
    assert (refused["unknown"], refused["threshold"]) == (True, 1.5)
    # Refused, the photo gets its second looks: each work keeps its best score, still below 1.5.
    assert known["decision_score"] <= refused["decision_score"] < 1.5


def test_the_bundle_carries_the_threshold_in_use_and_a_dated_snapshot_of_the_text(
    api: ApiCaller, world: World, v1
) -> None:
    owl = world.album.classes.get(name="owl")
    api.patch(f"{album_path(world)}/classes/{owl.pk}", {"title": "The Tawny Owl"})
    api.patch(f"{album_path(world)}/models/1", {"threshold": 1.0})
    response = api.get(f"{album_path(world)}/models/1/bundle")
    assert response["Content-Disposition"].startswith("attachment")
    bundle = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    labels = json.loads(bundle.read("labels.json"))
    assert [(label["name"], label["title"]) for label in labels] == [
        ("owl", "The Tawny Owl"),
        ("parrot", "Parrot"),
    ]
    assert all(label["snapshot_taken"] for label in labels)
    metrics = json.loads(bundle.read("metrics.json"))
    moved = 1.0 - v1.metrics["verified_threshold"]
    assert metrics["verified_threshold"] == 1.0
    assert metrics["unknown_threshold"] == pytest.approx(v1.metrics["unknown_threshold"] + moved)
    assert metrics["threshold_set_by"] == "curator"
    head = Head.from_bytes(bundle.read("head.npz"))
    assert (head.threshold, head.global_threshold) == (1.0, pytest.approx(metrics["unknown_threshold"]))
    assert "download the bundle again after editing" in bundle.read("README.md").decode()


# ---- live visitor information ------------------------------------------------------


def test_the_visitors_answer_carries_the_works_current_information(
    client: Client, api: ApiCaller, world: World
) -> None:
    owl = world.album.classes.get(name="owl")
    body = {"title": "Tawny Owl", "description": "Edited after training.", "url": "https://example.org/tawny"}
    assert api.patch(f"{album_path(world)}/classes/{owl.pk}", body).status_code == 200
    best = visit(client, world).json()["predictions"][0]
    assert (best["label"], best["title"], best["description"], best["url"]) == (
        "owl",
        "Tawny Owl",
        "Edited after training.",
        "https://example.org/tawny",
    )
    assert best["class_id"] == owl.pk
    picture = client.get(best["picture_url"])
    assert picture.status_code == 200
    Image.open(io.BytesIO(b"".join(picture.streaming_content))).verify()
    assert ModelVersion.objects.get(album=world.album, number=1).classes[0]["title"] == "Owl"  # the snapshot


def test_a_renamed_class_keeps_being_recognized_under_its_new_name(
    client: Client, api: ApiCaller, world: World
) -> None:
    owl = world.album.classes.get(name="owl")
    api.patch(f"{album_path(world)}/classes/{owl.pk}", {"name": "strix"})
    best = visit(client, world).json()["predictions"][0]
    assert (best["label"], best["class_id"]) == ("strix", owl.pk)


def test_a_class_deleted_since_training_is_answered_as_not_recognized(
    client: Client, api: ApiCaller, world: World
) -> None:
    owl = world.album.classes.get(name="owl")
    assert api.delete(f"{album_path(world)}/classes/{owl.pk}").status_code == 204
    body = visit(client, world).json()
    assert body["unknown"] is True
    assert [p["label"] for p in body["predictions"]] == ["parrot"]


def test_members_get_the_works_picture_through_the_album_the_same_visitors_see(
    client: Client, api: ApiCaller, world: World
) -> None:
    photo = SimpleUploadedFile("owl.jpg", (IMAGES / "owl.jpg").read_bytes())
    best = api.call("POST", f"{album_path(world)}/predict", files={"image": photo}).json()["predictions"][0]
    assert best["picture_url"].startswith(f"/api/v1{album_path(world)}/media/")
    members = api.get(best["picture_url"].removeprefix("/api/v1"))
    visitors = client.get(f"/api/v1/v/{world.album.slug}/works/{best['class_id']}/picture")
    assert b"".join(members.streaming_content) == b"".join(visitors.streaming_content)


def test_a_works_picture_is_hidden_once_the_visitors_page_is_off(client: Client, world: World, db) -> None:
    owl = world.album.classes.get(name="owl")
    path = f"/api/v1/v/{world.album.slug}/works/{owl.pk}/picture"
    assert client.get(path).status_code == 200
    Album.objects.filter(pk=world.album.pk).update(published=False)
    assert client.get(path).status_code == 404


def test_a_picture_of_another_albums_class_is_not_found_through_this_album(
    client: Client, world: World, db
) -> None:
    other = make_album(world.team, "Other")
    stranger = AlbumClass.objects.get(album=other, name="owl")
    assert client.get(f"/api/v1/v/{world.album.slug}/works/{stranger.pk}/picture").status_code == 404


# ---- plain words -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "words"),
    [(0.05, (1, 20)), (0.95, (19, 20)), (0.5, (1, 2)), (1 / 3, (1, 3)), (0.07, (1, 14)), (0.9, (9, 10))],
)
def test_a_share_is_said_as_a_simple_fraction(rate: float, words: tuple[int, int]) -> None:
    assert versions.fraction(rate) == words


def test_the_operating_point_reads_as_the_issue_asks() -> None:
    point = {"known_refused": 0.05, "unknown_refused": 0.95, "answered_right": 0.9, "known_photos": 20}
    assert versions.sentences(point) == [
        "At this setting, about 1 photo in 20 of your works is refused as not one of the album's works.",
        "About 19 photos in 20 of other things are refused.",
        "About 9 photos in 10 of your works are named right.",
    ]
    assert versions.sentences({**point, "known_refused": 0.0})[0] == (
        "At this setting, none of the 20 photos of your works is refused as not one of the album's works."
    )
