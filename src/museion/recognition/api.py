"""`/api/v1/predict` and the caller's stored predictions."""

from __future__ import annotations

from datetime import date

from django.http import FileResponse, HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from museion.accounts.auth import TokenOrSession, resolve_user
from museion.http.errors import ApiError
from museion.http.ratelimit import limit_request
from museion.http.schemas import ErrorOut
from museion.http.uploads import read_upload
from museion.recognition import services
from museion.recognition.history import filtered, history_page
from museion.recognition.models import Prediction
from museion.recognition.schemas import PredictionDetail, PredictionPage, PredictOut
from museion.vision.catalog import DEFAULT_CLASSIFIER

router = Router(tags=["recognition"])
ERRORS = {code: ErrorOut for code in (400, 401, 403, 413, 415, 429, 503)}
OWN_ERRORS = {code: ErrorOut for code in (400, 401, 404)}


@router.post("/predict", response={200: PredictOut, **ERRORS}, exclude_unset=True)
def predict(
    request: HttpRequest,
    image: File[UploadedFile],
    model: Form[str] = DEFAULT_CLASSIFIER,
    top_k: Form[int] = 5,
    threshold: Form[float] = 0.3,
    annotate: Form[bool] = False,
) -> JsonResponse:
    """Classify or detect on one photo. Signed-in callers' predictions are stored."""
    user = resolve_user(request)
    limit_request(request, "predict")
    if not 1 <= top_k <= 1000:
        raise ApiError(400, "invalid_top_k", "top_k must be between 1 and 1000")
    if not 0 <= threshold <= 1:
        raise ApiError(400, "invalid_threshold", "threshold must be between 0 and 1")
    spec = services.servable_model(model)
    data = read_upload(image)
    outcome = services.predict(data, spec, top_k=top_k, threshold=threshold)
    answer = {"id": None, **outcome.to_dict()}
    if annotate and spec.task == "detect":
        answer["image"] = services.annotated_data_url(outcome, data)
    if user is not None:  # last, so that nothing is stored for a request that fails
        answer["id"] = services.store(user, outcome, data).pk
    # Built to PredictOut's shape already (tests check it against the schema): validating
    # it again through the schema cost a millisecond a photo, as much as the model.
    return JsonResponse(answer)


class HistoryQuery(Schema):
    model: str = ""
    start: date | None = None
    end: date | None = None
    page: int = 1


@router.get(
    "/predictions", response={200: PredictionPage, 400: ErrorOut, 401: ErrorOut}, auth=TokenOrSession()
)
def list_predictions(request: HttpRequest, query: Query[HistoryQuery]) -> PredictionPage:
    """The caller's predictions, newest first, 20 a page."""
    if query.page < 1:
        raise ApiError(400, "invalid_page", "page must be 1 or more")
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
