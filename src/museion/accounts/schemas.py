from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import Field

from museion.accounts.models import Role


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


class WorkspaceOut(Schema):
    id: int
    name: str
    personal: bool
    role: str  # the caller's
    members: int


class MemberOut(Schema):
    id: int  # the membership's: PATCH /workspaces/{workspace_id}/members/{id}
    user: int
    email: str
    role: str
    joined: datetime


class InviteIn(Schema):
    email: str = Field(min_length=3, max_length=254)
    role: Role = Role.VIEWER


class InvitationOut(Schema):
    id: int
    email: str
    role: str
    expires: datetime | None
    # The one-time link, answered once (only its hash is kept): give it to the invitee when mail failed.
    link: str | None = None
    mailed: bool | None = None


class RoleIn(Schema):
    role: Role
