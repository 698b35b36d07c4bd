"""`museion serve`, as real processes on a free loopback port: the web application,
its static files, a prediction, the embedded Celery worker, and a clean stop.

Each server has its own MUSEION_HOME (database, SQLite broker, static files);
models come from the shared mirror. Every wait is bounded.
"""

from __future__ import annotations

import gzip
import http.client
import json
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.exc import IntegrityError

import museion.web
from museion.cli import cli
from museion.web.celery import app
from museion.web.tasks import PING_FILE
from tests.processes import (
    START_TIMEOUT_S,
    STOP_TIMEOUT_S,
    Server,
    celery_beats,
    celery_workers,
    free_port,
    multipart,
    serve_env,
)

PING_TIMEOUT_S = 30  # the SQLite broker is polled every second
CSS = Path(museion.web.__file__).parent / "static" / "museion" / "museion.css"


@pytest.fixture
def start(tmp_path: Path) -> Iterator:
    servers: list[Server] = []

    def start(*args: str, **env: str) -> Server:
        server = Server(tmp_path / f"home{len(servers)}", args, **env)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server with its embedded worker, shared by the tests that only talk to it."""
    server = Server(tmp_path_factory.mktemp("serve") / "home")
    try:
        server.wait_healthy()
        yield server
    finally:
        server.close()


def test_serve_answers_health_and_says_where_it_listens(server: Server) -> None:
    health = server.wait_healthy()
    assert health["status"] == "ok"
    assert {"imagenet-mobilenetv2", "coco-yolox-nano"} <= set(health["models"])
    assert server.process.stdout is not None
    line = server.process.stdout.readline().strip()
    assert line == f"Museion is listening on http://127.0.0.1:{server.port}/"


def test_serve_runs_one_gunicorn_worker_and_one_celery_worker(server: Server) -> None:
    procs = server.processes()
    celery = celery_workers(procs)
    web = [p for p in procs if p not in celery and p not in celery_beats(procs)]
    assert len(celery) == 1, procs
    assert len(web) == 1, procs
    assert web[0].environ().get("MUSEION_THREADS") == "1"  # one intra-op thread per session by default


def test_the_embedded_worker_runs_beat_with_its_schedule_in_museion_home(server: Server) -> None:
    deadline = time.monotonic() + PING_TIMEOUT_S
    while not list(server.home.glob("celerybeat-schedule*")) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert list(server.home.glob("celerybeat-schedule*")), server.stderr()
    assert len(celery_beats(server.processes())) == 1


def test_worker_beat_adds_beat_to_the_worker_and_is_off_by_default(monkeypatch, settings) -> None:
    argv: list[list[str]] = []
    monkeypatch.setattr(app, "worker_main", argv.append)
    assert CliRunner().invoke(cli, ["worker"]).exit_code == 0
    assert CliRunner().invoke(cli, ["worker", "--beat"]).exit_code == 0
    assert "--beat" not in argv[0]
    assert argv[1][argv[1].index("--beat") :][:3] == [
        "--beat",
        "--schedule",
        str(Path(settings.HOME) / "celerybeat-schedule"),
    ]


def test_serve_serves_compressed_static_files(server: Server) -> None:
    status, headers, body = server.request(
        "GET", "/static/museion/museion.css", headers={"Accept-Encoding": "gzip"}
    )
    assert status == 200
    assert headers["Content-Type"].startswith("text/css")
    assert headers.get("Content-Encoding") == "gzip"  # collectstatic ran; whitenoise serves its .gz
    assert gzip.decompress(body) == CSS.read_bytes()


def test_serve_classifies_a_photo(server: Server, images: Path) -> None:
    body, content_type = multipart(images / "parrot.jpg")
    status, _, answer = server.request("POST", "/api/v1/predict", body, {"Content-Type": content_type})
    assert status == 200, answer
    result = json.loads(answer)
    assert result["model"] == "imagenet-mobilenetv2"
    assert result["predictions"][0]["label"] == "macaw"


def send_ping(home: Path) -> str:
    """Send `ping` with a fresh token through the SQLite broker of `home`, as the web app would."""
    from celery import Celery

    # The project's Celery settings (default queue included), with that home's broker.
    app = Celery("museion-test", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.broker_url = f"sqla+sqlite:///{home / 'broker.sqlite3'}"
    token = uuid.uuid4().hex
    try:
        try:
            app.send_task("museion.web.tasks.ping", args=[token])
        except IntegrityError:  # the starting worker made the queue's row first, as albums.tasks knows
            app.send_task("museion.web.tasks.ping", args=[token])
    finally:
        app.close()
    return token


def pinged(home: Path, token: str) -> bool:
    """Whether a worker ran the ping with `token` within PING_TIMEOUT_S."""
    deadline = time.monotonic() + PING_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            if json.loads((home / PING_FILE).read_text())["token"] == token:
                return True
        except (OSError, ValueError):
            pass
        time.sleep(0.2)
    return False


@pytest.mark.filterwarnings("ignore:The ``noload`` loader strategy:DeprecationWarning")  # kombu's, not ours
def test_embedded_worker_consumes_a_ping_from_the_sqlite_broker(server: Server) -> None:
    token = send_ping(server.home)
    assert pinged(server.home, token), f"no worker ran the ping:\n{server.stderr()}"


@pytest.mark.filterwarnings("ignore:The ``noload`` loader strategy:DeprecationWarning")
def test_worker_command_consumes_a_ping_and_stops_on_sigterm(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "museion", "worker", "--concurrency", "1", "--loglevel", "warning"],
            env=serve_env(home), stdin=subprocess.DEVNULL, stdout=out, stderr=out,
        )  # fmt: skip
    try:
        token = send_ping(home)  # queued until the worker is up
        assert pinged(home, token), f"museion worker did not run the ping:\n{log.read_text()[-3000:]}"
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(STOP_TIMEOUT_S) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()


def test_worker_needs_a_queue() -> None:
    done = subprocess.run([sys.executable, "-m", "museion", "worker", "--queues", " , "],
                          capture_output=True, text=True, timeout=START_TIMEOUT_S, check=False)  # fmt: skip
    assert done.returncode == 2
    assert "--queues" in done.stderr


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_server_and_worker_leaving_no_orphan(start, sig: int) -> None:
    server = start()
    server.wait_healthy()
    procs = server.processes()
    assert len(celery_workers(procs)) == 1, procs
    seconds = server.stop(sig)
    assert server.process.returncode == 0, server.stderr()
    assert seconds < 15
    assert [p for p in procs if p.alive()] == []
    with pytest.raises(ConnectionRefusedError):
        server.request("GET", "/api/v1/health")


@pytest.mark.parametrize(("args", "env"), [(("--no-worker",), {}), ((), {"MUSEION_EMBEDDED_WORKER": "0"})],
                         ids=["--no-worker", "MUSEION_EMBEDDED_WORKER=0"])  # fmt: skip
def test_serve_can_run_without_a_worker(start, args: tuple[str, ...], env: dict[str, str]) -> None:
    server = start(*args, **env)
    server.wait_healthy()
    procs = server.processes(celery=False)
    assert celery_workers(procs) == []
    assert len(procs) == 1, procs  # the gunicorn worker
    server.stop()
    assert server.process.returncode == 0


def self_signed(folder: Path, name: str = "server") -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as the README's HTTPS-on-a-LAN recipe makes them."""
    cert, key = folder / f"{name}.pem", folder / f"{name}-key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=museion",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


