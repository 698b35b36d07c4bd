"""Guards in front of the API: body size (413) and CORS.

Both act before Django parses a body, so an oversized upload is refused
without being read or written anywhere.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

from museion.http.errors import error_response, is_api
from museion.http.multipart import read_form

CORS_METHODS = "GET, POST, PATCH, DELETE, OPTIONS"
CORS_HEADERS = "Authorization, Content-Type, X-CSRFToken"
MULTIPART_OVERHEAD = 64 * 1024  # boundaries and the other form fields


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
        else:
            response = self._refuse_oversized(request) or self._json_405(request, self._respond(request))
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
        return error_response(405, "method_not_allowed", f"{request.method} is not allowed here", allow)

    @staticmethod
    def _refuse_oversized(request: HttpRequest) -> HttpResponse | None:
        try:
            length = int(request.headers.get("Content-Length") or 0)
        except ValueError:
            return error_response(400, "bad_request", "Content-Length is not a number")
        limit = settings.MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD
        if length > limit:
            return error_response(
                413, "too_large", f"the upload is over the limit of {settings.MAX_UPLOAD_BYTES / 1e6:.0f} MB"
            )
        return None


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
