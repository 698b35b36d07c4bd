"""`museion serve` (the web application, with an embedded Celery worker) and `museion worker`.

`serve` prepares in the CLI process (migrations, static files, a check that
the built-in models load), then replaces itself (`exec`) with a fresh Python
that runs gunicorn from this file. The CLI process has imported every
command's dependencies (scikit-learn, PyAV: about 100 MB); the fresh one
imports only gunicorn, so the master stays small, and its single worker, a
fork of it, holds only the web application.

Processes, once started:

    museion serve            gunicorn master (this file, same PID as the command)
    ├── gunicorn worker      the Django app, `--threads` gthread request threads,
    │                        one ONNX Runtime session per model shared by them
    └── celery worker        unless --no-worker: queues default, train, video

Each ONNX session uses MUSEION_THREADS intra-op threads, 1 unless set: many
requests run at once, and on 2 cores two single-thread requests in parallel
beat one request on two threads. SIGTERM stops gracefully: requests in flight
get GRACEFUL_TIMEOUT_S to finish, and Celery tasks WORKER_WARM_STOP_S before a
cold shutdown (unacknowledged tasks go back to the queue). SIGINT and SIGQUIT
stop at once.
"""

from __future__ import annotations

import ctypes
import errno
import json
import logging
import os
import signal
import subprocess
import sys
import time
from typing import Any

import click
from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter
from gunicorn.errors import AppImportError

QUEUES = "default,train,video"
EMBEDDED_CONCURRENCY = 2
GRACEFUL_TIMEOUT_S = 10  # requests in flight get this long to finish on SIGTERM
WORKER_WARM_STOP_S = 10  # Celery tasks in flight get this long, then a cold shutdown
WORKER_COLD_STOP_S = 5
WORKER_MIN_UPTIME_S = 30  # an embedded worker that dies sooner is not restarted
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
SERVABLE_TASKS = ("classify", "detect")
MMAP_THRESHOLD_BYTES = 1 << 20

# Run in the fresh interpreter: load this file by path, so that the package
# `museion.cli` (and with it every command's imports) is not imported.
_MASTER = """\
import importlib.util, sys
spec = importlib.util.spec_from_file_location("museion_serve", sys.argv[1])
module = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = module
spec.loader.exec_module(module)
module.run_server(sys.argv[2])
"""


def _environment() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "museion.web.settings")
    os.environ.setdefault("MUSEION_THREADS", "1")


def _django_settings() -> Any:
    """Django, set up; a malformed setting raises ConfigError here, not deep inside a server."""
    import django
    from django.conf import settings

    django.setup()
    return settings


def preload_models() -> None:
    """Load the session of each built-in servable model, never downloading one."""
    from museion.config import settings
    from museion.vision.catalog import Catalog
    from museion.vision.errors import ModelUnavailable
    from museion.vision.fetch import locate
    from museion.vision.runtime import load_model

    config = settings()
    for spec in Catalog().all().values():
        if not spec.builtin or spec.task not in SERVABLE_TASKS:
            continue
        if locate(spec, config) is None:
            raise ModelUnavailable(
                f"model {spec.name!r} is not available here: its file {spec.file} is neither in "
                f"{config.model_dir} nor in a MUSEION_MODEL_MIRROR folder. Set MUSEION_MODEL_MIRROR "
                f"to a folder holding it, or run `museion models pull`"
            )
        load_model(spec)


def progress(step: str) -> None:
    """One line on stderr: standard output carries only the line saying where serve listens."""
    click.echo(f"museion: {step}...", err=True)


def check_tls(certfile: str, keyfile: str) -> dict[str, str]:
    """Paths of a certificate and key that load together; a bad pair stops here, not in gunicorn."""
    import ssl

    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(certfile, keyfile)
    except (ssl.SSLError, OSError) as exc:
        raise click.ClickException(
            f"cannot use {certfile} with {keyfile}: {exc.strerror or exc}. Both must be PEM files, "
            "the key without a passphrase, and the key must be the certificate's"
        ) from None
    return {"certfile": os.path.abspath(certfile), "keyfile": os.path.abspath(keyfile)}


def celery_worker_args(queues: str, concurrency: int, loglevel: str) -> list[str]:
    return ["worker", "--pool", "threads", "--concurrency", str(concurrency),
            "--queues", queues, "--loglevel", loglevel]  # fmt: skip


