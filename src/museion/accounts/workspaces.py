"""Workspaces: every user has a personal one; owners create more and invite members."""

from __future__ import annotations

import logging
from smtplib import SMTPException

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from museion.accounts.models import ROLE_RANK, Invitation, Membership, Role, User, Workspace, digest
from museion.errors import DomainError

log = logging.getLogger("museion.accounts")


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
            _("a personal workspace has one owner; invite as editor or viewer, or make a shared workspace")
        )
    losing_owner = membership is not None and membership.role == Role.OWNER and role != Role.OWNER
    if losing_owner and not workspace.memberships.filter(role=Role.OWNER).exclude(pk=membership.pk).exists():
        raise WorkspaceError(_("a workspace needs an owner: make someone else owner first"))


def set_role(membership: Membership, role: Role) -> None:
    check_role(membership.workspace, membership, role)
    membership.role = role
    membership.save(update_fields=["role"])


def remove_member(membership: Membership) -> None:
    check_role(membership.workspace, membership, None)
    membership.delete()


def invite(workspace: Workspace, email: str, role: Role, invited_by: User) -> Membership | Invitation:
    """Change a member's role, or make an invitation with a fresh link (`invitation.secret`) to mail.

    An account with this email that is no member yet is not added: the address is not known to be
    theirs (emails are not verified), so they join through the mailed link like anyone else.
    """
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise DomainError("invalid_email", _("enter a valid email address")) from None
    existing = workspace.memberships.filter(user__email__iexact=email).first()
    check_role(workspace, existing, role)
    if existing is not None:
        set_role(existing, role)
        return existing
    invitation = Invitation.objects.filter(workspace=workspace, email=email).first() or Invitation(
        workspace=workspace, email=email
    )
    invitation.role, invitation.invited_by = role, invited_by
    invitation.new_secret()
    invitation.save()
    return invitation


def mail_invitation(invitation: Invitation, link: str) -> None:
    """Send the one-time link to the invited address (raises OSError or SMTPException when it cannot)."""
    # In the inviting owner's language: the page they invited from was in it.
    facts = {
        "by": invitation.invited_by.email if invitation.invited_by else _("An owner"),
        "workspace": invitation.workspace.name,
        "role": Role(invitation.role).label.lower(),
        "link": link,
        "until": f"{invitation.expires:%Y-%m-%d %H:%M}",
    }
    body = _(
        '%(by)s invites you to the workspace "%(workspace)s" on Museion, as %(role)s.\n\n'
        "To accept, open this link and sign in (or create an account):\n%(link)s\n\n"
        "The link works once, until %(until)s UTC. If you did not expect it, ignore this message.\n"
    )
    subject = _("Invitation to %(workspace)s on Museion") % facts
    send_mail(subject, body % facts, None, [invitation.email])


def send_invitation(invitation: Invitation, link: str) -> str | None:
    """Mail the link; None when it went, else why not (the owner then gives the link by hand)."""
    try:
        mail_invitation(invitation, link)
    except (OSError, SMTPException) as exc:
        log.warning("invitation for workspace %s not mailed: %s", invitation.workspace_id, exc)
        return str(exc) or type(exc).__name__
    return None


class InvitationError(DomainError):
    """An invitation link that cannot be used: `invalid_invitation` (used, withdrawn, mistyped: 404 in
    the API) or `invitation_expired` (410)."""


def find_invitation(secret: str) -> Invitation:
    """The invitation this link is for, or InvitationError saying why it cannot be used."""
    found = Invitation.objects.select_related("workspace", "invited_by")
    invitation = found.filter(digest=digest(secret)).first()
    if invitation is None:
        raise InvitationError(
            "invalid_invitation", _("this invitation link is not valid: it was used, withdrawn, or mistyped")
        )
    if invitation.expired:
        raise InvitationError("invitation_expired", _("this invitation has expired: ask for a new one"))
    return invitation


def accept_invitation(secret: str, user: User) -> Membership:
    """Give `user` the invited role, once: the invitation is gone afterwards. A role is never lowered."""
    with transaction.atomic():
        invitation = find_invitation(secret)
        # The DELETE is the claim: of two accepts racing, the second deletes nothing and stops here.
        if not Invitation.objects.filter(pk=invitation.pk).delete()[0]:
            raise InvitationError("invalid_invitation", _("this invitation link was used just now"))
        role = Role(invitation.role)
        membership, created = Membership.objects.get_or_create(
            workspace=invitation.workspace, user=user, defaults={"role": role}
        )
        if not created and ROLE_RANK[role] > ROLE_RANK[Role(membership.role)]:
            set_role(membership, role)
    return membership


def workspaces_of(user: User, needed: Role = Role.VIEWER) -> list[Workspace]:
    personal_workspace(user)
    roles = [role for role, rank in ROLE_RANK.items() if rank >= ROLE_RANK[needed]]
    return list(Workspace.objects.filter(memberships__user=user, memberships__role__in=roles).distinct())
