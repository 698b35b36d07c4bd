"""The recognition pages: home, predict, history; and what every page shares."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse

from museion.accounts.models import User
from museion.recognition import services
from museion.recognition.models import Prediction
from museion.recognition.services import Outcome
from museion.vision.catalog import DEFAULT_CLASSIFIER, DEFAULT_DETECTOR
from tests.conftest import IMAGES
from tests.web import conftest as web

# The personas and the autouse media/rate-limit fixtures live in tests/web/conftest.py;
# named here, pytest uses them for this module too.
fresh_rate_limits = web.fresh_rate_limits
media = web.media
outsider = web.outsider
owner = web.owner
owner_client = web.owner_client
teammate = web.teammate

Result = tuple[Outcome, bytes]
ROW = re.compile(r'<img src="/api/v1/predictions/(\d+)/thumbnail"')


@pytest.fixture(scope="module")
def parrot() -> bytes:
    return (IMAGES / "parrot.jpg").read_bytes()


@pytest.fixture(scope="module")
def classified(parrot: bytes) -> Result:
    return services.predict(parrot, services.servable_model(DEFAULT_CLASSIFIER)), parrot


@pytest.fixture(scope="module")
def detected(parrot: bytes) -> Result:
    return services.predict(parrot, services.servable_model(DEFAULT_DETECTOR)), parrot


def stored(user: User, result: Result, created: datetime | None = None) -> Prediction:
    prediction = services.store(user, *result)
    if created is not None:
        Prediction.objects.filter(pk=prediction.pk).update(created=created)
        prediction.refresh_from_db()
    return prediction


def shown(response) -> list[int]:
    """The ids of the predictions listed on a history page, in order."""
    return [int(pk) for pk in ROW.findall(response.content.decode())]


def day(text: str, hour: int = 12, minute: int = 0) -> datetime:
    return datetime.fromisoformat(text).replace(hour=hour, minute=minute, tzinfo=UTC)


# History


@pytest.mark.django_db
def test_history_sends_an_anonymous_visitor_to_sign_in():
    response = Client().get(reverse("history"))
    assert response.status_code == 302
    assert response.url == f"{reverse('signin')}?next={reverse('history')}"


def test_history_shows_a_prediction_with_thumbnail_model_label_score_and_date(
    owner: User, owner_client: Client, classified: Result
):
    prediction = stored(owner, classified, created=day("2025-03-04", 9, 30))
    response = owner_client.get(reverse("history"))
    assert response.status_code == 200
    html = response.content.decode()
    assert shown(response) == [prediction.pk]
    detail = reverse("prediction", args=[prediction.pk])
    assert f'<a href="{detail}"><img src="/api/v1/predictions/{prediction.pk}/thumbnail"' in html
    assert f"<td>{services.servable_model(DEFAULT_CLASSIFIER).title}</td>" in html  # the title, not the id
    assert prediction.label == "macaw"
    assert f'<td><a href="{detail}">macaw</a></td>' in html
    assert f"<td>{round(prediction.score * 100)}%</td>" in html
    # In UTC for the server; times.js shows it in the browser's time zone.
    assert '<time class="local" datetime="2025-03-04T09:30:00+00:00">2025-03-04 09:30 UTC</time>' in html
    assert "1 prediction<" in html


def test_the_thumbnail_on_the_history_page_can_be_loaded(
    owner: User, owner_client: Client, classified: Result
):
    prediction = stored(owner, classified)
    response = owner_client.get(prediction.thumbnail_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8")


def test_history_shows_a_detection_that_found_nothing(owner: User, owner_client: Client, detected: Result):
    outcome, data = detected
    empty = Outcome(outcome.spec, outcome.photo, [])
    stored(owner, (empty, data))
    html = owner_client.get(reverse("history")).content.decode()
    assert f"<td>{services.servable_model(DEFAULT_DETECTOR).title}</td>" in html
    assert ">nothing found</a></td>" in html


@pytest.mark.parametrize("persona", ["teammate", "outsider"])
def test_history_shows_only_the_users_own_predictions(owner: User, persona: str, request, classified: Result):
    other = request.getfixturevalue(persona)
    mine = stored(owner, classified)
    theirs = stored(other, classified)
    client = Client()
    client.force_login(other)
    assert shown(client.get(reverse("history"))) == [theirs.pk]
    client.force_login(owner)
    assert shown(client.get(reverse("history"))) == [mine.pk]


def test_history_shows_newest_first(owner: User, owner_client: Client, classified: Result):
    old = stored(owner, classified, created=day("2025-01-01"))
    new = stored(owner, classified, created=day("2025-02-01"))
    assert shown(owner_client.get(reverse("history"))) == [new.pk, old.pk]


def test_history_shows_twenty_a_page_with_page_links(owner: User, owner_client: Client, classified: Result):
    start = day("2025-01-01")
    made = [stored(owner, classified, created=start + timedelta(hours=i)).pk for i in range(25)]
    newest_first = made[::-1]

    first = owner_client.get(reverse("history"))
    html = first.content.decode()
    assert shown(first) == newest_first[:20]
    assert "25 predictions" in html
    assert '<span class="current">1</span>' in html
    assert 'href="?page=2"' in html

    second = owner_client.get(reverse("history"), {"page": 2})
    assert shown(second) == newest_first[20:]
    assert 'href="?page=1"' in second.content.decode()
    assert '<span class="current">2</span>' in second.content.decode()


def test_history_has_no_page_links_for_one_page(owner: User, owner_client: Client, classified: Result):
    stored(owner, classified)
    html = owner_client.get(reverse("history")).content.decode()
    assert 'class="pages"' not in html


@pytest.mark.parametrize(
    "page",
    ["0", "-1", "abc", "99", "²", "9" * 5000],
    ids=["zero", "negative", "word", "past-the-end", "superscript", "5000-digits"],
)
def test_history_survives_any_page_number(owner: User, owner_client: Client, classified: Result, page: str):
    stored(owner, classified)
    owner_client.raise_request_exception = False
    assert owner_client.get(reverse("history"), {"page": page}).status_code == 200


def test_history_filters_by_model(owner: User, owner_client: Client, classified: Result, detected: Result):
    classification = stored(owner, classified)
    detection = stored(owner, detected)
    response = owner_client.get(reverse("history"), {"model": DEFAULT_DETECTOR})
    assert shown(response) == [detection.pk]
    assert f'<option value="{DEFAULT_DETECTOR}" selected>' in response.content.decode()
    assert shown(owner_client.get(reverse("history"), {"model": DEFAULT_CLASSIFIER})) == [classification.pk]
    assert len(shown(owner_client.get(reverse("history"), {"model": ""}))) == 2


def test_history_filters_by_dates_with_the_end_day_included(
    owner: User, owner_client: Client, classified: Result
):
    before = stored(owner, classified, created=day("2025-03-09", 23, 59))
    first_day = stored(owner, classified, created=day("2025-03-10", 0, 0))
    last_day = stored(owner, classified, created=day("2025-03-12", 23, 59))
    after = stored(owner, classified, created=day("2025-03-13", 0, 0))

    response = owner_client.get(reverse("history"), {"start": "2025-03-10", "end": "2025-03-12"})
    assert shown(response) == [last_day.pk, first_day.pk]
    html = response.content.decode()
    assert 'value="2025-03-10"' in html
    assert 'value="2025-03-12"' in html

    assert shown(owner_client.get(reverse("history"), {"start": "2025-03-13"})) == [after.pk]
    assert shown(owner_client.get(reverse("history"), {"end": "2025-03-09"})) == [before.pk]
    assert shown(owner_client.get(reverse("history"), {"start": "2025-03-12", "end": "2025-03-12"})) == [
        last_day.pk
    ]


def test_history_ignores_a_malformed_date(owner: User, owner_client: Client, classified: Result):
    prediction = stored(owner, classified)
    response = owner_client.get(reverse("history"), {"start": "yesterday", "end": "2025-13-45"})
    assert response.status_code == 200
    assert shown(response) == [prediction.pk]


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Pacific/Kiritimati"])
def test_history_takes_dates_at_the_ends_of_the_calendar(
    owner: User, owner_client: Client, classified: Result, settings, zone: str
):
    settings.TIME_ZONE = zone
    prediction = stored(owner, classified)
    widest = {"start": "0001-01-01", "end": "9999-12-31"}
    assert shown(owner_client.get(reverse("history"), widest)) == [prediction.pk]
    assert shown(owner_client.get(reverse("history"), {"start": "9999-12-31"})) == []
    assert shown(owner_client.get(reverse("history"), {"end": "0001-01-01"})) == []
    # The API shares the filter.
    assert owner_client.get("/api/v1/predictions", widest).json()["total"] == 1


def test_history_page_links_keep_the_filters(
    owner: User, owner_client: Client, classified: Result, detected: Result
):
    start = day("2025-05-01")
    for i in range(22):
        stored(owner, classified, created=start + timedelta(hours=i))
    stored(owner, detected, created=start)
    stored(owner, classified, created=day("2025-04-01"))

    query = {"model": DEFAULT_CLASSIFIER, "start": "2025-05-01", "end": "2025-05-02"}
    response = owner_client.get(reverse("history"), query)
    html = response.content.decode()
    assert "22 predictions" in html
    assert len(shown(response)) == 20
    links = re.findall(r'<nav class="pages"[^>]*>.*?</nav>', html, re.S)[0]
    expected = f"?model={DEFAULT_CLASSIFIER}&amp;start=2025-05-01&amp;end=2025-05-02&amp;page=2"
    assert f'href="{expected}"' in links

    second = owner_client.get(reverse("history"), {**query, "page": 2})
    assert len(shown(second)) == 2
    assert f"?model={DEFAULT_CLASSIFIER}&amp;start=2025-05-01&amp;end=2025-05-02&amp;page=1" in (
        second.content.decode()
    )


# Deleting from the history


def test_deleting_a_prediction_removes_the_row_and_its_files(
    owner: User, owner_client: Client, classified: Result, django_capture_on_commit_callbacks
):
    prediction = stored(owner, classified)
    names = [prediction.image.name, prediction.thumbnail.name]
    assert all(default_storage.exists(name) for name in names)

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(reverse("delete_prediction", args=[prediction.pk]))
    assert response.status_code == 302
    assert response.url == reverse("history")
    assert not Prediction.objects.filter(pk=prediction.pk).exists()
    assert not any(default_storage.exists(name) for name in names)
    assert "The prediction was deleted." in owner_client.get(response.url).content.decode()


def test_deleting_returns_to_the_history_page_it_came_from(
    owner: User, owner_client: Client, classified: Result
):
    prediction = stored(owner, classified)
    response = owner_client.post(
        reverse("delete_prediction", args=[prediction.pk]), {"next": "/history/?page=2&model=x"}
    )
    assert response.status_code == 302
    assert response.url == "/history/?page=2&model=x"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/history/", "http:evil.example"])
def test_deleting_never_redirects_to_another_site(
    owner: User, owner_client: Client, classified: Result, target: str
):
    prediction = stored(owner, classified)
    response = owner_client.post(reverse("delete_prediction", args=[prediction.pk]), {"next": target})
    assert response.status_code == 302
    assert response.url == reverse("history")


def test_the_history_page_offers_delete_as_a_form_with_csrf(
    owner: User, owner_client: Client, classified: Result
):
    prediction = stored(owner, classified)
    html = owner_client.get(reverse("history")).content.decode()
    action = reverse("delete_prediction", args=[prediction.pk])
    form = re.search(rf'<form method="post" action="{action}".*?</form>', html, re.S)
    assert form
    assert 'name="csrfmiddlewaretoken"' in form.group(0)


def test_deleting_is_a_post(owner: User, owner_client: Client, classified: Result):
    prediction = stored(owner, classified)
    assert owner_client.get(reverse("delete_prediction", args=[prediction.pk])).status_code == 405
    assert Prediction.objects.filter(pk=prediction.pk).exists()


@pytest.mark.parametrize("persona", ["teammate", "outsider"])
def test_another_user_cannot_delete_the_owners_prediction(
    owner: User, persona: str, request, classified: Result, django_capture_on_commit_callbacks
):
    prediction = stored(owner, classified)
    client = Client()
    client.force_login(request.getfixturevalue(persona))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("delete_prediction", args=[prediction.pk]))
    assert response.status_code == 404
    assert Prediction.objects.filter(pk=prediction.pk).exists()
    assert default_storage.exists(prediction.image.name)
    assert default_storage.exists(prediction.thumbnail.name)


def test_deleting_a_missing_prediction_is_not_found(owner_client: Client):
    assert owner_client.post(reverse("delete_prediction", args=[999999])).status_code == 404


@pytest.mark.django_db
def test_deleting_needs_a_signed_in_user(owner: User, classified: Result):
    prediction = stored(owner, classified)
    response = Client().post(reverse("delete_prediction", args=[prediction.pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("signin"))
    assert Prediction.objects.filter(pk=prediction.pk).exists()


def test_deleting_refuses_a_post_without_csrf_token(owner: User, classified: Result):
    prediction = stored(owner, classified)
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert client.post(reverse("delete_prediction", args=[prediction.pk])).status_code == 403
    assert Prediction.objects.filter(pk=prediction.pk).exists()


# Home and predict


@pytest.mark.django_db
def test_the_home_page_lists_both_models():
    response = Client().get(reverse("home"))
    assert response.status_code == 200
    html = response.content.decode()
    for name in (DEFAULT_CLASSIFIER, DEFAULT_DETECTOR):
        assert f'<code class="muted">{name}</code>' in html
    assert "Classification" in html
    assert "Object detection" in html
    assert "1000 kinds of things" in html
    assert "80 kinds of things" in html


@pytest.mark.django_db
def test_the_home_page_explains_how_a_cnn_classifies_and_a_detector_finds_objects():
    html = Client().get(reverse("home")).content.decode()
    assert "How a classifier works" in html
    assert "convolutional neural network (CNN)" in html
    assert "probabilities" in html
    assert "How a detector finds objects" in html
    assert "non-maximum suppression" in html
    assert f'href="{reverse("predict")}"' in html


@pytest.mark.django_db
def test_the_home_page_shows_signed_out_visitors_the_museum_feature():
    html = Client().get(reverse("home")).content.decode()
    assert 'id="museum"' in html
    assert "visitors' page" in html
    assert f'href="{reverse("signup")}"' in html
    assert f'href="{reverse("signin")}"' in html


@pytest.mark.django_db
def test_the_home_page_leaves_the_museum_pitch_out_for_the_signed_in():
    client = Client()
    client.force_login(User.objects.create_user("curator@example.org"))
    assert 'id="museum"' not in client.get(reverse("home")).content.decode()


@pytest.mark.django_db
def test_the_predict_page_offers_both_models():
    html = Client().get(reverse("predict")).content.decode()
    options = re.findall(r'<option value="([^"]+)" data-task="(\w+)"', html)
    assert (DEFAULT_CLASSIFIER, "classify") in options
    assert (DEFAULT_DETECTOR, "detect") in options
    assert re.search(rf'<option value="{DEFAULT_CLASSIFIER}"[^>]* selected>', html)


@pytest.mark.django_db
def test_the_predict_page_has_a_photo_input_a_camera_input_and_a_drop_zone():
    html = Client().get(reverse("predict")).content.decode()
    inputs = re.findall(r'<input[^>]*type="file"[^>]*>', html)
    assert inputs
    assert all('accept="image/*"' in tag for tag in inputs)
    assert any("capture=" in tag for tag in inputs)
    assert any('name="image"' in tag for tag in inputs)
    assert 'id="dropzone"' in html
    assert "Drop a photo here" in html
    assert 'data-api="/api/v1/predict?lang=en"' in html
    assert 'src="/static/museion/predict.js"' in html


@pytest.mark.django_db
def test_the_predict_page_invites_anonymous_visitors_to_sign_up():
    html = Client().get(reverse("predict")).content.decode()
    assert f'<a href="{reverse("signup")}">Sign up</a> to keep a history' in html


# Every page


PAGES = ["home", "predict", "signin", "signup", "history", "tokens", "password_change"]
ANONYMOUS_ONLY = (reverse("signin"), reverse("signup"))


def page(client: Client, path: str) -> str:
    """The page at `path`, as the owner or (for sign-in and sign-up) as a visitor."""
    response = (Client() if path in ANONYMOUS_ONLY else client).get(path)
    assert response.status_code == (404 if path == "/no-such-page/" else 200)
    return response.content.decode()


@pytest.mark.parametrize("path", [*(reverse(name) for name in PAGES), "/no-such-page/"])
def test_every_page_has_the_status_footer(owner_client: Client, path: str):
    html = page(owner_client, path)
    assert re.search(r'<[^>]*id="status"[^>]*data-health="/api/v1/health"', html)
    assert 'src="/static/museion/status.js"' in html


@pytest.mark.parametrize("path", [*(reverse(name) for name in PAGES), "/api/v1/docs", "/no-such-page/"])
def test_no_page_loads_scripts_or_styles_from_another_site(owner_client: Client, path: str):
    html = page(owner_client, path)
    linked = re.findall(r'<script[^>]*\ssrc="([^"]*)"', html) + re.findall(
        r'<link[^>]*\shref="([^"]*)"', html
    )
    assert linked
    assert [url for url in linked if re.match(r"(https?:)?//", url)] == []


@pytest.mark.django_db
def test_a_missing_page_is_an_html_page_not_a_traceback():
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "<h1>Not found</h1>" in html
    assert "There is nothing at this address." in html
    assert 'id="status"' in html
    assert "Traceback" not in html
    assert "Page not found at" not in html  # Django's debug page


@pytest.mark.django_db
def test_a_missing_api_endpoint_answers_json():
    response = Client().get("/api/v2/nothing")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
