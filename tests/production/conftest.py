"""Museion as operators run it: `museion serve --no-worker` and two `museion worker` processes
sharing one database, one broker and one media folder, on each supported stack.

The stacks use the real services of this machine (PostgreSQL, MariaDB, Redis,
RabbitMQ; see the README's development section), each run in a database,
Redis database or RabbitMQ virtual host of its own, removed afterwards. The
database and the broker are reached through a `Proxy`, so that a test can take
them away and give them back.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.processes import Server, Worker, descendants, multipart
from tests.proxy import Proxy

JOB_STALE_SECONDS = 6  # a job whose worker died is failed this soon (production default: 120)
JOB_TIMEOUT_S = 180


@dataclass
class Stack:
    name: str
    database: str | None  # None: SQLite under MUSEION_HOME
    broker: str | None  # None: the embedded SQLite broker


STACKS = [
    Stack("embedded", None, None),
    Stack("postgres+redis", "postgres", "redis"),
    Stack("mariadb+rabbitmq", "mariadb", "rabbitmq"),
]
PRODUCTION = [s for s in STACKS if s.database]


def _postgres(name: str, create: bool) -> None:
    import psycopg

    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as db:
        db.execute(
            f'CREATE DATABASE "{name}"' if create else f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
        )


def _mariadb(name: str, create: bool) -> None:
    import pymysql

    db = pymysql.connect(host="127.0.0.1", port=3306, user="root", autocommit=True)
    try:
        with db.cursor() as cursor:
            cursor.execute(
                f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"
                if create
                else f"DROP DATABASE IF EXISTS `{name}`"
            )
    finally:
        db.close()


def _rabbitmq(vhost: str, create: bool) -> None:
    commands = (
        [["add_vhost", vhost], ["set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"]]
        if create
        else [["delete_vhost", vhost]]
    )
    for command in commands:
        subprocess.run(["rabbitmqctl", "-q", *command], check=True, capture_output=True, timeout=60)


def _redis_database() -> int:
    import redis

    for number in random.sample(range(1, 16), 15):
        client = redis.Redis(host="127.0.0.1", port=6379, db=number)
        if client.dbsize() == 0:
            return number
    pytest.fail("every Redis database 1-15 holds data; flush one for the production tests")


def _flush_redis(number: int) -> None:
    import redis

    redis.Redis(host="127.0.0.1", port=6379, db=number).flushdb()


@dataclass
class Services:
    """The database and broker of one run of a stack, behind proxies; `env` points Museion at them."""

    stack: Stack
    env: dict[str, str] = field(default_factory=dict)
    database: Proxy | None = None
    broker: Proxy | None = None
    undo: list = field(default_factory=list)

    def start(self) -> None:
        name = f"museion_test_{uuid.uuid4().hex[:10]}"
        if self.stack.database == "postgres":
            _postgres(name, True)
            self.undo.append(lambda: _postgres(name, False))
            self.database = Proxy(5432)
            self.env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:{self.database.port}/{name}"
        elif self.stack.database == "mariadb":
            _mariadb(name, True)
            self.undo.append(lambda: _mariadb(name, False))
            self.database = Proxy(3306)
            self.env["DATABASE_URL"] = f"mysql://root@127.0.0.1:{self.database.port}/{name}"
        if self.stack.broker == "redis":
            number = _redis_database()
            self.undo.append(lambda: _flush_redis(number))
            self.broker = Proxy(6379)
            self.env["CELERY_BROKER_URL"] = f"redis://127.0.0.1:{self.broker.port}/{number}"
            # Rate-limit counts shared by web nodes; reached directly, so it stays up when the broker goes.
            self.env["MUSEION_CACHE_URL"] = f"redis://127.0.0.1:6379/{number}"
        elif self.stack.broker == "rabbitmq":
            _rabbitmq(name, True)
            self.undo.append(lambda: _rabbitmq(name, False))
            self.broker = Proxy(5672)
            self.env["CELERY_BROKER_URL"] = f"amqp://guest:guest@127.0.0.1:{self.broker.port}/{name}"

    def stop(self) -> None:
        for proxy in (self.database, self.broker):
            if proxy is not None:
                proxy.down()
        for undo in reversed(self.undo):
            undo()


class Api:
    """JSON calls to a server, with a bearer token once signed in."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.headers: dict[str, str] = {}

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict, dict]:
        headers = dict(self.headers)
        data = None
        if body is not None:
            data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        return self._answer(self.server.request(method, f"/api/v1{path}", data, headers))

    def upload(
        self, path: str, file: Path | tuple[str, bytes], field: str = "file"
    ) -> tuple[int, dict, dict]:
        data, content_type = multipart(file, field)
        headers = {**self.headers, "Content-Type": content_type}
        return self._answer(self.server.request("POST", f"/api/v1{path}", data, headers))

    @staticmethod
    def _answer(response) -> tuple[int, dict, dict]:
        status, headers, body = response
        return status, (json.loads(body) if body else {}), dict(headers)

    def sign_up(self) -> None:
        who = {"email": f"curator-{uuid.uuid4().hex[:8]}@example.org", "password": "a long secret phrase"}
        assert self.call("POST", "/auth/signup", who)[0] == 201
        status, body, _ = self.call("POST", "/auth/token", who)
        assert status == 201, body
        self.headers["Authorization"] = f"Bearer {body['token']}"

    def wait_job(
        self, job_id: int, until: tuple[str, ...] = ("succeeded", "failed", "cancelled"), every: float = 0.2
    ) -> dict:
        deadline = time.monotonic() + JOB_TIMEOUT_S
        while time.monotonic() < deadline:
            status, job, _ = self.call("GET", f"/jobs/{job_id}")
            if status == 200 and job["status"] in until:
                return job
            time.sleep(every)
        pytest.fail(f"job {job_id} did not reach {until} in {JOB_TIMEOUT_S} s: {job}")


