"""Error pages: JSON under /api/, HTML elsewhere; never a traceback."""

from __future__ import annotations

import sys
from html import escape

from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
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
    return error_response(404, "not_found", _("no API endpoint at %(path)s") % {"path": request.path})


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api(request.path):
        return api_not_found(request)
    return render(request, "error.html", {"title": _("Not found"), "status": 404}, status=404)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """A 400 from Django itself; above all a Host header not in ALLOWED_HOSTS (a phone on the LAN
    opening the server by its address), which deserves the setting to change, not a bare 400."""
    if not isinstance(exception, DisallowedHost):
        if is_api(request.path):
            return error_response(400, "bad_request", _("the request could not be read"))
        return render(request, "error.html", {"title": _("Bad request"), "status": 400}, status=400)
    host = request.META.get("HTTP_HOST", "").rsplit(":", 1)[0] or "?"
    advice = _(
        "This server does not answer to the address %(host)s. To open it from other devices by that "
        "address, add it to the ALLOWED_HOSTS setting and restart, e.g. ALLOWED_HOSTS=localhost,%(host)s"
    ) % {"host": host}
    if is_api(request.path):
        return error_response(400, "host_not_allowed", advice)
    # No template: base.html and its context processors may ask for the very host that was refused.
    title = escape(_("Address not allowed"))
    return HttpResponse(
        f"<!doctype html><html lang='{get_language()}'><meta name=viewport content='width=device-width,"
        f"initial-scale=1'><title>{title}</title><body style='font-family:system-ui,sans-serif;"
        "max-width:36rem;margin:2rem auto;padding:0 1rem;line-height:1.5'>"
        f"<h1>{title}</h1><p>{escape(advice)}.</p>"
        f"<p>{escape(_('See “Settings” in Museion’s README.'))}</p>",
        status=400,
    )


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this inside its `except`: the exception says whether a service is down.
    what = unavailable_service(sys.exc_info()[1])
    if what is not None:
        return unavailable(request, what)
    if is_api(request.path):
        return error_response(
            500, "internal_error", _("something went wrong on the server; it has been logged")
        )
    return render(request, "error.html", {"title": _("Something went wrong"), "status": 500}, status=500)


def unavailable(request: HttpRequest, what: str) -> HttpResponse:
    if is_api(request.path):
        return unavailable_response(what)
    # No template: rendering one may need the very database that is down.
    response = HttpResponse(
        f"<!doctype html><html lang='{get_language()}'><title>{escape(_('Unavailable'))}</title>"
        f"<h1>{escape(_('Back in a moment'))}</h1><p>{escape(_unreachable_page(what))}</p>",
        status=503,
    )
    response["Retry-After"] = RETRY_AFTER_S
    return response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form or session call without its CSRF token: the API's error shape under /api/."""
    if is_api(request.path):
        return error_response(
            403,
            "csrf_failed",
            _("signed in by session: send the X-CSRFToken header, or use a Bearer token"),
        )
    return render(
        request, "403.html", {"exception": _("the form expired; reload the page and try again")}, status=403
    )


def _unreachable_page(what: str) -> str:
    # One sentence per service, so that a translator sees whole sentences.
    sentences = {
        "database": _("The database is unreachable just now. This page will work again in a few seconds."),
        "job queue": _("The job queue is unreachable just now. This page will work again in a few seconds."),
        "cache": _("The cache is unreachable just now. This page will work again in a few seconds."),
    }
    return sentences.get(what, sentences["database"])
