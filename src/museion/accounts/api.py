"""`/api/v1/auth/...`: sign up and exchange credentials for a token."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate
from django.http import HttpRequest
from ninja import Router, Status

from museion.accounts.models import ApiToken
from museion.accounts.schemas import SignupIn, TokenIn, TokenOut, UserOut
from museion.accounts.services import sign_up
from museion.http.errors import ApiError
from museion.http.ratelimit import client_ip, hit
from museion.http.schemas import ErrorOut

router = Router(tags=["auth"])


@router.post("/signup", response={201: UserOut, 400: ErrorOut, 429: ErrorOut}, auth=None)
def signup(request: HttpRequest, body: SignupIn) -> Status:
    hit("signup", client_ip(request), settings.RATE_LIMIT_SIGNIN)
    user = sign_up(body.email, body.password)
    return Status(201, UserOut(id=user.pk, email=user.email))


@router.post("/token", response={201: TokenOut, 400: ErrorOut, 401: ErrorOut, 429: ErrorOut}, auth=None)
def token(request: HttpRequest, body: TokenIn) -> Status:
    hit("signin", client_ip(request), settings.RATE_LIMIT_SIGNIN)
    user = authenticate(request, email=body.email.strip().lower(), password=body.password)
    if user is None:
        raise ApiError(401, "bad_credentials", "wrong email or password")
    _, secret = ApiToken.issue(user, body.name or "API")
    return Status(201, TokenOut(token=secret))
