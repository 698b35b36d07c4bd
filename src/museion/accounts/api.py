"""`/api/v1/auth/...`: sign up and exchange credentials for a token."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate, update_session_auth_hash
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from museion.accounts.auth import TokenOrSession, calling_token
from museion.accounts.models import ApiToken
from museion.accounts.schemas import (
    InvitationIn,
    JoinedOut,
    PasswordIn,
    PasswordOut,
    SignupIn,
    TokenIn,
    TokenOut,
    UserOut,
)
from museion.accounts.services import change_password, sign_up
from museion.accounts.workspaces import accept_invitation
from museion.http.errors import ApiError
from museion.http.ratelimit import client_ip, hit
from museion.http.schemas import ErrorOut

router = Router(tags=["auth"])


@router.post(
    "/signup",
    response={201: UserOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 410: ErrorOut, 429: ErrorOut},
    auth=None,
)
def signup(request: HttpRequest, body: SignupIn) -> Status:
    """Create an account. 403 `signup_closed` or `invitation_required` as MUSEION_SIGNUP says."""
    hit("signup", client_ip(request), settings.RATE_LIMIT_SIGNIN)
    user = sign_up(body.email, body.password, body.invitation.strip())
    return Status(201, UserOut(id=user.pk, email=user.email))


@router.post("/token", response={201: TokenOut, 400: ErrorOut, 401: ErrorOut, 429: ErrorOut}, auth=None)
def token(request: HttpRequest, body: TokenIn) -> Status:
    hit("signin", client_ip(request), settings.RATE_LIMIT_SIGNIN)
    user = authenticate(request, email=body.email.strip().lower(), password=body.password)
    if user is None:
        raise ApiError(401, "bad_credentials", _("wrong email or password"))
    _token, secret = ApiToken.issue(user, body.name or "API")
    return Status(201, TokenOut(token=secret))


@router.post(
    "/password",
    response={200: PasswordOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 429: ErrorOut},
    auth=TokenOrSession(),
)
def password(request: HttpRequest, body: PasswordIn) -> PasswordOut:
    """Change the caller's password; `revoke_tokens` (default true) revokes their other API tokens."""
    user = request.auth
    hit("password", f"user:{user.pk}", settings.RATE_LIMIT_SIGNIN)  # guesses at the old password
    keep = calling_token(request)
    revoked = change_password(
        user, body.old_password, body.new_password, revoke_tokens=body.revoke_tokens, keep=keep
    )
    if keep is None:
        update_session_auth_hash(request, user)  # a browser's own session stays signed in
    return PasswordOut(revoked_tokens=revoked)


@router.post(
    "/invitations/accept",
    response={200: JoinedOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 410: ErrorOut},
    auth=TokenOrSession(),
)
def accept(request: HttpRequest, body: InvitationIn) -> JoinedOut:
    """Join a workspace with the token of a mailed invitation link, as the caller (any account)."""
    membership = accept_invitation(body.token.strip(), request.auth)
    workspace = membership.workspace
    return JoinedOut(workspace=workspace.pk, name=workspace.name, role=membership.role)
