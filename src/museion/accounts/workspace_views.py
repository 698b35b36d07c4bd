"""Workspace pages: the user's workspaces, and a workspace's members and invitations.

Anyone who is no member of a workspace gets 404, as for something missing; members
see its members; only owners invite, change roles and remove members (403 otherwise).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from museion.accounts.access import workspace_for
from museion.accounts.models import Invitation, Membership, Role, Workspace
from museion.accounts.workspaces import (
    InvitationError,
    WorkspaceError,
    accept_invitation,
    create_workspace,
    find_invitation,
    invite,
    personal_workspace,
    remove_member,
    send_invitation,
    set_role,
)
from museion.albums.quota import storage_of
from museion.http.pages import action, page, refusals


class WorkspaceForm(forms.Form):
    name = forms.CharField(max_length=100)


class InviteForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=Role.choices, initial=Role.VIEWER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


@login_required
def workspace_list(request: HttpRequest) -> HttpResponse:
    form = WorkspaceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        workspace = create_workspace(request.user, form.cleaned_data["name"])  # type: ignore[arg-type]
        messages.success(request, _("The workspace “%(name)s” was created.") % {"name": workspace.name})
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


@page
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


def _invite(request: HttpRequest, workspace: Workspace, email: str, role: str) -> HttpResponse:
    with refusals(request):
        added = invite(workspace, email, Role(role), request.user)  # type: ignore[arg-type]
        if isinstance(added, Membership):
            messages.success(
                request,
                _("%(email)s is now %(role)s of this workspace.")
                % {"email": email, "role": Role(role).label.lower()},
            )
        else:
            _send(request, added)
    return redirect("workspace", workspace_id=workspace.pk)


def _send(request: HttpRequest, invitation: Invitation) -> None:
    link = request.build_absolute_uri(reverse("invitation", args=[invitation.secret]))
    # Shown once to the owner too (the owner may give any role anyway), for a server without mail.
    request.session["invitation_link"] = link
    failed = send_invitation(invitation, link)
    if failed:
        messages.error(
            request,
            _("The invitation could not be mailed (%(reason)s): send %(email)s the link below.")
            % {"reason": failed, "email": invitation.email},
        )
    else:
        messages.success(
            request, _("An invitation link was mailed to %(email)s.") % {"email": invitation.email}
        )


def invitation_page(request: HttpRequest, secret: str) -> HttpResponse:
    """The mailed link shows the invitation; accepting is a POST, so a mail scanner's GET accepts nothing."""
    try:
        invitation = find_invitation(secret)
        if request.method == "POST" and request.user.is_authenticated:
            membership = accept_invitation(secret, request.user)  # type: ignore[arg-type]
        else:
            return render(request, "accounts/invitation.html", {"invitation": invitation, "secret": secret})
    except InvitationError as exc:
        status = 410 if exc.code == "invitation_expired" else 404
        return render(request, "accounts/invitation.html", {"refused": exc.message}, status=status)
    role = Role(membership.role).label.lower()
    messages.success(
        request,
        _("You joined “%(workspace)s” as %(role)s.") % {"workspace": membership.workspace.name, "role": role},
    )
    return redirect("workspace", workspace_id=membership.workspace_id)


@action
def member_role(request: HttpRequest, workspace_id: int, membership_id: int) -> HttpResponse:
    workspace = workspace_for(request.user, workspace_id, Role.OWNER)  # type: ignore[arg-type]
    member = get_object_or_404(workspace.memberships.select_related("user"), pk=membership_id)
    form = RoleForm(request.POST)
    with refusals(request):
        if not form.is_valid():
            raise WorkspaceError(_("choose a role"))
        set_role(member, Role(form.cleaned_data["role"]))
        messages.success(
            request,
            _("%(email)s is now %(role)s.")
            % {"email": member.user.email, "role": member.get_role_display().lower()},
        )
    return redirect("workspace", workspace_id=workspace.pk)


@action
def member_remove(request: HttpRequest, workspace_id: int, membership_id: int) -> HttpResponse:
    workspace = workspace_for(request.user, workspace_id, Role.OWNER)  # type: ignore[arg-type]
    member = get_object_or_404(workspace.memberships.select_related("user"), pk=membership_id)
    with refusals(request):
        remove_member(member)
    if member.pk is not None:  # refused: still a member
        return redirect("workspace", workspace_id=workspace.pk)
    messages.success(
        request,
        _("%(email)s was removed from “%(workspace)s”.")
        % {"email": member.user.email, "workspace": workspace.name},
    )
    if member.user_id == request.user.pk:
        return redirect("workspaces")
    return redirect("workspace", workspace_id=workspace.pk)


@action
def invitation_cancel(request: HttpRequest, workspace_id: int, invitation_id: int) -> HttpResponse:
    workspace = workspace_for(request.user, workspace_id, Role.OWNER)  # type: ignore[arg-type]
    invitation: Invitation = get_object_or_404(workspace.invitations, pk=invitation_id)
    invitation.delete()
    messages.success(request, _("The invitation for %(email)s was withdrawn.") % {"email": invitation.email})
    return redirect("workspace", workspace_id=workspace.pk)
