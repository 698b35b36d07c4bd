from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from museion.accounts import views, workspace_views

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("signin/", views.SigninView.as_view(), name="signin"),
    path("signout/", auth_views.LogoutView.as_view(), name="signout"),
    path("account/password/", views.PasswordChangeView.as_view(), name="password_change"),
    # Forgotten password: a link by email (Django's views, Museion's templates and rate limit).
    path("account/password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "account/password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_sent.html"),
        name="password_reset_done",
    ),
    path(
        "account/password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "account/password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(template_name="accounts/password_reset_complete.html"),
        name="password_reset_complete",
    ),
    path("account/tokens/", views.tokens, name="tokens"),
    path("account/tokens/<int:token_id>/revoke/", views.revoke_token, name="revoke_token"),
    path("invitations/<str:secret>/", workspace_views.invitation_page, name="invitation"),
    path("workspaces/", workspace_views.workspace_list, name="workspaces"),
    path("workspaces/<int:workspace_id>/", workspace_views.workspace_page, name="workspace"),
    path(
        "workspaces/<int:workspace_id>/members/<int:membership_id>/role/",
        workspace_views.member_role,
        name="member_role",
    ),
    path(
        "workspaces/<int:workspace_id>/members/<int:membership_id>/remove/",
        workspace_views.member_remove,
        name="member_remove",
    ),
    path(
        "workspaces/<int:workspace_id>/invitations/<int:invitation_id>/cancel/",
        workspace_views.invitation_cancel,
        name="invitation_cancel",
    ),
]
