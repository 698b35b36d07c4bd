"""Workspace pages: the user's workspaces, and a workspace's members and invitations.

Anyone who is no member of a workspace gets 404, as for something missing; members
see its members; only owners invite, change roles and remove members (403 otherwise).
"""

from __future__ import annotations

import logging
from smtplib import SMTPException

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from museion.accounts.models import Invitation, Membership, Role, User, Workspace
from museion.accounts.workspaces import (
    InvitationError,
    WorkspaceError,
    accept_invitation,
    create_workspace,
    find_invitation,
    invite,
    mail_invitation,
    personal_workspace,
    remove_member,
    set_role,
)
from museion.albums.media import storage_of

log = logging.getLogger("museion.accounts")


class WorkspaceForm(forms.Form):
    name = forms.CharField(max_length=100)


class InviteForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=Role.choices, initial=Role.VIEWER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


def workspace_for(user: User, workspace_id: int, needed: Role = Role.VIEWER) -> Workspace:
    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None or workspace.role_of(user) is None:
        raise Http404
    if not workspace.allows(user, needed):
        raise PermissionDenied(f"this needs the {needed.value} role in the workspace")
    return workspace


@login_required
def workspace_list(request: HttpRequest) -> HttpResponse:
    form = WorkspaceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        workspace = create_workspace(request.user, form.cleaned_data["name"])  # type: ignore[arg-type]
        messages.success(request, f"The workspace “{workspace.name}” was created.")
        return redirect("workspace", workspace_id=workspace.pk)
    personal_workspace(request.user)  # type: ignore[arg-type]
    memberships = (
        Membership.objects.filter(user=request.user)
        .select_related("workspace")
        .annotate(members=Count("workspace__memberships", distinct=True))
        .annotate(albums=Count("workspace__albums", distinct=True))
        .order_by("-workspace__personal", "workspace__name")
    )
    return render(request, "accounts/workspace_list.html", {"form": form, "memberships": memberships})


@login_required
def workspace_page(request: HttpRequest, workspace_id: int) -> HttpResponse:
    needed = Role.OWNER if request.method == "POST" else Role.VIEWER
    workspace = workspace_for(request.user, workspace_id, needed)  # type: ignore[arg-type]
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        return _invite(request, workspace, form.cleaned_data["email"], form.cleaned_data["role"])
    role = workspace.role_of(request.user)  # type: ignore[arg-type]
    context = {
        "workspace": workspace,
        "role": role,
        "is_owner": role == Role.OWNER,
        "form": form,
        "roles": Role.choices,
        "members": workspace.memberships.select_related("user").order_by("user__email"),
        "invitations": workspace.invitations.select_related("invited_by").order_by("email"),
        "invitation_link": request.session.pop("invitation_link", None),
        "albums": workspace.albums.all(),
        "storage": {k.replace("_bytes", "_mb"): v / 1e6 for k, v in storage_of(workspace).items()},
    }
    return render(request, "accounts/workspace.html", context)


def _refused(request: HttpRequest, exc: WorkspaceError) -> None:
    messages.error(request, str(exc)[0].upper() + str(exc)[1:] + ".")


def _invite(request: HttpRequest, workspace: Workspace, email: str, role: str) -> HttpResponse:
    try:
        added = invite(workspace, email, Role(role), request.user)  # type: ignore[arg-type]
    except WorkspaceError as exc:
        _refused(request, exc)
        return redirect("workspace", workspace_id=workspace.pk)
    if isinstance(added, Membership):
        messages.success(request, f"{email} is now {Role(role).label.lower()} of this workspace.")
        return redirect("workspace", workspace_id=workspace.pk)
    link = request.build_absolute_uri(reverse("invitation", args=[added.secret]))
    # Shown once to the owner too (the owner may give any role anyway), for a server without mail.
    request.session["invitation_link"] = link
    try:
        mail_invitation(added, link)
    except (OSError, SMTPException) as exc:
        log.warning("invitation for workspace %s not mailed: %s", workspace.pk, exc)
        messages.error(request, f"The invitation could not be mailed ({exc}): send {email} the link below.")
    else:
        messages.success(request, f"An invitation link was mailed to {added.email}.")
    return redirect("workspace", workspace_id=workspace.pk)


def invitation_page(request: HttpRequest, secret: str) -> HttpResponse:
    """The mailed link shows the invitation; accepting is a POST, so a mail scanner's GET accepts nothing."""
    try:
        invitation = find_invitation(secret)
        if request.method == "POST" and request.user.is_authenticated:
            membership = accept_invitation(secret, request.user)  # type: ignore[arg-type]
        else:
            return render(request, "accounts/invitation.html", {"invitation": invitation})
    except InvitationError as exc:
        status = 410 if exc.code == "invitation_expired" else 404
        return render(request, "accounts/invitation.html", {"refused": str(exc)}, status=status)
    role = Role(membership.role).label.lower()
    messages.success(request, f"You joined “{membership.workspace.name}” as {role}.")
    return redirect("workspace", workspace_id=membership.workspace_id)


@login_required
@require_POST
def member_role(request: HttpRequest, workspace_id: int, membership_id: int) -> HttpResponse:
    workspace = workspace_for(request.user, workspace_id, Role.OWNER)  # type: ignore[arg-type]
    member = get_object_or_404(workspace.memberships.select_related("user"), pk=membership_id)
    form = RoleForm(request.POST)
    try:
        if not form.is_valid():
            raise WorkspaceError("choose a role")
        set_role(member, Role(form.cleaned_data["role"]))
    except WorkspaceError as exc:
        _refused(request, exc)
    else:
        messages.success(request, f"{member.user.email} is now {member.get_role_display().lower()}.")
    return redirect("workspace", workspace_id=workspace.pk)


@login_required
@require_POST
def member_remove(request: HttpRequest, workspace_id: int, membership_id: int) -> HttpResponse:
    workspace = workspace_for(request.user, workspace_id, Role.OWNER)  # type: ignore[arg-type]
    member = get_object_or_404(workspace.memberships.select_related("user"), pk=membership_id)
    try:
        remove_member(member)
    except WorkspaceError as exc:
        _refused(request, exc)
        return redirect("workspace", workspace_id=workspace.pk)
    messages.success(request, f"{member.user.email} was removed from “{workspace.name}”.")
    if member.user_id == request.user.pk:
        return redirect("workspaces")
    return redirect("workspace", workspace_id=workspace.pk)


@login_required
@require_POST
def invitation_cancel(request: HttpRequest, workspace_id: int, invitation_id: int) -> HttpResponse:
    workspace = workspace_for(request.user, workspace_id, Role.OWNER)  # type: ignore[arg-type]
    invitation: Invitation = get_object_or_404(workspace.invitations, pk=invitation_id)
    invitation.delete()
    messages.success(request, f"The invitation for {invitation.email} was withdrawn.")
    return redirect("workspace", workspace_id=workspace.pk)
