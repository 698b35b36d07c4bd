"""Error pages: JSON under /api/, HTML elsewhere; never a traceback."""

from __future__ import annotations

import sys

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt

from museion.http.errors import (
    RETRY_AFTER_S,
    error_response,
    is_api,
    unavailable_response,
    unavailable_service,
)


@csrf_exempt  # nothing here to protect; a POST to a wrong path should learn the path is wrong
def api_not_found(request: HttpRequest) -> HttpResponse:
    return error_response(404, "not_found", f"no API endpoint at {request.path}")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api(request.path):
        return api_not_found(request)
    return render(request, "error.html", {"title": "Not found", "status": 404}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this inside its `except`: the exception says whether a service is down.
    what = unavailable_service(sys.exc_info()[1])
    if what is not None:
        return unavailable(request, what)
    if is_api(request.path):
        return error_response(500, "internal_error", "something went wrong on the server; it has been logged")
    return render(request, "error.html", {"title": "Something went wrong", "status": 500}, status=500)


def unavailable(request: HttpRequest, what: str) -> HttpResponse:
    if is_api(request.path):
        return unavailable_response(what)
    # No template: rendering one may need the very database that is down.
    response = HttpResponse(
        f"<!doctype html><title>Unavailable</title><h1>Back in a moment</h1>"
        f"<p>The {what} is unreachable just now. This page will work again in a few seconds.</p>",
        status=503,
    )
    response["Retry-After"] = RETRY_AFTER_S
    return response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form or session call without its CSRF token: the API's error shape under /api/."""
    if is_api(request.path):
        return error_response(
            403, "csrf_failed", "signed in by session: send the X-CSRFToken header, or use a Bearer token"
        )
    return render(
        request, "403.html", {"exception": "the form expired; reload the page and try again"}, status=403
    )
