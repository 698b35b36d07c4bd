"""Pages: home, predict, history."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from museion.recognition import services
from museion.recognition.history import filtered, history_page
from museion.recognition.models import Prediction
from museion.vision.catalog import DEFAULT_CLASSIFIER, Catalog


def _servable_models() -> list[dict]:
    return [
        {"name": s.name, "title": s.title or s.name, "task": s.task, "classes": len(s.labels)}
        for s in Catalog().all().values()
        if s.task in ("classify", "detect")
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


@login_required
def history(request: HttpRequest) -> HttpResponse:
    model = request.GET.get("model", "")
    start, end = _date(request.GET.get("start")), _date(request.GET.get("end"))
    page_number = int(request.GET["page"]) if request.GET.get("page", "").isdigit() else 1
    page = history_page(filtered(request.user, model, start, end), page_number)  # type: ignore[arg-type]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page, "page_range": range(1, page.pages + 1), "query": query.urlencode(),
        "models": _servable_models(), "model": model, "start": start, "end": end,
    }  # fmt: skip
    return render(request, "recognition/history.html", context)


@login_required
@require_POST
def delete_prediction(request: HttpRequest, prediction_id: int) -> HttpResponse:
    services.delete(get_object_or_404(Prediction, pk=prediction_id, user=request.user))
    messages.success(request, "The prediction was deleted.")
    return redirect(request.POST.get("next") or "history")
