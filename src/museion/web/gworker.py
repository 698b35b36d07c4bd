"""The gunicorn worker of `museion serve`: gthread, noting when each request starts to wait,
and honouring `Expect: 100-continue` for uploads the API will refuse as too large."""

from __future__ import annotations

import time
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

from museion.web.overload import note_queued


class QueueTimedWorker(ThreadWorker):
    def enqueue_req(self, conn: Any) -> None:
        conn.museion_queued = time.monotonic()  # ready to be read; waits for a free thread from now
        super().enqueue_req(conn)

    def handle_request(self, req: Any, conn: Any) -> Any:
        # gunicorn answers "100 Continue" before the application runs, and the client then
        # sends its whole body only to be refused. For a body over the upload limit the
        # client gets the 413 instead, and sends nothing; the connection then closes, as
        # whatever it sends next (the body after all, or a request) cannot be told apart.
        if getattr(req, "_expected_100_continue", False) and _refused_as_too_large(req):
            req._expected_100_continue = False
            req.must_close = True
        return super().handle_request(req, conn)

    def handle(self, conn: Any) -> Any:
        note_queued(getattr(conn, "museion_queued", None))
        try:
            return super().handle(conn)
        finally:
            note_queued(None)


def _refused_as_too_large(req: Any) -> bool:
    from museion.http.errors import is_api  # the worker has Django; the master does not import it
    from museion.web.middleware import over_the_limit

    length = next((value for name, value in req.headers if name == "CONTENT-LENGTH"), "0")
    try:
        return is_api(req.path) and over_the_limit(int(length))
    except ValueError:
        return False
