from __future__ import annotations

from ninja import Schema


class SignupIn(Schema):
    email: str
    password: str
    # The token of a workspace invitation link (/invitations/<token>/): joins that workspace, and is
    # the only way to sign up when MUSEION_SIGNUP=invite.
    invitation: str = ""


class UserOut(Schema):
    id: int
    email: str


class TokenIn(Schema):
    email: str
    password: str
    name: str = ""


class TokenOut(Schema):
    token: str


class PasswordIn(Schema):
    old_password: str
    new_password: str
    # On by default: a password is often changed because it leaked. The token making the call stays.
    revoke_tokens: bool = True


class PasswordOut(Schema):
    revoked_tokens: int


class InvitationIn(Schema):
    token: str  # the last part of the mailed link, /invitations/<token>/


class JoinedOut(Schema):
    workspace: int
    name: str
    role: str
