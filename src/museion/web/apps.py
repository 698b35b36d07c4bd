from __future__ import annotations

from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "museion.web"
    label = "web"

    def ready(self) -> None:
        # Make Museion's Celery app (broker from the settings) the current one in every process,
        # web ones included: tasks sent before it exists would go to Celery's default broker.
        from museion.web.celery import app

        app.set_current()
        app.set_default()
