from __future__ import annotations

from django.urls import include, path, re_path
from django.views.i18n import JavaScriptCatalog, set_language

from museion.web import views
from museion.web.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    re_path(r"^api/", views.api_not_found),
    # The footer's language switch (a POST with CSRF that keeps the page) and the JS modules' strings.
    path("i18n/language/", set_language, name="set_language"),
    path("i18n/catalog.js", JavaScriptCatalog.as_view(), name="javascript_catalog"),
    path("", include("museion.accounts.urls")),
    path("", include("museion.recognition.urls")),
    path("", include("museion.albums.urls")),
]

handler400 = "museion.web.views.bad_request"
handler404 = "museion.web.views.not_found"
handler500 = "museion.web.views.server_error"
