from __future__ import annotations

from django.urls import path

from museion.albums import views

urlpatterns = [
    path("albums/", views.album_list, name="albums"),
    path("albums/<int:album_id>/", views.album_page, name="album"),
    path("albums/<int:album_id>/settings/", views.album_settings, name="album_settings"),
    path("albums/<int:album_id>/card/", views.album_wall_card, name="album_wall_card"),
    path("albums/<int:album_id>/classes/<int:class_id>/card/", views.work_wall_card, name="work_wall_card"),
    path("albums/<int:album_id>/delete/", views.album_delete, name="album_delete"),
    path("albums/<int:album_id>/classes/", views.class_create, name="class_create"),
    path("albums/<int:album_id>/classes/<int:class_id>/", views.class_page, name="album_class"),
    path("albums/<int:album_id>/classes/<int:class_id>/delete/", views.class_delete, name="class_delete"),
    path(
        "albums/<int:album_id>/classes/<int:class_id>/translations/",
        views.class_translation,
        name="class_translation",
    ),
    path("albums/<int:album_id>/media/<int:media_id>/delete/", views.media_delete, name="media_delete"),
    path("albums/<int:album_id>/media/<int:media_id>/move/", views.media_move, name="media_move"),
    path(
        "albums/<int:album_id>/versions/<int:number>/publish/", views.version_publish, name="version_publish"
    ),
    path(
        "albums/<int:album_id>/versions/<int:number>/threshold/",
        views.version_threshold,
        name="version_threshold",
    ),
    path("albums/<int:album_id>/review/", views.review_page, name="album_review"),
    path("v/<slug:slug>/", views.viewer, name="viewer"),
    path("v/<slug:slug>/sw.js", views.viewer_worker, name="viewer_worker"),
    path("v/<slug:slug>/manifest.webmanifest", views.viewer_manifest, name="viewer_manifest"),
]
