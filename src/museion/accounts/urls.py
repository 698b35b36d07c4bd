from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from museion.accounts import views

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("signin/", views.SigninView.as_view(), name="signin"),
    path("signout/", auth_views.LogoutView.as_view(), name="signout"),
    path("account/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("account/tokens/", views.tokens, name="tokens"),
    path("account/tokens/<int:token_id>/revoke/", views.revoke_token, name="revoke_token"),
]
