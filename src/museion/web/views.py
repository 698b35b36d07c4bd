"""Error pages: JSON under /api/, HTML elsewhere; never a traceback."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from museion.web.errors import error_response, is_api


def api_not_found(request: HttpRequest) -> HttpResponse:
    return error_response(404, "not_found", f"no API endpoint at {request.path}")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api(request.path):
        return api_not_found(request)
    return render(request, "error.html", {"title": "Not found", "status": 404}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api(request.path):
        return error_response(500, "internal_error", "something went wrong on the server; it has been logged")
    return render(request, "error.html", {"title": "Something went wrong", "status": 500}, status=500)
