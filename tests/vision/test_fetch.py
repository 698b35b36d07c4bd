"""Finding model files: a real HTTP server on 127.0.0.1 and real mirror folders, no mocks."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from museion.config import Settings
from museion.vision import fetch as fetch_module
from museion.vision.catalog import COCO_YOLOX_NANO, ModelSpec
from museion.vision.errors import ModelUnavailable
from museion.vision.fetch import fetch, locate, remove

DATA = b"not really an onnx model, but bytes with a known hash\n" * 64
SHARED_YOLOX_SHA256 = "d39bee73564e338080378b0ad567fbb40e818b55bbfaf971de82a0267ed16b8a"
WRONG_SHA256 = "0" * 64
OFFLINE_ADVICE = ("MUSEION_MODEL_MIRROR", "museion models import")

Reply = Callable[[BaseHTTPRequestHandler], None]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def send(data: bytes, *, claimed: int | None = None) -> Reply:
    """A 200 reply with `data`, announcing `claimed` bytes (more than sent: a cut-off download)."""

    def reply(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/octet-stream")
        handler.send_header("Content-Length", str(len(data) if claimed is None else claimed))
        handler.end_headers()
        handler.wfile.write(data)
        handler.wfile.flush()
        handler.close_connection = True

    return reply


def not_found(handler: BaseHTTPRequestHandler) -> None:
    handler.send_error(404)


class LocalServer:
    """An HTTP server on 127.0.0.1 that answers each path as told and counts the requests."""

    def __init__(self) -> None:
        self.replies: dict[str, Reply] = {}
        self.hits: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.hits.append(self.path)
                owner.replies.get(self.path, not_found)(self)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}{path}"


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests to 127.0.0.1 go straight there, never through a proxy."""
    for name in ("http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


@pytest.fixture
def server() -> Iterator[LocalServer]:
    local = LocalServer()
    local.thread.start()
    yield local
    local.httpd.shutdown()
    local.httpd.server_close()
    local.thread.join(timeout=5)


@pytest.fixture
def config(tmp_path: Path) -> Settings:
    """A fresh model directory and no mirrors."""
    return Settings.from_env({"MUSEION_HOME": str(tmp_path / "home")})


@pytest.fixture
def mirror(tmp_path: Path) -> Path:
    folder = tmp_path / "mirror"
    folder.mkdir()
    return folder


@pytest.fixture
def mirrored(config: Settings, mirror: Path) -> Settings:
    return replace(config, model_mirrors=(mirror,))


@pytest.fixture
def make_spec(tmp_path: Path) -> Callable[..., ModelSpec]:
    def make(url: str | None = None, sha256: str | None = None) -> ModelSpec:
        # A name of its own per test: the mismatch warning is given once per name and hash.
        return replace(
            COCO_YOLOX_NANO, name=f"test-{tmp_path.name}", file="test.onnx", url=url, sha256=sha256
        )

    return make


@pytest.fixture
def mirror_file(mirror: Path) -> Path:
    """A small real file, copied into the mirror under the test spec's file name."""
    source = Path(os.environ["MUSEION_MODEL_MIRROR"].split(os.pathsep)[0]) / "coco_classes.txt"
    return Path(shutil.copy(source, mirror / "test.onnx"))


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port bound on 127.0.0.1 that nobody listens on: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (in the kernel's backlog) and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# Downloads


def test_it_downloads_a_file_whose_hash_matches_into_the_model_dir(
    server: LocalServer, config: Settings, make_spec: Callable[..., ModelSpec]
) -> None:
    server.replies["/test.onnx"] = send(DATA)
    spec = make_spec(server.url("/test.onnx"), sha256(DATA))

    found = fetch(spec, config)

    assert found.source == "download"
    assert found.path == config.model_dir / "test.onnx"
    assert found.path.read_bytes() == DATA
    assert found.sha256 == sha256(DATA)
    assert files_in(config.model_dir) == ["test.onnx"]


def test_it_serves_a_second_fetch_from_the_cache_without_contacting_the_server(
    server: LocalServer, config: Settings, make_spec: Callable[..., ModelSpec]
) -> None:
    server.replies["/test.onnx"] = send(DATA)
    spec = make_spec(server.url("/test.onnx"), sha256(DATA))
    fetch(spec, config)

    again = fetch(spec, config)

    assert again.source == "cache"
    assert again.path == config.model_dir / "test.onnx"
    assert server.hits == ["/test.onnx"]


def test_it_refuses_a_download_with_the_wrong_hash_and_leaves_no_file(
    server: LocalServer, config: Settings, make_spec: Callable[..., ModelSpec]
) -> None:
    server.replies["/test.onnx"] = send(DATA)
    spec = make_spec(server.url("/test.onnx"), WRONG_SHA256)

    with pytest.raises(ModelUnavailable, match="refused"):
        fetch(spec, config)

    assert server.hits == ["/test.onnx"]
    assert files_in(config.model_dir) == []


def test_it_refuses_an_interrupted_download_and_leaves_no_file(
    server: LocalServer, config: Settings, make_spec: Callable[..., ModelSpec]
) -> None:
    partial = DATA[:100]
    server.replies["/test.onnx"] = send(partial, claimed=len(DATA))
    # Pinned to the partial bytes, so only the length check can catch the cut.
    spec = make_spec(server.url("/test.onnx"), sha256(partial))

    with pytest.raises(ModelUnavailable, match="cannot download"):
        fetch(spec, config)

    assert server.hits == ["/test.onnx"]
    assert files_in(config.model_dir) == []


def test_it_tells_the_user_how_to_work_offline_when_the_server_answers_404(
    server: LocalServer, config: Settings, make_spec: Callable[..., ModelSpec]
) -> None:
    spec = make_spec(server.url("/missing.onnx"), sha256(DATA))

    with pytest.raises(ModelUnavailable) as caught:
        fetch(spec, config)

    assert server.hits == ["/missing.onnx"]
    assert all(advice in str(caught.value) for advice in OFFLINE_ADVICE)
    assert files_in(config.model_dir) == []


def test_it_gives_the_same_advice_at_once_when_the_connection_is_refused(
    closed_port: int, config: Settings, make_spec: Callable[..., ModelSpec]
) -> None:
    spec = make_spec(f"http://127.0.0.1:{closed_port}/test.onnx", sha256(DATA))

    started = time.monotonic()
    with pytest.raises(ModelUnavailable) as caught:
        fetch(spec, config)

    assert time.monotonic() - started < 10
    assert all(advice in str(caught.value) for advice in OFFLINE_ADVICE)
    assert "ConnectionError" in str(caught.value)


def test_it_gives_up_on_a_silent_server_after_the_download_timeout(
    silent_port: int, config: Settings, make_spec: Callable[..., ModelSpec], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fetch_module, "DOWNLOAD_TIMEOUT_S", 0.5)
    spec = make_spec(f"http://127.0.0.1:{silent_port}/test.onnx", sha256(DATA))

    started = time.monotonic()
    with pytest.raises(ModelUnavailable) as caught:
        fetch(spec, config)

    assert time.monotonic() - started < 10
    assert all(advice in str(caught.value) for advice in OFFLINE_ADVICE)


# Mirrors


def test_it_finds_a_mirror_file_and_records_its_real_hash(
    mirrored: Settings, mirror_file: Path, make_spec: Callable[..., ModelSpec]
) -> None:
    spec = make_spec()
    real = sha256(mirror_file.read_bytes())

    found = locate(spec, mirrored)

    assert found is not None
    assert (found.path, found.source, found.sha256) == (mirror_file, "mirror", real)
    ledger = json.loads((mirrored.model_dir / "sources.json").read_text("utf-8"))
    assert ledger[spec.name]["path"] == str(mirror_file)
    assert ledger[spec.name]["sha256"] == real


def test_it_warns_about_a_mirror_file_with_another_hash_but_still_uses_it(
    mirrored: Settings,
    mirror_file: Path,
    make_spec: Callable[..., ModelSpec],
    caplog: pytest.LogCaptureFixture,
) -> None:
    spec = make_spec(sha256=WRONG_SHA256)
    real = sha256(mirror_file.read_bytes())

    with caplog.at_level(logging.WARNING, logger="museion.vision"):
        found = fetch(spec, mirrored)

    assert (found.path, found.source, found.sha256) == (mirror_file, "mirror", real)
    warnings = [r.getMessage() for r in caplog.records if r.name == "museion.vision"]
    assert len(warnings) == 1
    assert real in warnings[0]
    assert WRONG_SHA256 in warnings[0]


def test_it_warns_about_a_mirror_file_once_not_on_every_use(
    mirrored: Settings,
    mirror_file: Path,
    make_spec: Callable[..., ModelSpec],
    caplog: pytest.LogCaptureFixture,
) -> None:
    spec = make_spec(sha256=WRONG_SHA256)
    fetch(spec, mirrored)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="museion.vision"):
        assert fetch(spec, mirrored).source == "mirror"
    assert [r for r in caplog.records if r.name == "museion.vision"] == []
    mirror_file.write_bytes(DATA + b"changed")
    with caplog.at_level(logging.WARNING, logger="museion.vision"):
        fetch(spec, mirrored)
    assert len([r for r in caplog.records if r.name == "museion.vision"]) == 1


def test_it_prefers_the_cache_over_a_mirror(
    mirrored: Settings, mirror_file: Path, make_spec: Callable[..., ModelSpec]
) -> None:
    mirrored.model_dir.mkdir(parents=True)
    cached = mirrored.model_dir / "test.onnx"
    cached.write_bytes(DATA)

    found = locate(make_spec(), mirrored)

    assert found is not None
    assert (found.path, found.source) == (cached, "cache")


def test_it_removes_a_cached_copy_but_never_a_mirror_file(
    mirrored: Settings, mirror_file: Path, make_spec: Callable[..., ModelSpec]
) -> None:
    spec = make_spec()
    mirrored.model_dir.mkdir(parents=True)
    cached = mirrored.model_dir / "test.onnx"
    cached.write_bytes(DATA)

    assert remove(spec, mirrored) == cached
    assert not cached.exists()
    assert remove(spec, mirrored) is None
    assert mirror_file.is_file()
    found = locate(spec, mirrored)
    assert found is not None
    assert found.source == "mirror"


def test_it_uses_the_shared_yolox_file_from_the_real_mirror(tmp_path: Path) -> None:
    shared = Path(os.environ["MUSEION_MODEL_MIRROR"]).resolve()
    config = Settings.from_env(
        {"MUSEION_HOME": str(tmp_path / "home"), "MUSEION_MODEL_MIRROR": os.environ["MUSEION_MODEL_MIRROR"]}
    )

    found = fetch(COCO_YOLOX_NANO, config)

    assert (found.path, found.source) == (shared / "yolox_nano.onnx", "mirror")
    assert found.sha256 == SHARED_YOLOX_SHA256
    assert not (config.model_dir / "yolox_nano.onnx").exists()
