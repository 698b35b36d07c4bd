from __future__ import annotations

from django.urls import path

from museion.recognition import views

urlpatterns = [
    path("", views.home, name="home"),
    path("predict/", views.predict, name="predict"),
    path("history/", views.history, name="history"),
    path("history/<int:prediction_id>/", views.prediction_page, name="prediction"),
    path("history/<int:prediction_id>/delete/", views.delete_prediction, name="delete_prediction"),
]
