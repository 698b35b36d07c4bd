"""What the visitors' page downloads to recognise on the phone: `GET /v/{slug}/recognizer` and
`GET /v/{slug}/model`, public, with ETags, for the live version only, and nothing of the curator's.
"""

# ruff: noqa: F811 (the trained album's fixtures come from test_api_training)
from __future__ import annotations

import gzip
import json

import numpy as np
import onnxruntime as ort
import pytest
from PIL import Image

from museion.albums.models import Album, ModelVersion
from museion.vision.bundle import Bundle
from tests.albums.conftest import ApiCaller
from tests.albums.test_api_training import Trained, api, media, trained  # noqa: F401 (fixtures)
from tests.conftest import IMAGES

EVERYONE = ("owner", "editor", "viewer", "outsider", "anonymous")


@pytest.fixture(autouse=True)
def visitors_page_on(trained: Trained, db) -> None:
    Album.objects.filter(pk=trained.album).update(published=True)


def bundle(api: ApiCaller, album: int) -> Bundle:
    response = api.get(f"/albums/{album}/models/1/bundle")
    return Bundle.load(b"".join(response.streaming_content))


@pytest.mark.parametrize("role", EVERYONE)
def test_anyone_gets_the_live_versions_recognizer_of_a_published_album(
    api: ApiCaller, trained: Trained, role: str
) -> None:
    response = api.as_(role).get(f"/v/{trained.slug}/recognizer")
    assert response.status_code == 200
    found = response.json()
    assert found["version"] == 1
    assert [label["name"] for label in found["labels"]] == ["owl", "parrot", "sunflower"]
    assert [label["work"] for label in found["labels"]] == [
        trained.classes[n] for n in ("owl", "parrot", "sunflower")
    ]
    assert found["preprocess"]["size"] == [224, 224]
    assert found["preprocess"]["dtype"] == "uint8"
    # The threshold a bundle's model.onnx is decided with: the bundle's own unknown_threshold.
    assert found["threshold"] == pytest.approx(bundle(api, trained.album).threshold, abs=1e-6)
    assert response["ETag"].startswith('"')
    assert response["Cache-Control"] == "public, no-cache"


def test_nothing_of_the_curators_leaves_with_the_recognizer(api: ApiCaller, trained: Trained) -> None:
    found = api.as_("anonymous").get(f"/v/{trained.slug}/recognizer").json()
    assert set(found) == {
        "version", "threshold", "preprocess", "labels", "model_url", "model_etag", "default_language"
    }  # fmt: skip
    text = json.dumps(found)
    for private in ("metrics", "accuracy", "misclassified", "export_check", "verified", "media", "workspace"):
        assert private not in text


def test_the_model_is_the_bundles_and_gives_its_answers(api: ApiCaller, trained: Trained) -> None:
    found = api.as_("anonymous").get(f"/v/{trained.slug}/recognizer").json()
    response = api.as_("anonymous").get(found["model_url"].removeprefix("/api/v1"))
    assert response.status_code == 200
    assert response["ETag"] == found["model_etag"]
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    served = bundle(api, trained.album)
    session = ort.InferenceSession(response.content, providers=["CPUExecutionProvider"])
    pixels = served.pixels(Image.open(IMAGES / "owl.jpg").convert("RGB"))[None]
    (mine,) = session.run(["similarity"], {"image": pixels})
    (theirs,) = served.session.run(["similarity"], {"image": pixels})
    np.testing.assert_array_equal(mine, theirs)
    assert found["labels"][int(mine[0].argmax())]["name"] == "owl"


def test_a_phone_that_takes_gzip_gets_the_model_gzipped(api: ApiCaller, trained: Trained) -> None:
    path = f"/api/v1/v/{trained.slug}/model"
    plain = api.client.get(path)
    zipped = api.client.get(path, HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert zipped.status_code == 200
    assert zipped["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped["Vary"]
    assert gzip.decompress(zipped.content) == plain.content
    assert len(zipped.content) < 0.8 * len(plain.content)
    assert zipped["ETag"] != plain["ETag"]  # another representation
    again = api.client.get(path, HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=zipped["ETag"])
    assert again.status_code == 304


@pytest.mark.parametrize("path", ["recognizer", "model"])
def test_asking_again_with_the_etag_is_a_304(api: ApiCaller, trained: Trained, path: str) -> None:
    first = api.as_("anonymous").get(f"/v/{trained.slug}/{path}")
    again = api.client.get(f"/api/v1/v/{trained.slug}/{path}", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again["ETag"] == first["ETag"]
    assert again.content == b""
    other = api.client.get(f"/api/v1/v/{trained.slug}/{path}", HTTP_IF_NONE_MATCH='"something-else"')
    assert other.status_code == 200


def test_a_curators_new_threshold_changes_the_recognizers_etag(api: ApiCaller, trained: Trained) -> None:
    before = api.as_("anonymous").get(f"/v/{trained.slug}/recognizer")
    version = ModelVersion.objects.get(album=trained.album, number=1)
    old = version.threshold
    try:
        ModelVersion.objects.filter(pk=version.pk).update(threshold=0.5)
        after = api.as_("anonymous").get(f"/v/{trained.slug}/recognizer")
        assert after["ETag"] != before["ETag"]
        assert after.json()["threshold"] != before.json()["threshold"]
        assert after.json()["model_etag"] == before.json()["model_etag"]  # the same model
    finally:
        ModelVersion.objects.filter(pk=version.pk).update(threshold=old)


@pytest.mark.parametrize("path", ["recognizer", "model"])
def test_an_album_whose_visitors_page_is_off_has_no_recognizer(
    api: ApiCaller, trained: Trained, path: str
) -> None:
    Album.objects.filter(pk=trained.album).update(published=False)
    try:
        for role in EVERYONE:
            response = api.as_(role).get(f"/v/{trained.slug}/{path}")
            assert response.status_code == 404
            assert response.json()["error"]["code"] == "not_found"
    finally:
        Album.objects.filter(pk=trained.album).update(published=True)


@pytest.mark.parametrize("path", ["recognizer", "model"])
def test_a_published_album_without_a_live_version_has_no_recognizer(
    api: ApiCaller, trained: Trained, path: str
) -> None:
    live = Album.objects.get(pk=trained.album).published_version
    Album.objects.filter(pk=trained.album).update(published_version=None)
    try:
        response = api.as_("anonymous").get(f"/v/{trained.slug}/{path}")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    finally:
        Album.objects.filter(pk=trained.album).update(published_version=live)
