"""What the visitors' page may read: albums whose page is on, their works and each work's picture.

Anonymous, so nothing here reaches an album whose visitors' page is off: such an
album answers exactly like a missing one. A work's picture is its cover, or else
its first photo, or else its first frame; no other media of the album is served.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.db.models.fields.files import FieldFile
from django.http import HttpRequest
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _

from museion.albums.models import Album, AlbumClass, ModelVersion
from museion.albums.recognize import current_classes
from museion.albums.versions import global_threshold
from museion.errors import NotFound


def visitor_album(slug: str) -> Album:
    """The album of a visitors' page that is on, or NotFound."""
    album = Album.objects.filter(slug=slug, published=True).select_related("published_version").first()
    if album is None:
        raise NotFound(_("no published album here"))
    return album


def works(album: Album) -> list[dict]:
    """The album's works as a visitor's list shows them: the card and a picture to know it by."""
    return [work_card(album, found) for found in album.classes.all()]


def work_card(album: Album, album_class: AlbumClass) -> dict:
    """In the album's default language (`lang`), with every other in `translations`: the page
    shows the visitor's, offline too."""
    return {**album_class.info(), "lang": album.default_language, "picture_url": picture_url(album_class)}


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
        raise NotFound(_("this work has no picture"))
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


# ---- recognising on the phone -------------------------------------------------------

# What the phone's recognizer (static/museion/recognizer.js) needs of a bundle: nothing else of it
# (head.npz's reference keypoints, metrics beyond the threshold, training figures) leaves the server.
PREPROCESS_KEYS = ("input", "dtype", "layout", "color", "size", "resize", "crop")


@dataclass(frozen=True)
class Recognizer:
    """The live version as a phone runs it: the description (JSON) and its ETag."""

    version: ModelVersion
    description: dict
    etag: str


def live_version(album: Album) -> ModelVersion:
    if album.published_version is None:
        raise NotFound(_("nothing is published here yet"))
    return album.published_version


def model_etag(version: ModelVersion) -> str:
    """model.onnx never changes within a version (its file is per training job)."""
    return f'"{hashlib.sha256(f"{version.pk}:{version.bundle.name}".encode()).hexdigest()[:24]}"'


def recognizer(album: Album) -> Recognizer:
    """What the visitors' page downloads to recognise on the device: the threshold in use (for
    model.onnx's similarity, the stage a browser runs), each output's work id, the preprocessing
    and where model.onnx is (a new version is a new address)."""
    version = live_version(album)
    threshold = global_threshold(version)
    rows = current_classes(version)
    model = model_etag(version)
    description = {
        "version": version.number,
        "threshold": None if threshold is None else round(float(threshold), 6),
        "preprocess": {
            k: v for k, v in _bundle_json(version, "preprocess.json").items() if k in PREPROCESS_KEYS
        },
        "labels": [_label(info["name"], row) for info, row in zip(version.classes, rows, strict=True)],
        "default_language": album.default_language,
        "model_url": reverse("api:visitor_model", kwargs={"slug": album.slug}) + "?v=" + model.strip('"'),
        "model_etag": model,
    }
    body = json.dumps(description, sort_keys=True).encode()
    return Recognizer(version, description, f'"{hashlib.sha256(body).hexdigest()[:24]}"')


def _label(name: str, row: AlbumClass | None) -> dict:
    """An output's work, with its card in every language (title and description: the default's)."""
    if row is None:
        return {"name": name, "work": None}
    texts = {"title": row.title or row.name, "description": row.description, "translations": row.translations}
    return {"name": name, "work": row.pk, **texts}


# What the service worker keeps for the page to open and recognise offline (the works' pictures
# and the model are added as the page asks for them).
OFFLINE_STATIC = (
    "museion/museion.css", "museion/albums.css", "museion/favicon.svg", "museion/common.js",
    "museion/recognizer.js", "museion/viewer.js", "museion/icons/icon-192.png",
    "museion/ort/ort.wasm.min.js", "museion/ort/ort-wasm-simd-threaded.mjs",
    "museion/ort/ort-wasm-simd-threaded.wasm",
)  # fmt: skip


def offline_files(album: Album) -> list[str]:
    return [
        reverse("viewer", kwargs={"slug": album.slug}),
        reverse("api:visitor_works", kwargs={"slug": album.slug}),
        reverse("javascript_catalog"),  # the page's words, in the language it was first opened in
        # onnxruntime-web is absent where `make` found no npm: the page asks the server then.
        *(static(name) for name in OFFLINE_STATIC if finders.find(name)),
    ]


def model_bytes(version: ModelVersion) -> bytes:
    """The live version's model.onnx as trained (the works' texts and the threshold are not in it)."""
    return _model(version.pk, version.bundle.name)


def model_gzip(version: ModelVersion) -> bytes:
    """model.onnx gzipped, made once per version (about a second for 11 MB)."""
    return _model_gzip(version.pk, version.bundle.name)


@lru_cache(maxsize=4)
def _model_gzip(version_id: int, name: str) -> bytes:
    return gzip.compress(_model(version_id, name), compresslevel=6, mtime=0)


@lru_cache(maxsize=4)
def _model(version_id: int, name: str) -> bytes:
    version = ModelVersion.objects.get(pk=version_id)
    with version.bundle.open("rb") as f, zipfile.ZipFile(f) as zf:
        return zf.read("model.onnx")


def _bundle_json(version: ModelVersion, name: str) -> dict:
    with version.bundle.open("rb") as f, zipfile.ZipFile(f) as zf:
        return json.loads(zf.read(name))
