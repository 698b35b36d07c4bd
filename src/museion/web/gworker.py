"""The gunicorn worker of `museion serve`: gthread, noting when each request starts to wait."""

from __future__ import annotations

import time
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

from museion.web.overload import note_queued


class QueueTimedWorker(ThreadWorker):
    def enqueue_req(self, conn: Any) -> None:
        conn.museion_queued = time.monotonic()  # ready to be read; waits for a free thread from now
        super().enqueue_req(conn)

    def handle(self, conn: Any) -> Any:
        note_queued(getattr(conn, "museion_queued", None))
        try:
            return super().handle(conn)
        finally:
            note_queued(None)
