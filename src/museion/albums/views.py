"""Album pages: the list, an album, a class's gallery, and the public visitor viewer.

Every page reads through `museion.albums.access`: 404 for what the user may not see,
403 for what they may see but not change (`museion.http.pages`). Each form calls the
same `museion.albums.services` function as its API endpoint; uploads, training, jobs
and predictions run in the browser through the JSON API (/api/v1/).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from copy import copy
from itertools import groupby
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib import messages
from django.db.models import Count, F, Min, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language_info, gettext_lazy
from django.utils.translation import gettext as _

from museion.accounts.models import ROLE_RANK, Membership, Role, User
from museion.albums import languages, review, services, stats, versions, visitors
from museion.albums.access import album_for, class_for, media_for
from museion.albums.forms import (
    AlbumForm,
    AlbumSettingsForm,
    ClassForm,
    MoveForm,
    ThresholdForm,
    TranslationForm,
    error_text,
)
from museion.albums.models import THRESHOLD_MAX, THRESHOLD_MIN, Album, AlbumClass, MediaItem, ModelVersion
from museion.albums.qr import qr_svg
from museion.errors import NotFound
from museion.http.pages import action, page, refusals

MAX_MISSES = 48  # misclassified validation pictures shown per version
RECENT_JOBS = 12


def abilities(album: Album, user: User) -> dict:
    role = album.workspace.role_of(user)
    rank = ROLE_RANK[role] if role else 0
    return {
        "role": role,
        "can_edit": rank >= ROLE_RANK[Role.EDITOR],
        "can_own": rank >= ROLE_RANK[Role.OWNER],
    }


def _album_url(album_id: int, anchor: str = "") -> str:
    return reverse("album", kwargs={"album_id": album_id}) + (f"#{anchor}" if anchor else "")


def _report(request: HttpRequest, form: forms.BaseForm, change: Callable[[dict], object], done: str) -> None:
    """Make the change a valid form asks for and say so, or say what is wrong, in a message."""
    if not form.is_valid():
        messages.error(request, error_text(form))
        return
    with refusals(request):
        change(form.cleaned_data)
        messages.success(request, done)


# ---- the album list -------------------------------------------------------------


@page
def album_list(request: HttpRequest) -> HttpResponse:
    form = AlbumForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        fields = {k: form.cleaned_data[k] for k in ("workspace", "name", "description", "fps")}
        album = services.create_album(request.user, **fields)
        messages.success(request, _("The album “%(name)s” was created.") % {"name": album.name})
        return redirect("album", album_id=album.pk)
    return render(request, "albums/album_list.html", {"form": form, "albums": albums_of(request.user)})


def albums_of(user: User) -> list[Album]:
    """The albums of all the user's workspaces, each with the user's `role` there."""
    roles = dict(Membership.objects.filter(user=user).values_list("workspace_id", "role"))
    albums = list(
        Album.objects.filter(workspace_id__in=roles)
        .select_related("workspace", "published_version")
        .annotate(n_classes=Count("classes"))
    )
    for album in albums:
        album.role = Role(roles[album.workspace_id])  # type: ignore[attr-defined]
    return albums


# ---- an album ------------------------------------------------------------------


@page
def album_page(request: HttpRequest, album_id: int) -> HttpResponse:
    album = album_for(request.user, album_id)
    context = {
        **abilities(album, request.user),
        "album": album,
        # Both forms have a name and a description: distinct ids keep each label on its own field.
        "settings_form": AlbumSettingsForm(instance=album, auto_id="settings_%s"),
        "class_form": ClassForm(album, auto_id="new_class_%s"),
        "classes": class_rows(album),
        "jobs": job_rows(album),
        "versions": version_rows(album),
        **visitor_link_context(request, album),
        "max_upload_bytes": settings.MAX_UPLOAD_BYTES,
        "review_waiting": review.waiting(album).count(),
        "stats": stats.charts(album),
    }
    return render(request, "albums/album.html", context)


def class_rows(album: Album) -> QuerySet[AlbumClass]:
    return album.classes.annotate(
        photos=Count("media", filter=Q(media__source__isnull=True)),
        frames=Count("media", filter=Q(media__source__isnull=False)),
        cover_id=Min("media__id"),
    )


def job_rows(album: Album) -> list[dict]:
    """The recent jobs as the API shows them, with the clip's name for video jobs."""
    recent = album.jobs.select_related("video")[:RECENT_JOBS]
    return [{**job.to_dict(), "name": job.video.name if job.video else ""} for job in recent]


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def version_rows(album: Album) -> list[dict]:
    versions = list(album.versions.select_related("album__published_version"))
    refs = {str(m.get("ref")) for v in versions for m in v.metrics.get("misclassified", [])}
    ids = [int(r) for r in refs if r.isdigit()]
    present = {
        str(pk)
        for pk in MediaItem.objects.filter(pk__in=ids, album_class__album=album).values_list("pk", flat=True)
    }
    return [version_row(album, v, present) for v in versions]


