"""Who is calling the API: a bearer token, or the browser session (with CSRF)."""

from __future__ import annotations

from django.http import HttpRequest
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from museion.accounts.models import ApiToken, User, digest
from museion.http.errors import ApiError

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def resolve_user(request: HttpRequest) -> User | None:
    """The caller, or None when anonymous. A bad token is an error, not anonymity."""
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _space, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise ApiError(401, "unauthorized", _("send the token as 'Authorization: Bearer <token>'"))
        user = ApiToken.authenticate(secret.strip())
        request.museion_token_digest = digest(secret.strip())  # type: ignore[attr-defined]
        if user is None:
            raise ApiError(401, "invalid_token", _("the token is not valid (revoked, or mistyped)"))
    elif request.user.is_authenticated:
        user = request.user
        if request.method not in SAFE_METHODS:
            _check_csrf(request)
    else:
        user = None
    request.museion_user = user  # type: ignore[attr-defined]
    return user


def _check_csrf(request: HttpRequest) -> None:
    # Ninja's views are CSRF-exempt; a session is a browser, so check here.
    failure = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})  # type: ignore[arg-type]
    if failure is not None:
        raise ApiError(403, "csrf_failed", _("the CSRF token is missing or wrong; reload the page"))


class TokenOrSession(HttpBearer):
    """Ninja auth for endpoints that need a signed-in caller (documents the bearer scheme)."""

    def __call__(self, request: HttpRequest) -> User | None:
        return resolve_user(request)

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        return ApiToken.authenticate(token)


def calling_token(request: HttpRequest) -> ApiToken | None:
    """The token the request was authenticated with; None for a browser session."""
    found = getattr(request, "museion_token_digest", None)
    return ApiToken.objects.filter(digest=found).first() if found else None


def require_user(request: HttpRequest) -> User:
    user = resolve_user(request)
    if user is None:
        raise ApiError(401, "unauthorized", _("sign in, or send 'Authorization: Bearer <token>'"))
    return user
