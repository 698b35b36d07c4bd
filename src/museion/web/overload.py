"""Shedding load: a request that waited too long for a server thread is refused at once with 503.

Under more clients than the CPU can serve, requests queue inside the server
and every answer comes later; past a point the caller has given up (a visitor's
camera has sent the next frame) and the work would be wasted. `museion serve`
runs gunicorn with `QueueTimedWorker`, which notes when each request starts
waiting for a thread; `ShedLoadMiddleware` refuses costly requests (POSTs:
predictions, uploads) that waited longer than MUSEION_MAX_QUEUE_SECONDS, before
their body is parsed or stored. Cheap reads, the health check among them, are
still served.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from museion.http.errors import error_response, is_api

_waiting = threading.local()  # since when the request this thread now serves waited


def note_queued(since: float | None) -> None:
    _waiting.since = since


def queued_for() -> float:
    """Seconds the current request waited for a thread (0 outside `museion serve`)."""
    since = getattr(_waiting, "since", None)
    return 0.0 if since is None else time.monotonic() - since


class ShedLoadMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.MAX_QUEUE_SECONDS
        waited = queued_for()
        if request.method == "POST" and limit and waited > limit:
            _discard_body(request)
            return overloaded(request, waited)
        return self.get_response(request)


def _discard_body(request: HttpRequest) -> None:
    """Read the unread upload off the connection, so that the client can send its next request on it.

    Left unread, the server closes the connection after answering, and a
    keep-alive client finds it closed when it sends again. Reading costs far
    less than the decoding and inference this request is spared.
    """
    try:
        remaining = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return
    if remaining > settings.MAX_UPLOAD_BYTES + 1_000_000:  # refused as too large anyway: let it close
        return
    stream = request.META["wsgi.input"]
    while remaining > 0:
        chunk = stream.read(min(65536, remaining))
        if not chunk:
            return
        remaining -= len(chunk)


def overloaded(request: HttpRequest, waited: float) -> HttpResponse:
    retry = str(max(1, math.ceil(waited)))
    message = f"the server is busy (this request waited {waited:.1f} s); try again in {retry} s"
    if is_api(request.path):
        return error_response(503, "overloaded", message, {"Retry-After": retry})
    response = HttpResponse(message, status=503, content_type="text/plain")
    response["Retry-After"] = retry
    return response