def version_row(album: Album, version: ModelVersion, present: set[str]) -> dict:
    """A version's metrics laid out for the page: per-class table, confusion matrix, misses."""
    metrics = version.metrics
    names = metrics.get("classes") or [c["name"] for c in version.classes]
    per_class = metrics.get("per_class") or {}
    misses = [m for m in metrics.get("misclassified", []) if str(m.get("ref")) in present][:MAX_MISSES]
    point = versions.operating_point(version)
    dataset = metrics.get("dataset") or {}
    return {
        "number": version.number,
        "created": version.created,
        "in_use": album.published_version_id == version.pk,
        "point": point,
        "comparison": (comparison := versions.compare(version, album.published_version)),
        "deltas": deltas_text(comparison["deltas"]) if comparison else "",
        "score_id": f"scores-v{version.number}",
        "health": metrics.get("health"),
        "threshold": slider(version),
        "accuracy": percent(metrics.get("accuracy")),
        "known_refused": percent(metrics.get("known_refused")),
        "unknown_refused": percent(metrics.get("unknown_refused")),
        "per_condition": [
            (name, c["photos"], percent(c["top1"]), percent(c["known_refused"]))
            for name, c in sorted((metrics.get("per_condition") or {}).items())
        ],
        "warnings": metrics.get("warnings", []),
        "validated": metrics.get("validated", 0),
        "pictures": metrics.get("pictures"),
        "visitor_pictures": metrics.get("visitor_pictures"),
        "visitor_negatives": metrics.get("visitor_negatives", 0),
        "names": names,
        "per_class": [(n, *_class_scores(per_class.get(n) or {}), dataset.get(n)) for n in names],
        "confusion": list(zip(names, metrics.get("confusion") or [], strict=False)),
        "misclassified": [{**m, "url": _media_url(album.pk, int(m["ref"]))} for m in misses],
        "bundle_url": reverse("api:album_bundle", kwargs={"album_id": album.pk, "number": version.number}),
    }


DELTA_NAMES = {
    "accuracy": gettext_lazy("top-1"),
    "known_refused": gettext_lazy("your works refused"),
    "unknown_refused": gettext_lazy("other things refused"),
}


def deltas_text(deltas: dict) -> str:
    """ "top-1 -5.0 points, your works refused +2.0 points": a candidate against the live version."""
    parts = [
        _("%(name)s not measured") % {"name": name}
        if deltas.get(key) is None
        else _("%(name)s %(delta)s points") % {"name": name, "delta": f"{deltas[key] * 100:+.1f}"}
        for key, name in DELTA_NAMES.items()
    ]
    return ", ".join(parts)


SLIDER_SPAN = 0.3  # either side of the calibrated threshold: where a curator's choice makes sense


def slider(version: ModelVersion) -> dict | None:
    """The threshold slider's range and the validation scores its script judges each position on."""
    scores, calibrated = version.metrics.get("scores"), versions.calibrated_threshold(version)
    if not scores or calibrated is None:
        return None
    low = max(THRESHOLD_MIN, round(calibrated - SLIDER_SPAN, 2))
    high = min(THRESHOLD_MAX, round(calibrated + SLIDER_SPAN, 2))
    return {"value": versions.effective_threshold(version), "calibrated": calibrated, "min": low,
            "max": high, "custom": version.threshold is not None, "scores": scores}  # fmt: skip