def test_serve_given_a_certificate_answers_over_https_and_says_so(start, tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    server = start("--no-worker", "--certfile", str(cert), "--keyfile", str(key))
    assert server.wait_healthy()["status"] == "ok"  # verified against that certificate
    assert (
        server.process.stdout.readline().strip()
        == f"Museion is listening on https://127.0.0.1:{server.port}/"
    )
    with pytest.raises((http.client.HTTPException, ConnectionError)):
        plain_get(server.port, "/api/v1/health")


def plain_get(port: int, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    finally:
        conn.close()


def test_serve_says_what_a_first_start_is_doing(start) -> None:
    server = start("--no-worker")
    server.wait_healthy()
    steps = [line for line in server.stderr().splitlines() if line.endswith("...")]
    assert steps == [
        "museion: loading the built-in models...",
        "museion: applying database migrations...",
        "museion: collecting static files...",
        "museion: starting the web server...",
    ]


def run_serve(*args: str, home: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "museion", "serve", "--port", str(free_port()), *args],
        env=serve_env(home), stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=START_TIMEOUT_S,
    )  # fmt: skip


def test_serve_needs_the_key_with_the_certificate(tmp_path: Path) -> None:
    cert, _ = self_signed(tmp_path)
    done = run_serve("--certfile", str(cert), home=tmp_path / "home")
    assert done.returncode == 2
    assert "--certfile and --keyfile go together" in done.stderr
    assert done.stdout == ""


def test_serve_refuses_a_key_that_is_not_the_certificates(tmp_path: Path) -> None:
    cert, _ = self_signed(tmp_path, "one")
    _, other_key = self_signed(tmp_path, "two")
    done = run_serve("--certfile", str(cert), "--keyfile", str(other_key), home=tmp_path / "home")
    assert done.returncode == 1
    assert f"cannot use {cert} with {other_key}" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "home").exists()  # refused before touching anything


def test_serve_without_models_says_how_to_get_them(tmp_path: Path) -> None:
    empty = tmp_path / "mirror"
    empty.mkdir()
    env = {**serve_env(tmp_path / "home"), "MUSEION_MODEL_MIRROR": str(empty)}
    done = subprocess.run(
        [sys.executable, "-m", "museion", "serve", "--port", str(free_port())],
        env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=START_TIMEOUT_S,
    )  # fmt: skip
    assert done.returncode == 1
    assert "MUSEION_MODEL_MIRROR" in done.stderr
    assert "museion models pull" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_an_overloaded_server_sheds_posts_with_503_and_keeps_serving(start, images: Path) -> None:
    server = start(
        "--no-worker", "--threads", "1", MUSEION_MAX_QUEUE_SECONDS="0.2", MUSEION_RATE_LIMIT_IP="0"
    )
    server.wait_healthy()
    body, content_type = multipart(images / "kite_and_cold.jpg")

    def client(_: int) -> list[tuple[int, dict, dict]]:
        """Four predictions on one keep-alive connection: a 503 must not break it."""
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        answers = []
        try:
            for _ in range(4):
                conn.request("POST", "/api/v1/predict", body, {"Content-Type": content_type})
                response = conn.getresponse()
                answers.append((response.status, json.loads(response.read()), dict(response.headers)))
        finally:
            conn.close()
        return answers

    with ThreadPoolExecutor(16) as pool:
        answers = [a for batch in pool.map(client, range(16)) for a in batch]
    statuses = Counter(status for status, _, _ in answers)
    assert set(statuses) == {200, 503}, statuses
    assert statuses[200] >= 2  # the thread kept working through the crowd
    for status, answer, headers in answers:
        if status == 503:
            assert answer["error"]["code"] == "overloaded"
            assert int(headers["Retry-After"]) >= 1
        else:
            assert answer["predictions"][0]["label"]
    assert server.process.poll() is None
    assert client(0)[0][0] == 200  # the crowd gone, nothing is refused
