"""Workspaces: every user has a personal one; owners create more and invite members."""

from __future__ import annotations

from django.db import transaction

from museion.accounts.models import ROLE_RANK, Invitation, Membership, Role, User, Workspace
from museion.errors import DomainError


def personal_workspace(user: User) -> Workspace:
    """The user's own workspace, made on first need."""
    found = Workspace.objects.filter(
        personal=True, memberships__user=user, memberships__role=Role.OWNER
    ).first()
    if found:
        return found
    with transaction.atomic():
        workspace = Workspace.objects.create(name=f"{user.email}'s workspace", personal=True)
        Membership.objects.create(workspace=workspace, user=user, role=Role.OWNER)
    return workspace


def create_workspace(owner: User, name: str) -> Workspace:
    with transaction.atomic():
        workspace = Workspace.objects.create(name=name.strip()[:100] or "Workspace")
        Membership.objects.create(workspace=workspace, user=owner, role=Role.OWNER)
    return workspace


class WorkspaceError(DomainError):
    """A change to a workspace's members that would leave it in a bad state."""

    def __init__(self, message: str) -> None:
        super().__init__("workspace_rule", message)


def check_role(workspace: Workspace, membership: Membership | None, role: str | None) -> None:
    """Refuse `role` for `membership` (None: leaving the workspace) when it breaks a rule."""
    if role == Role.OWNER and workspace.personal:
        raise WorkspaceError(
            "a personal workspace has one owner; invite as editor or viewer, or make a shared workspace"
        )
    losing_owner = membership is not None and membership.role == Role.OWNER and role != Role.OWNER
    if losing_owner and not workspace.memberships.filter(role=Role.OWNER).exclude(pk=membership.pk).exists():
        raise WorkspaceError("a workspace needs an owner: make someone else owner first")


def set_role(membership: Membership, role: Role) -> None:
    check_role(membership.workspace, membership, role)
    membership.role = role
    membership.save(update_fields=["role"])


def remove_member(membership: Membership) -> None:
    check_role(membership.workspace, membership, None)
    membership.delete()


def invite(workspace: Workspace, email: str, role: Role, invited_by: User) -> Membership | Invitation:
    """Add the account with this email now, or keep an invitation until it signs up."""
    email = email.strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    existing = workspace.memberships.filter(user=user).first() if user else None
    check_role(workspace, existing, role)
    if user is not None:
        membership, _ = Membership.objects.update_or_create(
            workspace=workspace, user=user, defaults={"role": role}
        )
        return membership
    invitation, _ = Invitation.objects.update_or_create(
        workspace=workspace, email=email, defaults={"role": role, "invited_by": invited_by}
    )
    return invitation


def accept_invitations(user: User) -> int:
    """Turn the invitations waiting for this user's email into memberships."""
    waiting = list(Invitation.objects.filter(email__iexact=user.email))
    for invitation in waiting:
        Membership.objects.get_or_create(
            workspace=invitation.workspace, user=user, defaults={"role": invitation.role}
        )
        invitation.delete()
    return len(waiting)


def workspaces_of(user: User, needed: Role = Role.VIEWER) -> list[Workspace]:
    personal_workspace(user)
    roles = [role for role, rank in ROLE_RANK.items() if rank >= ROLE_RANK[needed]]
    return list(Workspace.objects.filter(memberships__user=user, memberships__role__in=roles).distinct())