def _class_scores(scores: dict) -> tuple[str, str, int]:
    return percent(scores.get("precision")), percent(scores.get("recall")), scores.get("support", 0)


def _media_url(album_id: int, media_id: int) -> str:
    return reverse("api:album_media_file", kwargs={"album_id": album_id, "media_id": media_id})


@action
def album_settings(request: HttpRequest, album_id: int) -> HttpResponse:
    album = album_for(request.user, album_id, Role.EDITOR)
    form = AlbumSettingsForm(request.POST, instance=copy(album))
    _report(
        request, form, lambda changes: services.update_album(album, changes), _("The settings were saved.")
    )
    return redirect(_album_url(album.pk, "settings"))


@action
def version_threshold(request: HttpRequest, album_id: int, number: int) -> HttpResponse:
    version = services.version_of(album_for(request.user, album_id, Role.EDITOR), number)
    form = ThresholdForm(request.POST)
    if form.is_valid():
        with refusals(request):
            threshold = None if "reset" in request.POST else form.cleaned_data["threshold"]
            services.set_threshold(version, threshold)
            messages.success(
                request,
                _("The threshold of v%(number)s is now %(value)s.")
                % {"number": number, "value": _threshold_text(version)},
            )
    else:
        messages.error(request, error_text(form))
    return redirect(_album_url(album_id, f"metrics-v{number}"))


def _threshold_text(version: ModelVersion) -> str:
    value = versions.effective_threshold(version)
    return f"{value:.3f}" + (" " + _("(calibrated)") if version.threshold is None else "")


@action
def album_delete(request: HttpRequest, album_id: int) -> HttpResponse:
    album = album_for(request.user, album_id, Role.OWNER)
    services.delete_album(album)
    messages.success(request, _("The album “%(name)s” was deleted.") % {"name": album.name})
    return redirect("albums")


@action
def version_publish(request: HttpRequest, album_id: int, number: int) -> HttpResponse:
    version = services.publish_version(album_for(request.user, album_id, Role.EDITOR), number)
    messages.success(
        request,
        _("Version %(number)s is live: it answers predictions and visitors.") % {"number": version.number},
    )
    return redirect(_album_url(album_id, "versions"))


@action
def class_create(request: HttpRequest, album_id: int) -> HttpResponse:
    album = album_for(request.user, album_id, Role.EDITOR)
    done = _("The class “%(name)s” was added.") % {"name": request.POST.get("name", "").strip()}
    _report(
        request, ClassForm(album, request.POST), lambda changes: services.create_class(album, changes), done
    )
    return redirect(_album_url(album.pk, "classes"))


# ---- a class's gallery ------------------------------------------------------------


@page
def class_page(request: HttpRequest, album_id: int, class_id: int) -> HttpResponse:
    needed = Role.EDITOR if request.method == "POST" else Role.VIEWER
    found = class_for(request.user, album_id, class_id, needed)
    form = ClassForm(found.album, request.POST or None, instance=copy(found))
    if request.method == "POST" and form.is_valid():
        with refusals(request):
            services.update_class(found, form.cleaned_data)
            messages.success(request, _("The visitor information was saved."))
        return redirect("album_class", album_id=album_id, class_id=class_id)
    context = {
        **abilities(found.album, request.user),
        "album": found.album,
        "album_class": found,
        "form": form,
        **media_groups(found),
        "others": found.album.classes.exclude(pk=found.pk),
        "jobs": [],  # this visit's uploads add theirs
        "max_upload_bytes": settings.MAX_UPLOAD_BYTES,
        **card_tabs(found, request.GET.get("lang", "")),
    }
    return render(request, "albums/class.html", context)


ADD_LANGUAGE = "add"  # ?lang=add: the tab that adds a language


