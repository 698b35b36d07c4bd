from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from museion.accounts import views, workspace_views

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("signin/", views.SigninView.as_view(), name="signin"),
    path("signout/", auth_views.LogoutView.as_view(), name="signout"),
    path("account/password/", views.PasswordChangeView.as_view(), name="password_change"),
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
