"""Media in an S3-compatible bucket: `museion serve` and its worker keep nothing on local disk.

The bucket is served by moto's S3-compatible server on loopback (no cloud is
reachable here); Museion talks to it with the real boto3 and django-storages,
over HTTP, as it would to MinIO or AWS.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import pytest
from PIL import Image

from tests.conftest import IMAGES
from tests.media import render_clip
from tests.processes import Server, free_port
from tests.production.conftest import Api

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "museion-test", "AWS_SECRET_ACCESS_KEY": "museion-test-secret"}


@pytest.fixture(scope="module")
def bucket(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """An empty bucket on a fresh S3-compatible server: (endpoint URL, bucket name)."""
    port = free_port()
    log = tmp_path_factory.mktemp("s3") / "moto.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], stdout=out, stderr=out
        )
    endpoint, name = f"http://127.0.0.1:{port}", f"museion-{uuid.uuid4().hex[:8]}"
    try:
        client = s3(endpoint)
        deadline = time.monotonic() + 30
        while True:
            try:
                client.create_bucket(Bucket=name)
                break
            except Exception:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail(f"the S3 server did not start:\n{log.read_text()[-2000:]}")
                time.sleep(0.2)
        yield endpoint, name
    finally:
        server.terminate()
        server.wait(10)


def s3(endpoint: str):
    import boto3

    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"])  # fmt: skip


def keys(endpoint: str, name: str) -> set[str]:
    listed = s3(endpoint).list_objects_v2(Bucket=name, Prefix="media/")
    return {o["Key"] for o in listed.get("Contents", [])}


@pytest.fixture(scope="module")
def web(bucket: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    endpoint, name = bucket
    env = {
        **CREDENTIALS,
        "MUSEION_S3_BUCKET": name,
        "MUSEION_S3_ENDPOINT_URL": endpoint,
        "MUSEION_S3_REGION": "us-east-1",
        "MUSEION_S3_PREFIX": "media",
        "MUSEION_RATE_LIMIT_IP": "0",
    }
    server = Server(tmp_path_factory.mktemp("s3-serve") / "home", (), **env)
    try:
        server.wait_healthy()
        yield server
    finally:
        server.close()


def test_albums_and_predictions_live_in_the_bucket(bucket: tuple[str, str], web: Server) -> None:
    endpoint, name = bucket
    api = Api(web)
    api.sign_up()
    status, album, _ = api.call("POST", "/albums", {"name": "Bucket gallery", "fps": 4})
    assert status == 201, album
    jobs = []
    for work in ("parrot", "owl"):
        found = api.call("POST", f"/albums/{album['id']}/classes", {"name": work})[1]
        media = f"/albums/{album['id']}/classes/{found['id']}/media"
        assert api.upload(media, IMAGES / f"{work}.jpg")[0] == 202
        clip = render_clip(Image.open(IMAGES / f"{work}.jpg"), seconds=2)
        status, added, _ = api.upload(media, (f"{work}.mp4", clip))
        assert status == 202, added
        jobs.append(added["job"]["id"])
    for job in jobs:  # the worker reads each video from the bucket and writes its frames there
        assert api.wait_job(job)["status"] == "succeeded"
    status, body, _ = api.call("POST", f"/albums/{album['id']}/train")
    assert status == 202, body
    assert api.wait_job(body["job"]["id"])["status"] == "succeeded"
    status, answer, _ = api.upload(f"/albums/{album['id']}/predict", IMAGES / "owl.jpg", "image")
    assert (status, answer["predictions"][0]["label"]) == (200, "owl")
    status, _, bundle = web.request(
        "GET", f"/api/v1/albums/{album['id']}/models/1/bundle", headers=api.headers
    )
    assert (status, bundle[:2]) == (200, b"PK")

    status, prediction, _ = api.upload("/predict", IMAGES / "parrot.jpg", "image")
    assert status == 200, prediction
    stored = keys(endpoint, name)
    assert any(k.startswith(f"media/albums/{album['id']}/models/") for k in stored)
    status, _, photo = web.request(
        "GET", f"/api/v1/predictions/{prediction['id']}/image", headers=api.headers
    )
    assert (status, photo) == (200, (IMAGES / "parrot.jpg").read_bytes())
    assert api.call("DELETE", f"/predictions/{prediction['id']}")[0] == 204
    gone = stored - keys(endpoint, name)
    assert len(gone) == 2  # the photo and its thumbnail
    media_root = web.home / "media"
    assert not media_root.exists() or not [p for p in media_root.rglob("*") if p.is_file()]
