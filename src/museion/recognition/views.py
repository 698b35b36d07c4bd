"""Pages: home, predict, history."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST

from museion.recognition import services
from museion.recognition.history import filtered, history_page
from museion.recognition.models import Prediction
from museion.vision.catalog import DEFAULT_CLASSIFIER, Catalog, ModelSpec
from museion.vision.languages import ENGLISH, shipped


def _titles(models: list[dict]) -> dict[str, str]:
    """Each model's name to its catalog title: pages show titles, the API and filters use names."""
    return {m["name"]: m["title"] for m in models}


# The built-in catalog's titles, for `make messages` (museion.vision knows nothing of Django); a page
# shows each in the reader's language, and a model added to the catalog later shows as it is named.
CATALOG_TITLES = (
    gettext_noop("MobileNetV2 int8 (ImageNet, 1000 classes; answers vary by CPU)"),
    gettext_noop("MobileNetV2 (ImageNet, 1000 classes)"),
    gettext_noop("YOLOX-Nano (COCO, 80 classes)"),
)


def _reader_language() -> str:
    """The page's language where the built-in labels come in it, else English."""
    return shipped(translation.get_language() or ENGLISH) or ENGLISH


def _servable_specs() -> dict[str, ModelSpec]:
    """The catalog's classifiers and detectors (read once a page: imported models are a file)."""
    return {name: s for name, s in Catalog().all().items() if s.task in ("classify", "detect")}


def _servable_models(specs: dict[str, ModelSpec] | None = None) -> list[dict]:
    return [
        {"name": s.name, "title": _(s.title or s.name), "task": s.task, "classes": len(s.labels)}
        for s in (_servable_specs() if specs is None else specs).values()
    ]


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "recognition/home.html", {"models": _servable_models()})


def predict(request: HttpRequest) -> HttpResponse:
    context = {"models": _servable_models(), "default_model": DEFAULT_CLASSIFIER}
    return render(request, "recognition/predict.html", context)


def _date(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _page(raw: str) -> int:
    # Not str.isdigit(): it admits "²", and 5000 digits are past int()'s limit; both raised a 500.
    try:
        return max(1, int(raw))
    except ValueError:
        return 1


@login_required
def history(request: HttpRequest) -> HttpResponse:
    model = request.GET.get("model", "")
    start, end = _date(request.GET.get("start")), _date(request.GET.get("end"))
    page_number = _page(request.GET.get("page", ""))
    page = history_page(filtered(request.user, model, start, end), page_number)  # type: ignore[arg-type]
    query = request.GET.copy()
    query.pop("page", None)
    specs, lang = _servable_specs(), _reader_language()
    models = _servable_models(specs)
    titles = _titles(models)
    for p in page.items:
        p.model_title = titles.get(p.model, p.model)  # type: ignore[attr-defined]
        p.title = p.shown_title(specs.get(p.model), lang)  # type: ignore[attr-defined]
    context = {
        "page": page, "page_range": range(1, page.pages + 1), "query": query.urlencode(),
        "models": models, "model": model, "start": start, "end": end,
        "filtering": bool(model or start or end),
    }  # fmt: skip
    return render(request, "recognition/history.html", context)


@login_required
def prediction_page(request: HttpRequest, prediction_id: int) -> HttpResponse:
    """One stored prediction again: its photo with the boxes, or its top labels."""
    prediction = get_object_or_404(Prediction, pk=prediction_id, user=request.user)
    specs, lang = _servable_specs(), _reader_language()
    spec = specs.get(prediction.model)
    items = prediction.shown_items(spec, lang)
    context = {
        "prediction": prediction,
        "title": prediction.shown_title(spec, lang),
        "model_title": _titles(_servable_models(specs)).get(prediction.model, prediction.model),
        "items": items,
        # For the boxes drawn again over the photo (boxes.js), in the API's shape.
        "answer": {"task": prediction.task, "width": prediction.width, "height": prediction.height,
                   "detections": items if prediction.task == "detect" else []},
    }  # fmt: skip
    return render(request, "recognition/prediction.html", context)


@login_required
@require_POST
def delete_prediction(request: HttpRequest, prediction_id: int) -> HttpResponse:
    services.delete(get_object_or_404(Prediction, pk=prediction_id, user=request.user))
    messages.success(request, _("The prediction was deleted."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "history"  # only back to a page of this site: never an open redirect
    return redirect(target)