def beat_args(home: object) -> list[str]:
    """Also run celery beat (the daily cleanup), its schedule state kept in MUSEION_HOME."""
    return ["--beat", "--schedule", os.path.join(str(home), "celerybeat-schedule")]


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option(
    "--threads",
    type=click.IntRange(1, 512),
    help="Request threads of the worker process [default: MUSEION_SERVE_THREADS, or 4].",
)
@click.option(
    "--no-worker",
    is_flag=True,
    help="Do not start the embedded Celery worker (also MUSEION_EMBEDDED_WORKER=0).",
)
@click.option(
    "--certfile",
    type=click.Path(exists=True, dir_okay=False, readable=True),
    help="Serve HTTPS with this certificate (PEM); needs --keyfile. Phones allow the camera only over HTTPS.",
)
@click.option(
    "--keyfile",
    type=click.Path(exists=True, dir_okay=False, readable=True),
    help="The certificate's private key (PEM).",
)
def serve(
    host: str, port: int, threads: int | None, no_worker: bool, certfile: str | None, keyfile: str | None
) -> None:
    """Run the web application (gunicorn, one process) and a Celery worker."""
    if bool(certfile) != bool(keyfile):
        raise click.UsageError("--certfile and --keyfile go together: give both, or neither")
    tls = check_tls(certfile, keyfile) if certfile and keyfile else None
    _environment()
    settings = _django_settings()
    from django.core.management import call_command
    from django.db import connections

    # A first start takes a minute on a small machine: say what it is doing.
    progress("loading the built-in models")
    preload_models()  # a missing or broken model stops here, with exit code 1
    progress("applying database migrations")
    call_command("migrate", interactive=False, verbosity=0)
    progress("collecting static files")
    call_command("collectstatic", interactive=False, verbosity=0)  # compressed copies for whitenoise
    connections.close_all()
    progress(
        "starting the web server" + ("" if no_worker or not settings.EMBEDDED_WORKER else " and a worker")
    )
    if host not in ("127.0.0.1", "localhost", "::1") and "ALLOWED_HOSTS" not in os.environ:
        lan = lan_address() if host in ("0.0.0.0", "::") else host
        example = ",".join(["localhost", "127.0.0.1", *([lan] if lan else [])])
        click.echo(
            f"museion: note: set ALLOWED_HOSTS to the host names clients use (now {settings.ALLOWED_HOSTS}), "
            f"e.g. ALLOWED_HOSTS={example}",
            err=True,
        )
    worker = None
    if not no_worker and settings.EMBEDDED_WORKER:
        worker = [sys.executable, "-m", "celery", "-A", "museion.web.celery", "--quiet",
                  *celery_worker_args(QUEUES, EMBEDDED_CONCURRENCY, "warning"),
                  *beat_args(settings.HOME)]  # fmt: skip
    config = {
        "host": host,
        "port": port,
        "threads": threads or settings.SERVE_THREADS,
        "worker": worker,
        "tls": tls,
    }
    # glibc serves big allocations from its heaps once one such block is freed, and keeps
    # them: a burst of 49 MP pictures left the process 750 MB larger for good. A fixed
    # threshold keeps every block of 1 MiB or more mapped apart, given back when freed.
    os.environ.setdefault("MALLOC_MMAP_THRESHOLD_", str(MMAP_THRESHOLD_BYTES))
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-c", _MASTER, os.path.abspath(__file__), json.dumps(config)])


@click.command()
@click.option("--queues", default=QUEUES, show_default=True, help="Queues to consume, comma-separated.")
@click.option(
    "--concurrency",
    type=click.IntRange(1, 512),
    default=os.cpu_count() or 1,
    show_default="the number of cores",
    help="Tasks run at once (threads).",
)
@click.option("--loglevel", type=click.Choice(LOG_LEVELS), default="info", show_default=True)
@click.option("--beat", is_flag=True, help="Also run the periodic tasks (daily cleanup): on one worker only.")
def worker(queues: str, concurrency: int, loglevel: str, beat: bool) -> None:
    """Run a Celery worker in the foreground (threads; MUSEION_THREADS defaults to 1)."""
    names = ",".join(q.strip() for q in queues.split(",") if q.strip())
    if not names:
        raise click.BadParameter("name at least one queue", param_hint="--queues")
    _environment()
    settings = _django_settings()
    from museion.web.celery import app

    declare_queues(app, names.split(","))
    # A node name of its own: several workers on one machine must not share one.
    app.worker_main(
        [
            *celery_worker_args(names, concurrency, loglevel),
            *(beat_args(settings.HOME) if beat else []),
            "--hostname",
            f"museion-{os.getpid()}@%h",
        ]
    )