def card_tabs(album_class: AlbumClass, asked: str) -> dict:
    """The class page's tabs, one per language of the card (the album's default first), and the
    one shown: `?lang=<tag>`, `?lang=add`, else the default language's."""
    default = album_class.album.default_language
    tags = [default, *(t for t in album_class.translations if t != default)]
    current = asked.lower() if asked.lower() in (*tags, ADD_LANGUAGE) else default
    translated = album_class.translations.get(current) if current != default else None
    tab = [
        {"tag": t, "name": language_name(t), "rtl": languages.is_rtl(t), "current": t == current}
        for t in tags
    ]
    form = None
    if translated is not None:
        form = TranslationForm(initial={"lang": current, **translated}, auto_id=f"lang_{current}_%s")
    elif current == ADD_LANGUAGE:
        form = TranslationForm(auto_id="add_lang_%s")
    return {"card_tabs": tab, "card_lang": current, "card_default": default, "translation": translated,
            "translation_form": form, "adding_language": current == ADD_LANGUAGE}  # fmt: skip


def language_name(tag: str) -> str:
    """`ar` -> `العربيّة (ar)`: Django's own name for the languages it knows, else the tag alone."""
    for known in languages.candidates(tag):
        try:
            return f"{get_language_info(known)['name_local']} ({tag})"
        except KeyError:
            continue
    return tag


@action
def class_translation(request: HttpRequest, album_id: int, class_id: int) -> HttpResponse:
    """Save one language's title and description of a class's card, or remove that language."""
    found = class_for(request.user, album_id, class_id, Role.EDITOR)
    form = TranslationForm(request.POST)
    removing = "remove" in request.POST
    back = reverse("album_class", kwargs={"album_id": album_id, "class_id": class_id})
    if not form.is_valid():
        messages.error(request, error_text(form))
        return redirect(back + ("" if removing else f"?lang={ADD_LANGUAGE}"))
    lang = form.cleaned_data["lang"]
    with refusals(request):
        if removing:
            services.remove_translation(found, lang)
            messages.success(request, _("The card in %(lang)s was removed.") % {"lang": lang})
            return redirect(back)
        services.set_translation(found, lang, form.cleaned_data["title"], form.cleaned_data["description"])
        messages.success(request, _("The card in %(lang)s was saved.") % {"lang": lang})
    return redirect(back + (f"?lang={lang}" if lang in found.translations else ""))


def media_groups(album_class: AlbumClass) -> dict:
    """The class's pictures: photos first, then the frames of each source video."""
    items = album_class.media.select_related("source").order_by(
        F("source_id").asc(nulls_first=True), "time", "id"
    )
    groups = [
        {"video": video, "items": list(members)} for video, members in groupby(items, key=lambda i: i.source)
    ]
    photos = sum(len(g["items"]) for g in groups if g["video"] is None)
    frames = sum(len(g["items"]) for g in groups if g["video"] is not None)
    return {"groups": groups, "photos": photos, "frames": frames}


@action
def class_delete(request: HttpRequest, album_id: int, class_id: int) -> HttpResponse:
    found = class_for(request.user, album_id, class_id, Role.EDITOR)
    services.delete_class(found)
    messages.success(request, _("The class “%(name)s” and its pictures were deleted.") % {"name": found.name})
    return redirect(_album_url(album_id, "classes"))


@action
def media_delete(request: HttpRequest, album_id: int, media_id: int) -> HttpResponse:
    item = media_for(request.user, album_id, media_id, Role.EDITOR)
    services.delete_media(item)
    messages.success(request, _("“%(name)s” was deleted.") % {"name": item.name})
    return redirect("album_class", album_id=album_id, class_id=item.album_class_id)


@action
def media_move(request: HttpRequest, album_id: int, media_id: int) -> HttpResponse:
    item = media_for(request.user, album_id, media_id, Role.EDITOR)
    former = item.album_class_id
    form = MoveForm(item, request.POST)
    if form.is_valid():
        services.move_media(item, form.cleaned_data["to_class"])
        messages.success(
            request, _("“%(name)s” was moved to %(to)s.") % {"name": item.name, "to": item.album_class.name}
        )
    else:
        messages.error(request, error_text(form))
    return redirect("album_class", album_id=album_id, class_id=former)


