"""Album pages. The visitor viewer is public for published albums."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from museion.albums.models import Album


def viewer(request: HttpRequest, slug: str) -> HttpResponse:
    album = Album.objects.filter(slug=slug, published=True).first()
    if album is None:
        raise Http404
    return render(request, "albums/viewer.html", {"album": album})
