"""A stored prediction: the photo as uploaded, a thumbnail, and what the model said."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from museion.vision.catalog import ModelSpec, first_synonym
from museion.vision.languages import ENGLISH

SHOWN_TOP = 5  # a classifier's labels shown again on the prediction's page


class Prediction(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="predictions")
    model = models.CharField(max_length=100)
    task = models.CharField(max_length=16, choices=[("classify", "classify"), ("detect", "detect")])
    image = models.FileField(max_length=255)
    thumbnail = models.FileField(max_length=255)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    label = models.CharField(max_length=255, blank=True)  # top label, or "" when nothing was found
    score = models.FloatField(null=True)
    result = models.JSONField(default=list)  # the predictions or detections, as the API gives them
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["user", "-created"]), models.Index(fields=["user", "model"])]

    @property
    def image_url(self) -> str:
        return reverse("api:prediction_image", kwargs={"prediction_id": self.pk})

    @property
    def thumbnail_url(self) -> str:
        return reverse("api:prediction_thumbnail", kwargs={"prediction_id": self.pk})

    @property
    def items_key(self) -> str:
        return "predictions" if self.task == "classify" else "detections"

    @property
    def shown_label(self) -> str:
        # Predictions stored before the API's `label` became the first synonym keep the whole label.
        return first_synonym(self.label) if self.label else ""

    def shown_items(self, spec: ModelSpec | None = None, lang: str = ENGLISH) -> list[dict]:
        """What the page shows again: a classifier's top labels, or every box, with common names,
        in `lang` when `spec` is the model that answered (the history keeps English)."""
        items = self.result[:SHOWN_TOP] if self.task == "classify" else self.result
        return [{**item, "label": common_name(item, spec, lang)} for item in items]

    def shown_title(self, spec: ModelSpec | None = None, lang: str = ENGLISH) -> str:
        """The top label, as `shown_items` names it; "" when nothing was found."""
        if not self.label:
            return ""
        return common_name(self.result[0], spec, lang) if self.result else self.shown_label

    def summary(self) -> dict:
        return {
            "id": self.pk,
            "model": self.model,
            "label": self.label,
            "score": self.score,
            "created": self.created,
            "image_url": self.image_url,
        }

    def to_dict(self) -> dict:
        return {
            **self.summary(),
            "task": self.task,
            "width": self.width,
            "height": self.height,
            "thumbnail_url": self.thumbnail_url,
            self.items_key: self.result,
        }


def common_name(item: dict, spec: ModelSpec | None, lang: str) -> str:
    """A stored item's name in `lang`: by its index, where the model still has that label (a model
    imported again under the name may not), else the English one kept."""
    english = first_synonym(item.get("label", ""))
    index = item.get("index")
    if spec is None or lang == ENGLISH or not isinstance(index, int) or not 0 <= index < len(spec.labels):
        return english
    return spec.common_label(index, lang) if first_synonym(spec.label(index)) == english else english
