"""`museion serve`, as real processes on a free loopback port: the web application,
its static files, a prediction, the embedded Celery worker, and a clean stop.

Each server has its own MUSEION_HOME (database, SQLite broker, static files);
models come from the shared mirror. Every wait is bounded.
"""

from __future__ import annotations

import gzip
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import museion.web
from museion.web.tasks import PING_FILE

START_TIMEOUT_S = 120  # a cold start imports Django, ONNX Runtime, scikit-learn... twice
STOP_TIMEOUT_S = 20  # the Celery worker's warm shutdown takes a few seconds
PING_TIMEOUT_S = 30  # the SQLite broker is polled every second
CSS = Path(museion.web.__file__).parent / "static" / "museion" / "museion.css"
# Settings of the developer's shell that would change what is tested.
CLEARED = ("MUSEION_MODEL_DIR", "MUSEION_THREADS", "MUSEION_SERVE_THREADS", "MUSEION_EMBEDDED_WORKER",
           "CELERY_BROKER_URL", "DATABASE_URL", "ALLOWED_HOSTS", "MUSEION_DEBUG")  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env.update(MUSEION_HOME=str(home), MUSEION_MODEL_MIRROR=os.environ["MUSEION_MODEL_MIRROR"])
    return {**env, **extra}


@dataclass(frozen=True)
class Proc:
    pid: int
    started: int  # clock ticks after boot: tells a pid from a later process that reuses it
    cmdline: str

    def alive(self) -> bool:
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return False
        return int(fields[19]) == self.started and fields[0] != "Z"

    def environ(self) -> dict[str, str]:
        raw = Path(f"/proc/{self.pid}/environ").read_bytes().split(b"\0")
        return dict(item.decode(errors="replace").partition("=")[::2] for item in raw if item)


def descendants(pid: int) -> list[Proc]:
    """Every living process below `pid`."""
    children: dict[int, list[Proc]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # gone meanwhile
            continue
        if fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append(Proc(int(entry.name), int(fields[19]), cmdline))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child.pid)
    return found


def celery_workers(procs: list[Proc]) -> list[Proc]:
    return [p for p in procs if "celery" in p.cmdline and " worker" in p.cmdline]


class Server:
    def __init__(self, home: Path, args: tuple[str, ...] = (), **env: str) -> None:
        self.home = home
        self.port = free_port()
        self.log = home.parent / f"serve-{self.port}.log"
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "museion", "serve", "--port", str(self.port), *args],
                env=serve_env(home, **env), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=log, text=True,
            )  # fmt: skip

    def stderr(self) -> str:
        return self.log.read_text()[-3000:]

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.headers, response.read()
        finally:
            conn.close()

    def wait_healthy(self) -> dict:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"serve exited with code {self.process.returncode}:\n{self.stderr()}")
            try:
                status, _, body = self.request("GET", "/api/v1/health")
                if status == 200:
                    return json.loads(body)
            except OSError:
                pass
            time.sleep(0.2)
        pytest.fail(f"serve did not answer within {START_TIMEOUT_S} s:\n{self.stderr()}")

    def processes(self, *, celery: bool = True) -> list[Proc]:
        """The processes below serve; with `celery`, once the Celery worker is among them."""
        deadline = time.monotonic() + 30
        procs = descendants(self.process.pid)
        while celery and not celery_workers(procs) and time.monotonic() < deadline:
            time.sleep(0.2)
            procs = descendants(self.process.pid)
        return procs

    def stop(self, sig: int = signal.SIGTERM) -> float:
        """Send `sig`; the seconds serve took to exit."""
        started = time.monotonic()
        self.process.send_signal(sig)
        self.process.wait(STOP_TIMEOUT_S)
        return time.monotonic() - started

    def close(self) -> None:
        """Teardown: stop whatever of this server is still running."""
        leftovers = descendants(self.process.pid)
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for proc in leftovers:
            if proc.alive():
                os.kill(proc.pid, signal.SIGKILL)
        if self.process.stdout:
            self.process.stdout.close()


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


def multipart(path: Path, field: str = "image") -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{path.name}"\r\n'
        f"Content-Type: application/octet-stream\r\n\r\n"
    )
    body = head.encode() + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


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
    web = [p for p in procs if p not in celery]
    assert len(celery) == 1, procs
    assert len(web) == 1, procs
    assert web[0].environ().get("MUSEION_THREADS") == "1"  # one intra-op thread per session by default


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
