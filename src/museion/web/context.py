from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from museion import __version__


def site(request: HttpRequest) -> dict:
    return {"museion_version": __version__, "signup_mode": settings.SIGNUP}
