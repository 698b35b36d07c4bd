"""A stored prediction: the photo as uploaded, a thumbnail, and what the model said."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from museion.vision.catalog import first_synonym

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

    def shown_items(self) -> list[dict]:
        """What the page shows again: a classifier's top labels, or every box, with common names."""
        items = self.result[:SHOWN_TOP] if self.task == "classify" else self.result
        return [{**item, "label": first_synonym(item.get("label", ""))} for item in items]

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