QUEUE_DECLARE_TRIES = 5


def declare_queues(app: Any, names: list[str]) -> None:
    """Make sure each queue exists on the broker before the worker starts consuming.

    The embedded broker (SQLite through SQLAlchemy) creates a queue's row on first use with a
    read then an insert: two workers starting at the same instant both insert, and the loser
    dies with an IntegrityError. The loser's next try finds the row. Redis and RabbitMQ declare
    queues atomically: they are left to Celery.
    """
    if not str(app.conf.broker_url or "").startswith("sqla+"):
        return
    try:
        from sqlalchemy.exc import IntegrityError
    except ImportError:  # no SQL broker installed: nothing can race this way
        return
    for attempt in range(1, QUEUE_DECLARE_TRIES + 1):
        try:
            with app.connection_for_write() as connection:  # a new session each try
                channel = connection.default_channel
                for name in names:
                    channel.queue_declare(queue=name, durable=True, auto_delete=False)
            return
        except IntegrityError:
            if attempt == QUEUE_DECLARE_TRIES:
                raise
            time.sleep(0.1 * attempt)


# --- What runs in the fresh interpreter -------------------------------------------------------


def run_server(config_json: str) -> None:
    config = json.loads(config_json)
    host, port = config["host"], config["port"]
    options = {
        "bind": [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"],
        "workers": 1,
        "worker_class": "museion.web.gworker.QueueTimedWorker",  # gthread, timing the queue
        "threads": config["threads"],
        "graceful_timeout": GRACEFUL_TIMEOUT_S,
        "keepalive": 5,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "proc_name": "museion",
        # A control socket would be one path per user, shared by every server it runs.
        "control_socket_disable": True,
        **(config.get("tls") or {}),
    }
    try:
        MuseionServer(options, config["worker"]).run()
    except SystemExit as exc:
        # gunicorn exits 3 or 4 when the worker cannot start; it has said why.
        if exc.code not in (0, None):
            raise SystemExit(1) from None
        raise


class MuseionServer(BaseApplication):
    def __init__(self, options: dict[str, Any], worker_argv: list[str] | None) -> None:
        self.options = options
        self.worker_argv = worker_argv
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings:  # settings newer than the installed gunicorn are skipped
                self.cfg.set(key, value)

    def load(self) -> Any:
        """The WSGI application, in the worker process, with its model sessions loaded."""
        import gc

        from django.conf import settings
        from django.urls import get_resolver

        from museion.vision.errors import VisionError

        # serve has run collectstatic: whitenoise serves STATIC_ROOT, compressed copies included,
        # rather than the apps' own folders (which it prefers when finders are on).
        settings.WHITENOISE_USE_FINDERS = False
        from museion.web.wsgi import application

        try:
            preload_models()
        except VisionError as exc:
            raise AppImportError(str(exc)) from None
        get_resolver().url_patterns  # noqa: B018 - import the URL conf and API now, not on a first request
        # Keep the collector off the long-lived objects loaded so far: shorter pauses.
        gc.collect()
        gc.freeze()
        return application

    def run(self) -> None:
        arbiter = MuseionArbiter(self, EmbeddedWorker(self.worker_argv) if self.worker_argv else None)
        try:
            arbiter.run()
        except RuntimeError as exc:
            click.echo(f"museion: {exc}", err=True)
            raise SystemExit(1) from None
        finally:
            if arbiter.embedded is not None:
                arbiter.embedded.stop(graceful=False)


class MuseionArbiter(Arbiter):
    """gunicorn's master, which also starts, watches and stops the embedded Celery worker."""

    def __init__(self, app: MuseionServer, embedded: EmbeddedWorker | None) -> None:
        self.embedded = embedded
        super().__init__(app)
        # On USR2 gunicorn re-executes sys.argv, which in this interpreter is `-c <path> <config>`.
        self.START_CTX["args"] = [sys.executable, "-c", _MASTER, *sys.argv[1:]]

    def start(self) -> None:
        super().start()  # the socket is bound from here on
        if self.embedded is not None:
            self.embedded.start()
        scheme = "https" if self.cfg.is_ssl else "http"
        for listener in self.LISTENERS:
            address = listener.sock.getsockname()
            host = f"[{address[0]}]" if ":" in address[0] else address[0]
            click.echo(f"Museion is listening on {scheme}://{host}:{address[1]}/")
            if address[0] in ("0.0.0.0", "::") and (lan := lan_address()) is not None:
                click.echo(
                    f"museion: from another device on this network: {scheme}://{lan}:{address[1]}/", err=True
                )
        sys.stdout.flush()

    def handle_chld(self, *args: Any) -> None:
        # Reap the Celery worker with a waitpid of its own before gunicorn's waitpid(-1) can.
        if self.embedded is not None:
            self.embedded.poll()
        super().handle_chld(*args)

    def manage_workers(self) -> None:
        super().manage_workers()
        if self.embedded is not None:
            self.embedded.keep_alive(self.log)

    def stop(self, graceful: bool = True) -> None:
        if self.embedded is not None:
            self.embedded.ask_to_stop(graceful)  # both stop at the same time
        super().stop(graceful)
        if self.embedded is not None:
            self.embedded.stop(graceful)


class EmbeddedWorker:
    """A Celery worker child process: its own process group, so that only serve signals it."""

    def __init__(self, argv: list[str]) -> None:
        self.argv = argv
        self.process: subprocess.Popen | None = None
        self.started = 0.0
        self.stop_signal: int | None = None  # the last one sent

    def start(self) -> None:
        parent = os.getpid()
        prctl = _prctl()

        def die_with_parent() -> None:  # in the child, between fork and exec
            if prctl is not None:
                prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG: SIGTERM when serve dies, even by SIGKILL
            if os.getppid() != parent:
                os.kill(os.getpid(), signal.SIGTERM)

        self.process = subprocess.Popen(
            self.argv,
            stdin=subprocess.DEVNULL,
            stdout=sys.stderr,  # serve's standard output is its one line: where it listens
            process_group=0,
            preexec_fn=die_with_parent,
        )
        self.started = time.monotonic()

    def poll(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def keep_alive(self, log: logging.Logger) -> None:
        """Restart a worker that died, unless it died young (it would only die again)."""
        if self.process is None or self.stop_signal is not None or self.process.poll() is None:
            return
        code, uptime = self.process.returncode, time.monotonic() - self.started
        if uptime < WORKER_MIN_UPTIME_S:
            log.error(
                "the embedded Celery worker exited (code %s) after %.0f s; not restarting it. "
                "Run `museion worker` to see why.",
                code,
                uptime,
            )
            self.process = None
            return
        log.warning("the embedded Celery worker exited (code %s); restarting it", code)
        self.start()

    def ask_to_stop(self, graceful: bool) -> None:
        """SIGTERM: warm shutdown (tasks in flight finish); SIGQUIT: cold shutdown. Each sent once."""
        sig = signal.SIGTERM if graceful else signal.SIGQUIT
        if self.stop_signal in (sig, signal.SIGQUIT):
            return
        self.stop_signal = sig
        if self.poll() is None:
            self._signal(sig)

    def stop(self, graceful: bool) -> None:
        """Stop the worker and wait for it: warm shutdown, then cold, then SIGKILL."""
        self.ask_to_stop(graceful)
        if self.process is None:
            return
        steps = [(WORKER_WARM_STOP_S, signal.SIGQUIT)] if graceful else []
        steps.append((WORKER_COLD_STOP_S, signal.SIGKILL))
        for timeout, escalate in steps:
            try:
                self.process.wait(timeout)
                return
            except subprocess.TimeoutExpired:
                self._signal(escalate)
        self.process.wait()

    def _signal(self, sig: int) -> None:
        if self.process is None:
            return
        try:
            self.process.send_signal(sig)
        except OSError as exc:  # already gone
            if exc.errno != errno.ESRCH:
                raise


def lan_address() -> str | None:
    """This machine's address on its default route (a UDP connect sends nothing), if it has one."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def _prctl() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
