"""The one error shape of the API: `{"error": {"code": ..., "message": ...}}`."""

from __future__ import annotations

from django.http import JsonResponse


class ApiError(Exception):
    """Raised anywhere under the API to answer with `status` and this error."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JsonResponse:
    response = JsonResponse({"error": {"code": code, "message": message}}, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def is_api(path: str) -> bool:
    return path.startswith("/api/")


# The database or the job queue is unreachable: the client may try again shortly.
RETRY_AFTER_S = "5"


def unavailable_response(what: str) -> JsonResponse:
    return error_response(
        503,
        "unavailable",
        f"the {what} is unreachable just now; nothing was changed. Try again in a few seconds",
        {"Retry-After": RETRY_AFTER_S},
    )


def unavailable_service(exc: BaseException | None) -> str | None:
    """'database' or 'job queue' when `exc` says that one is unreachable, else None."""
    from django.db import InterfaceError, OperationalError
    from kombu.exceptions import OperationalError as BrokerError

    if isinstance(exc, BrokerError):
        return "job queue"
    if _redis_down(exc):
        return "cache"
    if isinstance(exc, OperationalError | InterfaceError):
        return "database"
    return None


def _redis_down(exc: BaseException | None) -> bool:
    """MUSEION_CACHE_URL's Redis is unreachable (the `redis` extra may not be installed)."""
    try:
        from redis.exceptions import ConnectionError as Unreachable
        from redis.exceptions import TimeoutError as Late
    except ImportError:
        return False
    return isinstance(exc, Unreachable | Late)
