"""The Celery application. Tasks live in each app's `tasks.py`."""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "museion.web.settings")

app = Celery("museion")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Run by the worker started with beat: the embedded one of `museion serve`, or `museion worker --beat`.
app.conf.beat_schedule = {
    "cleanup": {"task": "museion.web.tasks.cleanup", "schedule": crontab(hour=3, minute=17)},
}
