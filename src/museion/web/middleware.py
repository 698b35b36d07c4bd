"""Guards in front of the API: body size (413), forms without a boundary (400) and CORS.

They act before Django parses a body, so an oversized upload is refused
without being parsed or stored anywhere. Its body is still read off the
connection and thrown away, within bounds (`linger`), as nginx's lingering
close does: a client that sends the whole body before reading (Python's
http.client and urllib, many scripts) would otherwise find the connection
reset and see "Broken pipe" instead of the answer.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParser
from django.utils.cache import patch_vary_headers
from django.utils.http import parse_header_parameters
from django.utils.translation import gettext as _

from museion.http.errors import error_response, is_api
from museion.http.multipart import read_form
from museion.http.uploads import over_the_limit_message
from museion.web.parsing import NUL

CORS_METHODS = "GET, POST, PATCH, DELETE, OPTIONS"
CORS_HEADERS = "Authorization, Content-Type, X-CSRFToken"
MULTIPART_OVERHEAD = 64 * 1024  # boundaries and the other form fields
# A refused body is read and thrown away for at most this long and this much: a slow
# client holds a request thread no longer, a fast one (loopback, nginx) gets its answer.
LINGER_SECONDS = 2.0
LINGER_MAX_BYTES = 128 * 1024 * 1024


def _refuse_nul_url(request: HttpRequest) -> HttpResponse | None:
    """A NUL in the URL, for every operation: ninja's parser sees only those with a body or a query."""
    if NUL not in request.path_info:
        return None
    return error_response(400, "invalid_request", _("the URL: text may not contain NUL characters (\\u0000)"))


class ApiGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_api(request.path):
            return self.get_response(request)
        origin = request.headers.get("Origin")
        allowed = origin if origin and origin in settings.CORS_ORIGINS else None
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            response = HttpResponse(status=204 if allowed else 403)
        elif (
            refused := self._refuse_oversized(request)
            or _refuse_bad_multipart(request)
            or _refuse_nul_url(request)
        ):
            # Once the answer is written, not before: a client that reads while it sends (curl,
            # browsers) has it at once. The WSGI server closes the response after writing it;
            # Django runs its closers then (a private list, but the only hook at that moment).
            refused._resource_closers.append(lambda: linger(request))
            response = refused
        else:
            response = self._json_405(request, self._respond(request))
        if allowed:
            response["Access-Control-Allow-Origin"] = allowed
            response["Access-Control-Allow-Methods"] = CORS_METHODS
            response["Access-Control-Allow-Headers"] = CORS_HEADERS
            response["Access-Control-Max-Age"] = "600"
        patch_vary_headers(response, ("Origin",))  # added to, not replaced: a session adds Cookie
        return response

    def _respond(self, request: HttpRequest) -> HttpResponse:
        _read_body_at_once(request)
        return self.get_response(request)

    @staticmethod
    def _json_405(request: HttpRequest, response: HttpResponse) -> HttpResponse:
        """Ninja answers a wrong method in plain text; keep the API's one error shape."""
        if response.status_code != 405 or "json" in response.get("Content-Type", ""):
            return response
        allow = {"Allow": response["Allow"]} if response.has_header("Allow") else {}
        return error_response(
            405, "method_not_allowed", _("%(method)s is not allowed here") % {"method": request.method}, allow
        )

    @staticmethod
    def _refuse_oversized(request: HttpRequest) -> HttpResponse | None:
        try:
            length = int(request.headers.get("Content-Length") or 0)
        except ValueError:
            return error_response(400, "bad_request", _("Content-Length is not a number"))
        if over_the_limit(length):
            return error_response(413, "too_large", over_the_limit_message())
        return None


def over_the_limit(length: int) -> bool:
    """Whether an API request body of `length` bytes is refused 413 before it is read."""
    return length > settings.MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD


def linger(request: HttpRequest) -> None:
    """Read and discard the unread body of a refused request, for LINGER_SECONDS at most.

    Only under gunicorn (`museion serve`), whose socket is at hand to be bounded in
    time. A body left partly unread makes gunicorn close the connection, as before.
    A client that sent `Expect: 100-continue` got no "100 Continue" and the connection
    is closed after the answer (gworker): what it sends next is no body to read.
    """
    sock, stream = request.META.get("gunicorn.socket"), request.META.get("wsgi.input")
    if sock is None or stream is None or request.headers.get("Expect", "").lower() == "100-continue":
        return
    try:
        left = min(int(request.headers.get("Content-Length") or 0), LINGER_MAX_BYTES)
    except ValueError:
        return
    # The socket's timeout bounds each recv(), but a read of 64 KiB is many recv()s for a
    # client that trickles: at the deadline a timer shuts the reading side, ending them all.
    timer = threading.Timer(LINGER_SECONDS, _stop_reading, (sock,))
    timer.start()
    prior = sock.gettimeout()
    deadline = time.monotonic() + LINGER_SECONDS
    try:
        while left > 0 and (remaining := deadline - time.monotonic()) > 0:
            sock.settimeout(remaining)
            data = stream.read(min(left, 64 * 1024))
            if not data:
                return
            left -= len(data)
    except (OSError, ValueError):
        return  # timed out, reset, or shut by the timer: the connection closes
    finally:
        timer.cancel()
        with contextlib.suppress(OSError):
            sock.settimeout(prior)


def _stop_reading(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RD)


def _refuse_bad_multipart(request: HttpRequest) -> HttpResponse | None:
    """A form without a usable boundary cannot be parsed: 400, not Django's parser error (a 500)."""
    if request.content_type != "multipart/form-data":  # the only multipart type Django parses
        return None
    _type, params = parse_header_parameters(request.META.get("CONTENT_TYPE", ""))
    if MultiPartParser.boundary_re.fullmatch(params.get("boundary", "")):
        return None
    return error_response(
        400, "bad_multipart", _("Content-Type multipart/form-data needs a boundary, as in `; boundary=XYZ`")
    )


def _read_body_at_once(request: HttpRequest) -> None:
    """Read a form's body in one call, its size being checked (`_refuse_oversized`).

    Django's parser reads 64 KiB at a time, and gunicorn's buffer copies all it
    holds beyond each read: a 1.4 MB photo cost a megabyte of copying per 64 KiB.
    """
    if request.method != "POST" or not request.content_type.startswith("multipart/form-data"):
        return
    length = int(request.headers.get("Content-Length") or 0)  # a number: checked just before
    if length > 0:
        read_form(request, length)
