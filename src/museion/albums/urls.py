from __future__ import annotations

from django.urls import path

from museion.albums import views

urlpatterns = [
    path("v/<slug:slug>/", views.viewer, name="viewer"),
]
