"""`/api/v1/workspaces/...`: the caller's workspaces, their members, invitations and roles.

The rules of the workspace pages, through the same services: an outsider gets 404 as for a missing
workspace, every member sees the members, only owners invite and change roles (403 otherwise).
"""

from __future__ import annotations

from django.db.models import Count
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Router, Status

from museion.accounts.access import workspace_for
from museion.accounts.auth import TokenOrSession
from museion.accounts.models import Invitation, Membership, Role
from museion.accounts.schemas import InvitationOut, InviteIn, MemberOut, RoleIn, WorkspaceOut
from museion.accounts.workspaces import invite, personal_workspace, send_invitation, set_role
from museion.http.schemas import ErrorOut

router = Router(tags=["workspaces"], auth=TokenOrSession())
E = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


def member_dict(membership: Membership) -> dict:
    return {
        "id": membership.pk,
        "user": membership.user_id,
        "email": membership.user.email,
        "role": membership.role,
        "joined": membership.created,
    }


@router.get("/workspaces", response={200: list[WorkspaceOut], **E})
def list_workspaces(request: HttpRequest) -> list[dict]:
    """The caller's workspaces (the personal one first) with the caller's role in each."""
    personal_workspace(request.auth)
    memberships = (
        Membership.objects.filter(user=request.auth)
        .select_related("workspace")
        .annotate(members=Count("workspace__memberships"))
        .order_by("-workspace__personal", "workspace__name", "workspace__id")
    )
    return [
        {
            "id": m.workspace_id,
            "name": m.workspace.name,
            "personal": m.workspace.personal,
            "role": m.role,
            "members": m.members,
        }
        for m in memberships
    ]


@router.get("/workspaces/{workspace_id}/members", response={200: list[MemberOut], **E})
def list_members(request: HttpRequest, workspace_id: int) -> list[dict]:
    workspace = workspace_for(request.auth, workspace_id)
    return [member_dict(m) for m in workspace.memberships.select_related("user").order_by("user__email")]


@router.post("/workspaces/{workspace_id}/invitations", response={200: MemberOut, 201: InvitationOut, **E})
def invite_member(request: HttpRequest, workspace_id: int, body: InviteIn) -> Status:
    """Invite an address with a one-time link, mailed and answered once (201); for someone who is a
    member already, change their role instead (200). Owners only."""
    workspace = workspace_for(request.auth, workspace_id, Role.OWNER, _("inviting"))
    added = invite(workspace, body.email, body.role, request.auth)
    if isinstance(added, Membership):
        return Status(200, member_dict(added))
    link = request.build_absolute_uri(reverse("invitation", args=[added.secret]))
    failed = send_invitation(added, link)
    return Status(201, {**invitation_dict(added), "link": link, "mailed": failed is None})


def invitation_dict(invitation: Invitation) -> dict:
    return {
        "id": invitation.pk,
        "email": invitation.email,
        "role": invitation.role,
        "expires": invitation.expires,
    }


@router.patch("/workspaces/{workspace_id}/members/{membership_id}", response={200: MemberOut, **E})
def change_role(request: HttpRequest, workspace_id: int, membership_id: int, body: RoleIn) -> dict:
    """Give a member another role (owners only); refused (400 `workspace_rule`) when it would leave
    the workspace without an owner, or give a personal workspace a second one."""
    workspace = workspace_for(request.auth, workspace_id, Role.OWNER, _("changing roles"))
    member = get_object_or_404(workspace.memberships.select_related("user"), pk=membership_id)
    set_role(member, body.role)
    return member_dict(member)
