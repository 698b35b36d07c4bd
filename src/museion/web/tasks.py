"""Tasks of the web app. `ping` tells that a worker consumes the queue."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from pathlib import Path

from celery import shared_task
from django.conf import settings

log = logging.getLogger("museion.web")
PING_FILE = "worker-ping.json"


def ping_file() -> Path:
    return Path(settings.HOME) / PING_FILE


@shared_task(name="museion.web.tasks.ping")
def ping(token: str = "") -> str:
    """Answer "pong", and record in MUSEION_HOME/worker-ping.json when it last ran, with `token`,
    so a health check (or a test) can tell that a worker consumes the queue."""
    record = {"token": str(token)[:200], "at": time.time(), "pid": os.getpid()}
    path = ping_file()
    tmp = path.with_name(f".{PING_FILE}.{os.getpid()}.{threading.get_ident()}")
    try:
        tmp.write_text(json.dumps(record))
        tmp.replace(path)
    except OSError as exc:
        log.warning("ping could not record itself in %s: %s", path, exc)
    return "pong"


@shared_task(name="museion.web.tasks.cleanup")
def cleanup() -> dict:
    """The daily `museion cleanup` (celery beat: see museion.web.celery)."""
    from museion.web.cleanup import cleanup as run

    report = run().as_dict()
    log.info("cleanup: %s", report)
    return report