@dataclass
class Deployment:
    stack: Stack
    home: Path
    services: Services
    web: Server
    workers: list[Worker]
    api: Api
    env: dict[str, str]
    logs: Path

    def start_worker(self) -> Worker:
        log = self.logs / f"worker-{len(self.workers)}.log"
        worker = Worker(self.home, log, "--concurrency", "1", **self.env)
        self.workers.append(worker)
        return worker

    def kill_web(self) -> None:
        """SIGKILL the web node, master and worker: a crash, a power cut, the OOM killer."""
        for proc in [*descendants(self.web.process.pid)]:
            if proc.alive():
                os.kill(proc.pid, signal.SIGKILL)
        self.web.process.kill()
        self.web.process.wait()

    def start_web(self) -> None:
        self.web.close()
        self.web = Server(self.home, ("--no-worker",), **self.env)
        self.api.server = self.web
        self.web.wait_healthy()

    def media_files(self) -> set[str]:
        root = self.home / "media"
        return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


@pytest.fixture(scope="session", params=STACKS, ids=[s.name for s in STACKS])
def deployment(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    stack: Stack = request.param
    root = tmp_path_factory.mktemp(stack.name.replace("+", "-"))
    services = Services(stack)
    services.start()
    env = {
        **services.env,
        "MUSEION_JOB_STALE_SECONDS": str(JOB_STALE_SECONDS),
        "MUSEION_RATE_LIMIT_IP": "100000/minute",  # counted (in Redis on that stack), never reached
        "MUSEION_RATE_LIMIT_USER": "100000/minute",
    }
    web = Server(root / "home", ("--no-worker",), **env)
    deployment = Deployment(stack, root / "home", services, web, [], Api(web), env, root)
    try:
        web.wait_healthy()  # it has migrated the database: workers start on a ready schema
        for worker in (deployment.start_worker(), deployment.start_worker()):
            worker.wait_ready()
        deployment.api.sign_up()
        yield deployment
    finally:
        for worker in deployment.workers:
            worker.close()
        deployment.web.close()  # the one running now: a test may have replaced the first
        services.stop()
