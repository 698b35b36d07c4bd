"""What the visitors' page may read: albums whose page is on, their works and each work's picture.

Anonymous, so nothing here reaches an album whose visitors' page is off: such an
album answers exactly like a missing one. A work's picture is its cover, or else
its first photo, or else its first frame; no other media of the album is served.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.db.models.fields.files import FieldFile
from django.http import HttpRequest
from django.urls import reverse

from museion.albums.models import Album, AlbumClass
from museion.errors import NotFound


def visitor_album(slug: str) -> Album:
    """The album of a visitors' page that is on, or NotFound."""
    album = Album.objects.filter(slug=slug, published=True).select_related("published_version").first()
    if album is None:
        raise NotFound("no published album here")
    return album


def works(album: Album) -> list[dict]:
    """The album's works as a visitor's list shows them: the card and a picture to know it by."""
    return [work_card(album, found) for found in album.classes.all()]


def work_card(album: Album, album_class: AlbumClass) -> dict:
    return {**album_class.info(), "picture_url": picture_url(album_class)}


def picture_url(album_class: AlbumClass) -> str | None:
    """Where a visitor sees the work's picture (picture_of), or None when it has none."""
    if not (album_class.cover or album_class.media.exists()):
        return None
    slug = album_class.album.slug
    return reverse("api:visitor_work_picture", kwargs={"slug": slug, "work": album_class.pk})


def picture_of(album: Album, work: int) -> FieldFile:
    """The picture shown for one work of a published album, or NotFound."""
    found = album.classes.filter(pk=work).first()
    if found is None:
        raise NotFound()
    if found.cover:
        return found.cover
    item = found.shown_media()
    if item is None:
        raise NotFound("this work has no picture")
    return item.file


# Hosts a phone cannot reach: they name the machine the browser runs on.
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "0.0.0.0")


def visitor_link(request: HttpRequest, album: Album, work: AlbumClass | None = None) -> str:
    """The address to give visitors (a work's opens on its card): MUSEION_PUBLIC_URL's server when
    set, else the one the curator's browser used."""
    path = reverse("viewer", kwargs={"slug": album.slug}) + (f"?work={work.pk}" if work else "")
    base = settings.PUBLIC_URL
    return f"{base}{path}" if base else request.build_absolute_uri(path)


def is_local(url: str) -> bool:
    """Whether a link names this machine only (a phone opening it reaches itself, not the server)."""
    host = (urlsplit(url).hostname or "").lower()
    return host in LOCAL_HOSTS or host.endswith(".localhost") or host.startswith("127.")
