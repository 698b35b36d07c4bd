"""How an HTML page answers a refused action: the pages' one counterpart of the API's status table.

@page      signed-in users only; NotFound is the 404 page, Forbidden the 403 page
@action    a form's target: POST only, then as @page
with refusals(request): ...   any other refusal becomes a message on the next page
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from museion.errors import DomainError, Forbidden, NotFound

View = Callable[..., HttpResponse]


def page(view: View) -> View:
    """Signed-in users only; what they may not see is 404, what they may not change 403."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            raise Http404 from None
        except Forbidden as exc:
            raise PermissionDenied(exc.message) from None

    return login_required(wrapped)


def action(view: View) -> View:
    """A form's target: POST only (CSRF checked by the middleware), then back to a page."""
    return page(require_POST(view))


@contextmanager
def refusals(request: HttpRequest) -> Iterator[None]:
    """Say why a refused action was refused, in a message for the page the view redirects to."""
    try:
        yield
    except (NotFound, Forbidden):
        raise
    except DomainError as exc:
        messages.error(request, sentence(exc.message))


def sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")
