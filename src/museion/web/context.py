from __future__ import annotations

from django.http import HttpRequest

from museion import __version__


def site(request: HttpRequest) -> dict:
    return {"museion_version": __version__}
