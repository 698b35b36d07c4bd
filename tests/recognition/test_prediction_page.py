"""History: one prediction's page (its photo with the top labels or the boxes again), the empty
state that tells filters from no predictions at all, and who may see what."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from museion.accounts.models import User
from museion.recognition import services
from museion.recognition.models import Prediction
from museion.vision.catalog import DEFAULT_CLASSIFIER, DEFAULT_DETECTOR
from tests.conftest import IMAGES


def stored(user: User, model: str, image: str = "pets.jpg") -> Prediction:
    data = (IMAGES / image).read_bytes()
    return services.store(user, services.predict(data, services.servable_model(model)), data)


def page(client: Client, prediction: Prediction):
    return client.get(reverse("prediction", args=[prediction.pk]))


def test_a_classification_shows_its_photo_and_top_5_common_names(owner: User, owner_client: Client) -> None:
    prediction = stored(owner, DEFAULT_CLASSIFIER)
    html = page(owner_client, prediction).content.decode()
    assert f'src="{prediction.image_url}"' in html
    assert services.servable_model(DEFAULT_CLASSIFIER).title in html
    labels = re.findall(r'<span class="label" title="([^"]*)">([^<]*)</span>', html)
    assert len(labels) == 5
    assert labels[0] == ("Staffordshire bullterrier, Staffordshire bull terrier", "Staffordshire bullterrier")
    assert '<h1 class="result-title">Staffordshire bullterrier</h1>' in html


def test_a_detection_shows_every_box_again(owner: User, owner_client: Client) -> None:
    prediction = stored(owner, DEFAULT_DETECTOR)
    html = page(owner_client, prediction).content.decode()
    answer = json.loads(
        re.search(r'<script id="prediction-answer" type="application/json">(.*?)</script>', html).group(1)
    )
    assert answer["task"] == "detect"
    assert [d["box"] for d in answer["detections"]] == [d["box"] for d in prediction.result]
    assert html.count('<span class="swatch"') == len(prediction.result) >= 2


def test_an_older_prediction_with_whole_labels_shows_the_common_name(
    owner: User, owner_client: Client
) -> None:
    prediction = stored(owner, DEFAULT_CLASSIFIER)
    whole = [{**item, "label": item["full_label"]} for item in prediction.result]
    for item in whole:
        item.pop("full_label")
    Prediction.objects.filter(pk=prediction.pk).update(label=whole[0]["label"], result=whole)
    html = page(owner_client, prediction).content.decode()
    assert '<h1 class="result-title">Staffordshire bullterrier</h1>' in html
    assert ">Staffordshire bullterrier</a></td>" in owner_client.get(reverse("history")).content.decode()


@pytest.mark.parametrize("persona", ["teammate", "outsider"])
def test_someone_elses_prediction_is_404(owner: User, persona: str, request) -> None:
    prediction = stored(owner, DEFAULT_CLASSIFIER)
    client = Client()
    client.force_login(request.getfixturevalue(persona))
    assert page(client, prediction).status_code == 404


def test_an_anonymous_visitor_is_sent_to_sign_in(owner: User) -> None:
    response = page(Client(), stored(owner, DEFAULT_CLASSIFIER))
    assert response.status_code == 302
    assert response.url.startswith(reverse("signin"))


def test_a_missing_prediction_is_404(owner_client: Client) -> None:
    assert owner_client.get(reverse("prediction", args=[999999])).status_code == 404


def test_filters_that_match_nothing_say_so_and_offer_to_clear_them(owner: User, owner_client: Client) -> None:
    stored(owner, DEFAULT_CLASSIFIER)
    html = owner_client.get(reverse("history"), {"model": DEFAULT_DETECTOR}).content.decode()
    assert "No predictions match these filters." in html
    assert "No predictions yet" not in html


def test_without_predictions_or_filters_history_offers_to_try_one(owner_client: Client) -> None:
    html = owner_client.get(reverse("history")).content.decode()
    assert "No predictions yet." in html
    assert "match these filters" not in html


def test_the_model_filter_lists_titles(owner_client: Client) -> None:
    html = owner_client.get(reverse("history")).content.decode()
    title = services.servable_model(DEFAULT_DETECTOR).title
    assert f'<option value="{DEFAULT_DETECTOR}">{title}</option>' in html


def test_in_german_the_page_and_the_history_name_the_labels_in_german(
    owner: User, owner_client: Client
) -> None:
    parrot, pets = stored(owner, DEFAULT_CLASSIFIER, "parrot.jpg"), stored(owner, DEFAULT_DETECTOR)
    german = {"HTTP_ACCEPT_LANGUAGE": "de"}
    html = owner_client.get(reverse("prediction", args=[parrot.pk]), **german).content.decode()
    assert '<h1 class="result-title">Ara</h1>' in html
    assert re.findall(r'<span class="label" title="([^"]*)">([^<]*)</span>', html)[0] == ("macaw", "Ara")
    boxes = owner_client.get(reverse("prediction", args=[pets.pk]), **german).content.decode()
    assert '<span class="label">Hund</span>' in boxes
    history = owner_client.get(reverse("history"), **german).content.decode()
    assert ">Ara</a>" in history
    assert Prediction.objects.get(pk=parrot.pk).label == "macaw"  # kept in English


def test_a_label_the_model_no_longer_has_at_its_index_stays_as_stored(
    owner: User, owner_client: Client
) -> None:
    # A model imported again under the same name with other labels: the stored name is the truth.
    prediction = stored(owner, DEFAULT_CLASSIFIER, "parrot.jpg")
    moved = [{**item, "label": "painted bird"} for item in prediction.result]
    Prediction.objects.filter(pk=prediction.pk).update(label="painted bird", result=moved)
    html = owner_client.get(reverse("prediction", args=[prediction.pk]), HTTP_ACCEPT_LANGUAGE="fr")
    assert '<h1 class="result-title">painted bird</h1>' in html.content.decode()
