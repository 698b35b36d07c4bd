"""The JSON API at /api/v1/: one NinjaAPI, one error shape, routers per app."""

from __future__ import annotations

import errno
import logging

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from museion import __version__
from museion.accounts.api import router as auth_router
from museion.accounts.workspace_api import router as workspaces_router
from museion.albums.api import public as visitor_router
from museion.albums.api import router as albums_router
from museion.errors import DomainError
from museion.http.errors import (
    ApiError,
    error_response,
    refusal_response,
    unavailable_response,
    unavailable_service,
)
from museion.recognition.api import router as recognition_router
from museion.vision.catalog import Catalog
from museion.vision.errors import VisionError
from museion.web.parsing import TextParser

log = logging.getLogger("museion.web")

# What any operation may answer, whatever its view does: the request refused as malformed (a bad
# Content-Length, a NUL in the URL, a body that is not a JSON object), a body over MUSEION_MAX_UPLOAD_MB
# (ApiGuardMiddleware, before any view), the database or job queue unreachable.
EVERY_OPERATION = (400, 413, 503)
SIGNED_IN = (401, 403)  # no or a bad token; a session's unsafe request without its CSRF token
WITH_PATH_IDS = (404,)  # someone else's object answers like a missing one


class MuseionApi(NinjaAPI):
    """Ninja's API, its schema declaring every status the server answers (Schemathesis checks it)."""

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict | None = None) -> dict:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for operation in (op for item in schema["paths"].values() for op in item.values()):
            declare_errors(operation)
        return schema


def declare_errors(operation: dict) -> None:
    statuses = list(EVERY_OPERATION)
    if operation.get("security"):
        statuses += SIGNED_IN
    if any(p["in"] == "path" for p in operation.get("parameters", ())):
        statuses += WITH_PATH_IDS
    error = {"description": "Error", "content": {"application/json": {"schema": ERROR_SCHEMA}}}
    for status in sorted(statuses):
        operation["responses"].setdefault(status, error)


ERROR_SCHEMA = {"$ref": "#/components/schemas/ErrorOut"}

api = MuseionApi(
    title="Museion",
    version=__version__,
    description="Image classification and object detection. Authenticate with a session or "
    "`Authorization: Bearer <token>` (POST /api/v1/auth/token). "
    "[Back to Museion](/) · [API tokens](/account/tokens/)",
    urls_namespace="api",
    parser=TextParser(),
)


class HealthOut(Schema):
    status: str
    version: str
    models: list[str]


api.add_router("/auth", auth_router)
api.add_router("/", workspaces_router)
api.add_router("/", recognition_router)
api.add_router("/", albums_router)
api.add_router("/", visitor_router)


@api.get("/health", response=HealthOut, tags=["service"])
def health(request: HttpRequest) -> HealthOut:
    return HealthOut(status="ok", version=__version__, models=sorted(Catalog().all()))


@api.exception_handler(ApiError)
def on_api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return error_response(exc.status, exc.code, exc.message, exc.headers)


@api.exception_handler(DomainError)
def on_refusal(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return refusal_response(exc)


@api.exception_handler(VisionError)
def on_vision_error(request: HttpRequest, exc: VisionError) -> HttpResponse:
    return refusal_response(exc)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return error_response(400, "invalid_request", describe_validation(exc.errors))


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(401, "unauthorized", _("sign in, or send 'Authorization: Bearer <token>'"))


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(404, "not_found", _("not found"))


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, ApiError):  # ninja wraps what its body parser raises (TextParser)
        return on_api_error(request, exc.__cause__)
    return error_response(exc.status_code, "error", str(exc))


@api.exception_handler(SuspiciousOperation)
def on_suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    # Django's own refusals of a request (a body over DATA_UPLOAD_MAX_MEMORY_SIZE, too many
    # fields): the client's fault, not a 500.
    if isinstance(exc, RequestDataTooBig):
        return error_response(413, "too_large", _("the request body is too large"))
    return error_response(400, "bad_request", _("the request was refused as malformed"))


@api.exception_handler(MultiPartParserError)
def on_bad_multipart(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
    return error_response(
        400, "bad_multipart", _("the multipart form cannot be read: %(reason)s") % {"reason": exc}
    )


@api.exception_handler(Exception)
def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    what = unavailable_service(exc)
    if what is not None:
        log.warning("%s unavailable on %s %s: %s", what, request.method, request.path, exc)
        return unavailable_response(what)
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        log.error("storage full on %s %s: %s", request.method, request.path, exc)
        return error_response(
            507, "storage_full", _("the server's storage is full; nothing was stored. Tell its operator")
        )
    log.exception("unexpected error on %s %s", request.method, request.path)
    return error_response(500, "internal_error", _("something went wrong on the server; it has been logged"))


def describe_validation(errors: list[dict]) -> str:
    parts = []
    for error in errors:
        where = ".".join(
            str(p) for p in error.get("loc", ()) if p not in ("body", "query", "form", "file", "path")
        )
        parts.append(f"{where}: {error.get('msg', 'invalid')}" if where else str(error.get("msg", "invalid")))
    return "; ".join(parts) or "the request is not valid"
