"""The one error shape of the API: `{"error": {"code": ..., "message": ...}}`, and the one table
that turns a refusal's code (`museion.errors.DomainError`, `museion.vision.VisionError`) into a status.
"""

from __future__ import annotations

from django.http import JsonResponse

from museion.errors import DomainError
from museion.http import vision_messages
from museion.vision.errors import VisionError

# The HTTP status of each refusal's code; any other code is a 400 (the request cannot be done as sent).
STATUS = {
    "not_found": 404,
    "forbidden": 403,
    # MUSEION_SIGNUP is closed, or invite and the sign-up came without an invitation
    "signup_closed": 403,
    "invitation_required": 403,
    # in conflict with the state of things: try again once it changed
    "name_taken": 409,
    "already_training": 409,
    "job_finished": 409,
    "no_model": 409,
    "no_validation_scores": 409,
    # an invitation link that was used, withdrawn or mistyped, or is too old
    "invalid_invitation": 404,
    "invitation_expired": 410,
    # too large: past a limit of the server or the workspace
    "too_large": 413,
    "quota_exceeded": 413,
    "image_too_large": 413,
    "zip_too_large": 413,
    "video_too_long": 413,
    "video_too_large": 413,
    # too much heavy work in flight for the user or the workspace (albums.heavy): later, with Retry-After
    "too_busy": 429,
    # not a kind of file Museion takes
    "not_an_image": 415,
    "unsupported_format": 415,
    "unsupported_media": 415,
    "bad_video": 415,
    "not_a_video": 415,  # a file named like a video holding something else
    # a model that is known but cannot be run here just now
    "model_error": 503,
    "model_unavailable": 503,
    "invalid_model": 503,
}
# Named for the tests and the README: these are 400 on purpose.
BAD_REQUEST = (
    "empty_file",
    "empty_image",
    "corrupt_image",
    "bad_image",
    "bad_zip",
    "not_enough_classes",
    "unknown_model",
    "unknown_label",
    "wrong_task",
    "invalid_email",
    "invalid_password",
    "invalid_old_password",
    "invalid_new_password",
    "workspace_rule",
    "invalid_rotation",
    "invalid_language",
    "invalid_translation",  # a class card's translations: not an object of texts, too long, too many
    "invalid_action",  # a review action other than assign, negative, discard
    "class_required",  # assigning a visitor's photo without naming the class
    "invalid_answer",  # a visitor answer reported with an impossible time
    "invalid_period",  # statistics asked for a start after the end, or too long a period
)


def status_for(code: str) -> int:
    return STATUS.get(code, 400)


def refusal_response(exc: DomainError | VisionError) -> JsonResponse:
    # A refusal that passes with time (`too_busy`) says when to try again.
    retry_after = getattr(exc, "retry_after", None)
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    message = vision_messages.translated(exc.message) if isinstance(exc, VisionError) else exc.message
    return error_response(status_for(exc.code), exc.code, message, headers)


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
