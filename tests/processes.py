"""Museion's own processes in tests: `museion serve` and `museion worker` on free loopback ports,
each wait bounded, each process stopped (and its children killed) at teardown."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

START_TIMEOUT_S = 120  # a cold start imports Django, ONNX Runtime, scikit-learn... twice
STOP_TIMEOUT_S = 20  # the Celery worker's warm shutdown takes a few seconds
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
    parent: int = 0

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
            parent = int(fields[1])
            children.setdefault(parent, []).append(Proc(int(entry.name), int(fields[19]), cmdline, parent))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child.pid)
    return found


def celery_workers(procs: list[Proc]) -> list[Proc]:
    """The Celery worker processes, without the beat that a worker started with --beat forks."""
    celery = [p for p in procs if "celery" in p.cmdline and " worker" in p.cmdline]
    return [p for p in celery if p.parent not in {c.pid for c in celery}]


def celery_beats(procs: list[Proc]) -> list[Proc]:
    """Beat runs in a child of the worker, under the worker's command line."""
    workers = {w.pid for w in celery_workers(procs)}
    return [p for p in procs if p.parent in workers and " worker" in p.cmdline]


class Server:
    def __init__(self, home: Path, args: tuple[str, ...] = (), **env: str) -> None:
        self.home = home
        self.port = free_port()
        # Given a certificate, serve speaks only HTTPS; requests trust that certificate alone.
        self.certfile = args[args.index("--certfile") + 1] if "--certfile" in args else None
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
        if self.certfile is not None:
            tls = ssl.create_default_context(cafile=self.certfile)
            conn = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=30, context=tls)
        else:
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


def multipart(file: Path | tuple[str, bytes], field: str = "image") -> tuple[bytes, str]:
    """A multipart body with one file: a path, or a (name, content) pair."""
    name, content = (file.name, file.read_bytes()) if isinstance(file, Path) else file
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
        f"Content-Type: application/octet-stream\r\n\r\n"
    )
    body = head.encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


class Worker:
    """`museion worker`, its log in a file of its own."""

    def __init__(self, home: Path, log: Path, *args: str, **env: str) -> None:
        self.log = log
        with log.open("w") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "museion", "worker", "--loglevel", "info", *args],
                env=serve_env(home, **env), stdin=subprocess.DEVNULL, stdout=out, stderr=out,
            )  # fmt: skip

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while " ready." not in self.text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"museion worker did not start:\n{self.text()[-3000:]}")
            time.sleep(0.2)

    def ran(self, task: str) -> int:
        """How many `task` runs this worker finished."""
        return sum(1 for line in self.text().splitlines() if f"Task {task}[" in line and "succeeded" in line)

    def kill(self) -> None:
        """SIGKILL the worker and its pool: the machine lost, no chance to clean up."""
        for proc in descendants(self.process.pid):
            if proc.alive():
                os.kill(proc.pid, signal.SIGKILL)
        self.process.kill()
        self.process.wait()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.kill()
