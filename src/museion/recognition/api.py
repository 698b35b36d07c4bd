"""`/api/v1/predict` and the caller's stored predictions."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from django.http import FileResponse, HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import BeforeValidator, Field, WithJsonSchema

from museion.accounts.auth import TokenOrSession, resolve_user
from museion.http.ratelimit import limit_request
from museion.http.schemas import ErrorOut
from museion.http.uploads import read_upload
from museion.recognition import services
from museion.recognition.history import filtered, history_page
from museion.recognition.models import Prediction
from museion.recognition.schemas import HeatMapOut, PredictionDetail, PredictionPage, PredictOut
from museion.vision.catalog import DEFAULT_CLASSIFIER
from museion.vision.languages import MAX_TAG, choose
from museion.vision.occlusion import GRID_MAX, GRID_MIN

router = Router(tags=["recognition"])
TOP_K_MAX = 1000


def _iso_date(value: object) -> object:
    """Only `YYYY-MM-DD`, as the schema's `format: date` says: pydantic alone reads `0` as 1970-01-01."""
    if isinstance(value, str) and not ISO_DATE.fullmatch(value):
        raise ValueError(_("expected a date as YYYY-MM-DD"))
    return value


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
IsoDate = Annotated[date, BeforeValidator(_iso_date)]
# A form field is text: pydantic reads these (any case) as booleans, so the schema lists them.
FORM_BOOLEANS = ["true", "false", "1", "0", "yes", "no", "on", "off", "t", "f", "y", "n"]
FORM_BOOL_SCHEMA = {"anyOf": [{"type": "boolean"}, {"type": "string", "enum": FORM_BOOLEANS}]}
FormBool = Annotated[bool, WithJsonSchema({**FORM_BOOL_SCHEMA, "default": False})]
FormBoolOn = Annotated[bool, WithJsonSchema({**FORM_BOOL_SCHEMA, "default": True})]
# A form cannot send null: the field is left out instead, so the schema lists only integers.
FormLabelIndex = Annotated[int | None, WithJsonSchema({"type": "integer", "minimum": 0})]


ERRORS = {code: ErrorOut for code in (400, 401, 403, 413, 415, 429, 503)}
OWN_ERRORS = {code: ErrorOut for code in (400, 401, 404)}


@router.post("/predict", response={200: PredictOut, **ERRORS}, exclude_unset=True)
def predict(
    request: HttpRequest,
    image: File[UploadedFile],
    model: Form[str] = DEFAULT_CLASSIFIER,
    # Declared bounds: the schema says them and ninja enforces them (400 invalid_request).
    top_k: int = Form(5, ge=1, le=TOP_K_MAX),
    threshold: float = Form(0.3, ge=0, le=1),
    annotate: FormBool = Form(False),  # noqa: B008 (a bool: ruff cannot see through Annotated)
    store: FormBoolOn = Form(True),  # noqa: B008
    lang: str | None = Query(None, max_length=MAX_TAG),
) -> JsonResponse:
    """Classify or detect on one photo. Signed-in callers' predictions are stored in their history
    unless `store` is false (a preview: `id` is then null). Labels are in `lang` (a query parameter:
    zh-hans, fr, de, en), else in the caller's Accept-Language, else English; `label_en` keeps the
    English one, and the history stores English."""
    user = resolve_user(request)
    limit_request(request, "predict")
    language = choose(lang, request.headers.get("Accept-Language"))
    spec = services.servable_model(model)
    data = read_upload(image)
    outcome = services.predict(data, spec, top_k=top_k, threshold=threshold, lang=language)
    answer = {"id": None, **outcome.to_dict()}
    if annotate and spec.task == "detect":
        answer["image"] = services.annotated_data_url(outcome, data)
    if user is not None and store:  # last, so that nothing is stored for a request that fails
        answer["id"] = services.store(user, outcome, data).pk
    # Built to PredictOut's shape already (tests check it against the schema): validating
    # it again through the schema cost a millisecond a photo, as much as the model.
    response = JsonResponse(answer)
    response["Content-Language"] = language
    patch_vary_headers(response, ("Accept-Language",))
    return response


@router.post("/predict/heatmap", response={200: HeatMapOut, **ERRORS})
def heat_map(
    request: HttpRequest,
    image: File[UploadedFile],
    model: Form[str] = DEFAULT_CLASSIFIER,
    grid: int = Form(7, ge=GRID_MIN, le=GRID_MAX),
    index: FormLabelIndex = Form(None, ge=0),  # noqa: B008 (Annotated, as FormBool)
    lang: str | None = Query(None, max_length=MAX_TAG),
) -> JsonResponse:
    """An occlusion heat map of a classifier: its score for one label (`index`, else its top label)
    with each cell of a grid x grid over the photo greyed in turn, the label in `lang` as
    `/predict`'s. Never stored; one at a time per server process (429 `too_busy` with Retry-After
    while another is computed)."""
    resolve_user(request)
    limit_request(request, "predict")
    spec = services.servable_model(model)
    language = choose(lang, request.headers.get("Accept-Language"))
    found = services.heat_map(read_upload(image), spec, grid=grid, index=index, lang=language)
    response = JsonResponse(found)
    response["Content-Language"] = language
    patch_vary_headers(response, ("Accept-Language",))
    return response


class HistoryQuery(Schema):
    model: str = ""
    start: IsoDate | None = None
    end: IsoDate | None = None
    page: int = Field(1, ge=1)


@router.get(
    "/predictions", response={200: PredictionPage, 400: ErrorOut, 401: ErrorOut}, auth=TokenOrSession()
)
def list_predictions(request: HttpRequest, query: Query[HistoryQuery]) -> PredictionPage:
    """The caller's predictions, newest first, 20 a page."""
    found = history_page(filtered(request.auth, query.model, query.start, query.end), query.page)
    return PredictionPage(
        items=[p.summary() for p in found.items], page=found.page, pages=found.pages, total=found.total
    )


def _own(request: HttpRequest, prediction_id: int) -> Prediction:
    # Someone else's prediction answers exactly like a missing one.
    return get_object_or_404(Prediction, pk=prediction_id, user=request.auth)


@router.get(
    "/predictions/{prediction_id}",
    response={200: PredictionDetail, **OWN_ERRORS},
    auth=TokenOrSession(),
    exclude_unset=True,
)
def get_prediction(request: HttpRequest, prediction_id: int) -> dict:
    return _own(request, prediction_id).to_dict()


@router.delete("/predictions/{prediction_id}", response={204: None, **OWN_ERRORS}, auth=TokenOrSession())
def delete_prediction(request: HttpRequest, prediction_id: int) -> Status:
    services.delete(_own(request, prediction_id))
    return Status(204, None)


@router.get(
    "/predictions/{prediction_id}/image",
    url_name="prediction_image",
    auth=TokenOrSession(),
    response={200: None, **OWN_ERRORS},
)
def prediction_image(request: HttpRequest, prediction_id: int) -> FileResponse:
    """The photo as uploaded."""
    return FileResponse(_own(request, prediction_id).image.open("rb"))


@router.get(
    "/predictions/{prediction_id}/thumbnail",
    url_name="prediction_thumbnail",
    auth=TokenOrSession(),
    response={200: None, **OWN_ERRORS},
)
def prediction_thumbnail(request: HttpRequest, prediction_id: int) -> FileResponse:
    return FileResponse(_own(request, prediction_id).thumbnail.open("rb"), content_type="image/jpeg")