# ---- the visitors' link: QR code and wall cards ------------------------------------------


def visitor_link_context(request: HttpRequest, album: Album, work: AlbumClass | None = None) -> dict:
    """The visitors' link of the album (or of one work), its QR code, and whether a phone can open it."""
    link = visitors.visitor_link(request, album, work)
    return {
        "viewer_link": link,
        "qr": qr_svg(link),
        "link_is_local": visitors.is_local(link),
        "link_host": urlsplit(link).hostname,
    }


def _wall_card(request: HttpRequest, album: Album, work: AlbumClass | None, back: str) -> HttpResponse:
    context = visitor_link_context(request, album, work)
    context = {**context, "album": album, "work": work, "back": back, "link": context["viewer_link"]}
    return render(request, "albums/wall_card.html", context)


@page
def album_wall_card(request: HttpRequest, album_id: int) -> HttpResponse:
    """A printable A5 card with the QR code of the album's visitors' page."""
    album = album_for(request.user, album_id)
    return _wall_card(request, album, None, _album_url(album.pk, "summary"))


@page
def work_wall_card(request: HttpRequest, album_id: int, class_id: int) -> HttpResponse:
    """A printable A5 card for one work: its QR code opens the visitors' page on the work's card."""
    found = class_for(request.user, album_id, class_id)
    back = reverse("album_class", kwargs={"album_id": album_id, "class_id": class_id})
    return _wall_card(request, found.album, found, back)


# ---- the visitor viewer -------------------------------------------------------------


# Cross-origin isolation lets onnxruntime-web run on several threads (SharedArrayBuffer); all the
# page loads is of this server, so nothing it shows is blocked by it.
ISOLATED = {"Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp"}


def _visitor_album(slug: str) -> Album:
    try:
        return visitors.visitor_album(slug)
    except NotFound:
        raise Http404 from None


def viewer(request: HttpRequest, slug: str) -> HttpResponse:
    """Public, for published albums only: what a visitor's phone opens; `?work=ID` (a work's wall
    card) opens on that work's card."""
    album = _visitor_album(slug)
    work = request.GET.get("work", "")
    response = render(request, "albums/viewer.html", {"album": album, "work": work if work.isdigit() else ""})
    for name, value in ISOLATED.items():
        response[name] = value
    return response


def viewer_worker(request: HttpRequest, slug: str) -> HttpResponse:
    """The visitors' page's service worker, served under /v/<slug>/ so that its scope is the page."""
    album = _visitor_album(slug)
    response = render(
        request,
        "albums/viewer_sw.js",
        {"album": album, "files": json.dumps(visitors.offline_files(album))},
        content_type="text/javascript",
    )
    response["Cache-Control"] = "no-cache"
    for name, value in ISOLATED.items():
        response[name] = value
    return response


def viewer_manifest(request: HttpRequest, slug: str) -> HttpResponse:
    """The web app manifest: the visitors' page installed on a phone's home screen."""
    album = _visitor_album(slug)
    start = reverse("viewer", kwargs={"slug": album.slug})
    icons = [
        {"src": static(f"museion/icons/icon-{size}.png"), "sizes": f"{size}x{size}", "type": "image/png"}
        for size in (192, 512)
    ]
    colours = {"background_color": "#1d1b26", "theme_color": "#1d1b26"}
    manifest = {"name": album.name, "short_name": album.name[:12], "start_url": start, "scope": start,
                "display": "standalone", **colours, "icons": icons}  # fmt: skip
    return JsonResponse(manifest, content_type="application/manifest+json")


def review_page(request: HttpRequest, album_id: int) -> HttpResponse:
    """The curators' review of visitors' photos: a grid, one click (or key) per photo."""
    album = album_for(request.user, album_id)
    try:
        page = int(request.GET.get("page", "1"))
    except ValueError:
        page = 1
    context = {
        **abilities(album, request.user),
        "album": album,
        "queue": review.page_of(album, page),
        "classes": list(album.classes.values("pk", "name")),
    }
    return render(request, "albums/review.html", context)
