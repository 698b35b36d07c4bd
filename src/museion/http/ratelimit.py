"""Fixed-window request counting in the Django cache, per user and per IP."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext as _

from museion.http.errors import ApiError


def client_ip(request: HttpRequest) -> str:
    """The caller's address. X-Forwarded-For counts only as written by MUSEION_TRUSTED_PROXIES.

    Any client can write X-Forwarded-For; a proxy appends the address it saw.
    So the list is read from its end, skipping the trusted proxies, and the
    first address that is not one of them is the client.
    """
    peer = request.META.get("REMOTE_ADDR", "unknown")
    trusted = settings.TRUSTED_PROXIES
    if peer not in trusted:
        return peer
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if hop not in trusted:
            return hop
    return peer


def hit(scope: str, ident: str, rate: tuple[int, int]) -> None:
    """Count one request; raise a 429 ApiError past `rate` (count, seconds)."""
    count, seconds = rate
    if count <= 0:
        return
    window = int(time.time() // seconds)
    key = f"rl:{scope}:{ident}:{window}"
    cache.add(key, 0, timeout=seconds + 1)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=seconds + 1)
        used = 1
    if used > count:
        retry = seconds - int(time.time()) % seconds
        raise ApiError(
            429,
            "rate_limited",
            _("too many requests; try again in %(seconds)s s") % {"seconds": retry},
            {"Retry-After": str(retry)},
        )


def limit_request(request: HttpRequest, scope: str) -> None:
    """Apply the per-user limit to signed-in callers and the per-IP limit to everyone."""
    user = getattr(request, "museion_user", None)
    if user is not None:
        hit(scope, f"user:{user.pk}", settings.RATE_LIMIT_USER)
    hit(scope, f"ip:{client_ip(request)}", settings.RATE_LIMIT_IP)
