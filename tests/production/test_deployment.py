"""One web node and two worker processes on each stack (see conftest): the album path end to end,
jobs shared by the workers, and the faults an operator meets: a worker killed mid-training, the
database or the broker gone for a while."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import IMAGES
from tests.media import render_clip
from tests.production.conftest import JOB_STALE_SECONDS, PRODUCTION, Api, Deployment
from tests.proxy import Proxy

WORKS = {"parrot": "parrot.jpg", "owl": "owl.jpg", "hot_dog": "hot_dog.jpg"}
RECOVERY_S = 30


@pytest.fixture(scope="session")
def album(deployment: Deployment) -> dict:
    """An album of three works, a clip of each (frames extracted by the workers), trained once."""
    images = IMAGES
    api = deployment.api
    status, album, _ = api.call("POST", "/albums", {"name": f"Gallery {deployment.stack.name}", "fps": 4})
    assert status == 201, album
    jobs = []
    for name, photo in WORKS.items():
        status, found, _ = api.call("POST", f"/albums/{album['id']}/classes", {"name": name, "title": name})
        assert status == 201, found
        clip = render_clip(Image.open(images / photo), seconds=3)
        status, added, _ = api.upload(
            f"/albums/{album['id']}/classes/{found['id']}/media", (f"{name}.mp4", clip)
        )
        assert status == 202, added
        jobs.append(added["job"]["id"])
    for job in jobs:
        assert api.wait_job(job)["status"] == "succeeded"
    assert train(api, album["id"])["status"] == "succeeded"
    return album


def train(api: Api, album_id: int) -> dict:
    status, body, _ = api.call("POST", f"/albums/{album_id}/train")
    assert status == 202, body
    return api.wait_job(body["job"]["id"])


def versions(api: Api, album_id: int) -> list[dict]:
    status, found, _ = api.call("GET", f"/albums/{album_id}/models")
    assert status == 200, found
    return found


def test_two_workers_share_the_jobs_and_the_album_recognizes_its_works(
    deployment: Deployment, album: dict, images: Path
) -> None:
    ran = [w.ran("museion.albums.extract_video") for w in deployment.workers[:2]]
    assert sum(ran) == len(WORKS)
    assert min(ran) >= 1, f"one worker took every video job: {ran}"
    assert sum(w.ran("museion.albums.train") for w in deployment.workers) == 1
    status, answer, _ = deployment.api.upload(f"/albums/{album['id']}/predict", images / "owl.jpg", "image")
    assert status == 200, answer
    assert (answer["unknown"], answer["predictions"][0]["label"]) == (False, "owl")
    status, _, bundle = deployment.web.request(
        "GET", f"/api/v1/albums/{album['id']}/models/1/bundle", headers=deployment.api.headers
    )
    assert (status, bundle[:2]) == (200, b"PK")


def test_a_worker_killed_while_training_leaves_a_failed_job_and_the_published_model(
    deployment: Deployment, album: dict
) -> None:
    api = deployment.api
    # New frames to embed make this training last seconds, not a fraction of one.
    parrot = next(c for c in api.call("GET", f"/albums/{album['id']}/classes")[1] if c["name"] == "parrot")
    clip = ("again.mp4", render_clip(Image.open(IMAGES / "parrot.jpg"), seconds=6, size=(400, 300)))
    status, added, _ = api.upload(f"/albums/{album['id']}/classes/{parrot['id']}/media", clip)
    assert api.wait_job(added["job"]["id"])["status"] == "succeeded"
    before, files = versions(api, album["id"]), deployment.media_files()
    status, body, _ = api.call("POST", f"/albums/{album['id']}/train")
    assert status == 202, body
    job = api.wait_job(body["job"]["id"], until=("running", "succeeded", "failed"), every=0.02)
    assert job["status"] == "running", "training ended before a worker could be killed"
    for worker in deployment.workers:  # whichever runs it: the machine is lost
        worker.kill()
    started = time.monotonic()
    job = api.wait_job(job["id"])
    assert job["status"] == "failed"
    assert "stopped" in job["error"]
    assert time.monotonic() - started < JOB_STALE_SECONDS + RECOVERY_S
    assert versions(api, album["id"]) == before  # the published model is untouched
    assert deployment.media_files() == files  # nothing half-written was left
    for worker in (deployment.start_worker(), deployment.start_worker()):
        worker.wait_ready()
    assert train(api, album["id"])["status"] == "succeeded"  # new workers take training again
    assert [v["version"] for v in versions(api, album["id"])] == [2, 1]


def production(deployment: Deployment) -> Deployment:
    if deployment.stack not in PRODUCTION:
        pytest.skip("the embedded stack's database and broker are files, never unreachable")
    return deployment


def recovers(call, expected: int) -> tuple[int, dict]:
    deadline = time.monotonic() + RECOVERY_S
    while True:
        status, body, _ = call()
        if status == expected or time.monotonic() > deadline:
            return status, body
        time.sleep(0.5)


def assert_unavailable(answer: tuple[int, dict, dict], what: str) -> None:
    status, body, headers = answer
    assert status == 503, body
    assert body["error"]["code"] == "unavailable"
    assert what in body["error"]["message"]
    assert int(headers["Retry-After"]) > 0


def test_with_the_database_down_requests_answer_503_and_recover(deployment: Deployment, images: Path) -> None:
    deployment = production(deployment)
    api, database = deployment.api, deployment.services.database
    assert isinstance(database, Proxy)
    status, first, _ = api.upload("/predict", images / "parrot.jpg", "image")
    assert status == 200, first
    stored = api.call("GET", "/predictions")[1]["total"]
    files = deployment.media_files()
    database.down()
    try:
        assert_unavailable(api.upload("/predict", images / "parrot.jpg", "image"), "database")
        assert_unavailable(api.call("GET", "/predictions"), "database")
        assert_unavailable(api.call("GET", f"/predictions/{first['id']}"), "database")
        assert deployment.media_files() == files  # the refused prediction left no photo behind
    finally:
        database.up()
    status, second = recovers(lambda: api.upload("/predict", images / "parrot.jpg", "image"), 200)
    assert status == 200, second
    status, listed, _ = api.call("GET", "/predictions")
    assert listed["total"] == stored + 1
    assert {i["id"] for i in listed["items"]} >= {first["id"], second["id"]}


def test_with_the_broker_down_jobs_answer_503_and_recover(
    deployment: Deployment, album: dict, images: Path
) -> None:
    deployment = production(deployment)
    api, broker = deployment.api, deployment.services.broker
    assert isinstance(broker, Proxy)
    owl = next(c for c in api.call("GET", f"/albums/{album['id']}/classes")[1] if c["name"] == "owl")
    media = f"/albums/{album['id']}/classes/{owl['id']}/media"
    clip = ("owl.mp4", render_clip(Image.open(images / "owl.jpg"), seconds=1))
    photos = len(api.call("GET", media)[1])
    files = deployment.media_files()
    broker.down()
    try:
        assert_unavailable(api.call("POST", f"/albums/{album['id']}/train"), "job queue")
        assert_unavailable(api.upload(media, clip), "job queue")
        assert deployment.media_files() == files  # the refused video is not kept
        status, added, _ = api.upload(media, images / "owl.jpg")  # photos need no worker
        assert status == 202, added
    finally:
        broker.up()
    listed = api.call("GET", f"/albums/{album['id']}/jobs")[1]
    assert listed[0]["status"] == "failed"  # the training that could not be queued
    assert "job queue" in listed[0]["error"]
    assert not [j for j in listed if j["status"] in ("queued", "running")]
    assert len(api.call("GET", media)[1]) == photos + 1
    status, body = recovers(lambda: api.call("POST", f"/albums/{album['id']}/train"), 202)
    assert status == 202, body
    assert api.wait_job(body["job"]["id"])["status"] == "succeeded"


def test_a_web_node_killed_during_uploads_keeps_every_acknowledged_one_whole(
    deployment: Deployment, album: dict
) -> None:
    api = deployment.api
    hot_dog = next(c for c in api.call("GET", f"/albums/{album['id']}/classes")[1] if c["name"] == "hot_dog")
    media = f"/albums/{album['id']}/classes/{hot_dog['id']}/media"
    photos = [(IMAGES / n).read_bytes() for n in ("hot_dog.jpg", "cat_720p.jpg", "kite_and_cold.jpg")]
    root = deployment.home / "media" / "albums" / str(album["id"])
    before = set(root.glob("*.jpg"))
    acknowledged: list[tuple[int, bytes]] = []
    stop = threading.Event()

    def uploader(n: int) -> None:
        while not stop.is_set():
            photo = photos[n % len(photos)]
            try:
                status, added, _ = api.upload(media, (f"upload-{n}.jpg", photo))
            except OSError:  # the server went away mid-request
                continue
            if status == 202:
                acknowledged.append((added["items"][0]["id"], photo))

    threads = [threading.Thread(target=uploader, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    time.sleep(3)
    deployment.kill_web()
    stop.set()
    for thread in threads:
        thread.join(30)
    assert acknowledged, "no upload was answered before the kill"
    deployment.start_web()
    listed = {item["id"]: item for item in api.call("GET", media)[1]}
    for item_id, photo in acknowledged:  # every answered upload is there, whole
        status, _, served = deployment.web.request("GET", listed[item_id]["image_url"], headers=api.headers)
        assert (status, served) == (200, photo)
    for path in set(root.glob("*.jpg")) - before:  # no half-written photo under a final name, row or not
        assert path.read_bytes() in photos, path
